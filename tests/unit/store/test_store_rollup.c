/* Unit tests for store/store_rollup: after reports are stored, one is
 * received again with other contents (a conflict) and old ones are pruned,
 * the roll-up tables equal their recomputation from the report rows. */
#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_prune.h"
#include "store/store_reports.h"
#include "store/store_rollup.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include "unit/store/rollup_test.h"

static const struct {
	int ncol;
	const char *sql;
} snapshot_sql[] = {
	{ 7, "SELECT day, organization, reports, success, failure, first_start, last_received"
	  " FROM rollup_days ORDER BY 1, 2" },
	/* spans 16, 256 and 0 (all time) */
	{ 9, "SELECT span, block, domain_key, organization, reports, success, failure,"
	  " first_start, last_received FROM rollup_domains ORDER BY 1, 2, 3, 4" },
	{ 11, "SELECT day, digest, domain_key, organization, result_type, mx, sessions, reports,"
	  " first_start, last_end, COALESCE(additional_information, '(null)')"
	  " FROM rollup_failures ORDER BY 1, 2" },
	{ 9, "SELECT day, digest, kind, value_digest, domain_key, organization, result_type, mx,"
	  " value FROM rollup_failure_values ORDER BY 1, 2, 3, 4" },
	{ 5, "SELECT day, organization, type_digest, result_type, sessions FROM rollup_day_types"
	  " ORDER BY 1, 2, 3" },
	{ 9, "SELECT digest, domain_key, result_type, mx, sessions, reports, first_start,"
	  " last_end, COALESCE(additional_information, '(null)') FROM rollup_failure_groups"
	  " ORDER BY 1" },
	{ 4, "SELECT digest, kind, value_digest, value FROM rollup_failure_group_values"
	  " ORDER BY 1, 2, 3" },
	{ 4, "SELECT domain_key, organization, last_day, days FROM rollup_reporters"
	  " ORDER BY 1, 2" },
	{ 12, "SELECT domain_key, span, block, organization, digest, policy_type, policy_strings,"
	  " reports, success, failure, first_start, last_received FROM rollup_policies"
	  " ORDER BY 1, 2, 3, 4, 5" },
};

/* Every row of the roll-up tables as text, one line per row. */
static char *
snapshot(struct store *s)
{
	struct buf b;
	struct err err;
	size_t i;

	buf_init(&b, 64u << 20);
	for (i = 0; i < sizeof(snapshot_sql) / sizeof(snapshot_sql[0]); i++) {
		struct db_stmt *st = db_prepare(s->db, snapshot_sql[i].sql, &err);
		int rc, c, ncol = snapshot_sql[i].ncol;

		if (st == NULL)
			fail_msg("%s", err.msg);
		buf_printf(&b, "table %zu\n", i);
		while ((rc = db_step(st, &err)) == 1) {
			for (c = 0; c < ncol; c++)
				buf_printf(&b, "%s|", db_column_text(st, c) ? db_column_text(st, c)
					   : "NULL");
			buf_append_str(&b, "\n");
		}
		db_reset(st);
		assert_int_equal(rc, 0);
	}
	return buf_steal(&b, NULL);
}


static void all_time_equals_report_rows(struct store *s);


static void
equals_recomputed(struct store *s)
{
	char *kept = snapshot(s), *again;
	struct err err;

	assert_int_equal(store_begin(s, &err), 0);
	if (store_rollup_rebuild(s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(store_commit(s, &err), 0);
	again = snapshot(s);
	assert_string_equal(kept, again);
	free(kept);
	free(again);
	all_time_equals_report_rows(s);
}

/* ---- the all-time views against the report rows ---- */


static int
on_set_text(void *ctx, const struct store_view_failure_value *v)
{
	buf_printf(ctx, "%d|%s|%s|%s|%s\n", (int)v->which, v->domain, v->result_type, v->mx,
		   v->value);
	return 0;
}

struct value_text {
	struct buf *b;
	enum store_view_value which;
};

static int
on_value_text(void *ctx, const struct store_view_failure *f)
{
	struct value_text *v = ctx;

	buf_printf(v->b, "%d|%s|%s|%s|%s\n", (int)v->which, f->domain, f->result_type, f->mx,
		   f->additional_information);
	return 0;
}

/* store_view_failure_sets() of q, as sorted text; it must be what
 * store_view_failure_values() visits for the three kinds. */
static void
append_sets(struct buf *b, struct store *s, const struct report_query *q,
	    const enum store_view_value *which, size_t n)
{
	struct buf sets, values, x, y;
	struct err err;
	char *a, *c;
	size_t i;

	buf_init(&sets, 16u << 20);
	buf_init(&values, 16u << 20);
	if (store_view_failure_sets(s, q, on_set_text, &sets, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < n; i++) {
		struct value_text v = { &values, which[i] };

		if (store_view_failure_values(s, q, which[i], on_value_text, &v, &err) != 0)
			fail_msg("%s", err.msg);
	}
	buf_init(&x, 16u << 20);
	buf_init(&y, 16u << 20);
	append_sorted(&x, &sets);
	append_sorted(&y, &values);
	a = buf_steal(&x, NULL);
	c = buf_steal(&y, NULL);
	assert_string_equal(a, c);
	buf_printf(b, "sets\n%s", a);
	free(a);
	free(c);
}

/* What the all-time views give for q, as text.  Lines of groupings come
 * sorted (their order is the database's). */
static char *
views_text(struct store *s, const struct report_query *q)
{
	static const enum store_view_by by[] = { STORE_VIEW_DOMAIN, STORE_VIEW_DOMAIN_ORG,
		STORE_VIEW_DOMAIN_REPORTERS };
	static const enum store_view_value which[] = { STORE_VIEW_SENDING_IP,
		STORE_VIEW_REPORTER, STORE_VIEW_REASON_CODE };
	struct buf b, part;
	struct err err;
	uint64_t n;
	size_t i;

	buf_init(&b, 16u << 20);
	for (i = 0; i < sizeof(by) / sizeof(by[0]); i++) {
		buf_init(&part, 16u << 20);
		if (store_view_groups(s, q, by[i], on_row_text, &part, &err) != 0)
			fail_msg("%s", err.msg);
		buf_printf(&b, "groups %d\n", (int)by[i]);
		append_sorted(&b, &part);
	}
	buf_append_str(&b, "failures\n");
	if (store_view_failures(s, q, on_failure_text, &b, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < sizeof(which) / sizeof(which[0]); i++) {
		buf_init(&part, 16u << 20);
		buf_printf(&b, "values %d\n", (int)which[i]);
		if (store_view_failure_values(s, q, which[i], on_failure_text, &part, &err) != 0)
			fail_msg("%s", err.msg);
		append_sorted(&b, &part);
	}
	append_sets(&b, s, q, which, sizeof(which) / sizeof(which[0]));
	if (store_view_failure_count(s, q, &n, &err) != 0)
		fail_msg("%s", err.msg);
	buf_printf(&b, "count %llu\n", (unsigned long long)n);
	return buf_steal(&b, NULL);
}

/* All time (the all-time roll-ups) equals since 1 s (the report rows),
 * for every domain, one domain, and one organization. */
static void
all_time_equals_report_rows(struct store *s)
{
	static const struct report_query all[] = {
		{ 0 }, { .domain = "d1.example" }, { .organization = "Microsoft" },
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		struct report_query rows = all[i];
		char *a, *b;

		rows.since = 1;
		a = views_text(s, &all[i]);
		b = views_text(s, &rows);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
}

static int64_t
count(struct store *s, const char *sql)
{
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int64_t n;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	assert_int_equal(db_step(st, &err), 1);
	n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

static void
test_insert_conflict_prune(void **state)
{
	struct store_fixture *f = *state;
	struct store_prune_stats ps = { 0 };
	struct err err;
	int i;

	for (i = 0; i < 40; i++)
		put(f->s, make(i, 0), (int64_t)(DAY0 + 7) * 86400 + i, 1);
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_days"), 40);
	assert_true(count(f->s, "SELECT COUNT(*) FROM rollup_failure_values") > 0);
	assert_int_equal(count(f->s, "SELECT SUM(sessions) FROM rollup_day_types"),
			 count(f->s, "SELECT SUM(failed_session_count) FROM report_failures"));
	/* failure groups count a report once: 2 failures + 1 of the tlsa
	 * policy of the same (domain, type, MX) */
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_failures"
			       " WHERE result_type = 'certificate-expired'"), 33);
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_failure_groups"
			       " WHERE result_type = 'certificate-expired'"), 33);
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_domains WHERE span = 0"),
			 count(f->s, "SELECT COUNT(*) FROM report_domains"));
	/* a report counts once per (domain, policy-type, policy-string list) */
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_policies WHERE span = 0"),
			 count(f->s, "SELECT COUNT(*) FROM (SELECT DISTINCT report, domain_key,"
			       " policy_type, policy_strings FROM report_policies) x"));
	assert_true(count(f->s, "SELECT COUNT(*) FROM rollup_failure_group_values"
			  " WHERE kind = 1") > 0);
	equals_recomputed(f->s);
	/* a plain duplicate and a conflicting one change nothing */
	put(f->s, make(3, 0), (int64_t)(DAY0 + 8) * 86400, 0);
	put(f->s, make(4, 1000), (int64_t)(DAY0 + 8) * 86400, 2);
	equals_recomputed(f->s);
	/* prune what ended before day 2: day 0, half of day 1 (batches of 7) */
	if (store_prune(f->s, (int64_t)(DAY0 + 2) * 86400, 7, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(ps.reports > 0 && ps.transactions > 1);
	assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_days"), 40 - ps.reports);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_days WHERE day < 20001"), 0);
	equals_recomputed(f->s);
	/* everything */
	if (store_prune(f->s, (int64_t)(DAY0 + 30) * 86400, 5, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_domains"), 0);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_failure_values"), 0);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_day_types"), 0);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_failure_groups"), 0);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_failure_group_values"), 0);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_policies"), 0);
	equals_recomputed(f->s);
}

/* One step of test_batched(). */
struct batch_step {
	enum { B_BEGIN, B_PUT, B_PUT_OWN, B_COMMIT, B_ROLLBACK } op;
	int from, to;           /* B_PUT, B_PUT_OWN: reports make(from..to-1) */
	int64_t want;           /* after B_COMMIT, B_ROLLBACK at depth 0: SUM(reports) */
};

/* Reports stored in a transaction have their roll-up rows summed in
 * memory until COMMIT (store_rollup_batch.h): a savepoint rolled back
 * takes its reports' rows along and none of those before it, a savepoint
 * released keeps them, a transaction rolled back leaves nothing, a report
 * stored with a transaction of its own inside a batch nests; after each
 * outermost COMMIT or ROLLBACK the roll-ups equal their recomputation. */
static void
test_batched(void **state)
{
	static const struct batch_step steps[] = {
		{ B_BEGIN, 0, 0, -1 }, { B_PUT, 0, 20, -1 },
		{ B_BEGIN, 0, 0, -1 }, { B_PUT, 20, 25, -1 }, { B_ROLLBACK, 0, 0, -1 },
		{ B_BEGIN, 0, 0, -1 }, { B_PUT, 25, 30, -1 }, { B_COMMIT, 0, 0, -1 },
		{ B_PUT, 30, 32, -1 }, { B_COMMIT, 0, 0, 27 },
		{ B_BEGIN, 0, 0, -1 }, { B_PUT, 32, 40, -1 }, { B_ROLLBACK, 0, 0, 27 },
		{ B_BEGIN, 0, 0, -1 }, { B_PUT, 40, 41, -1 }, { B_PUT_OWN, 41, 43, -1 },
		{ B_PUT, 43, 44, -1 }, { B_COMMIT, 0, 0, 31 },
		{ B_PUT_OWN, 44, 46, 33 },
	};
	struct store_fixture *f = *state;
	struct err err;
	int depth = 0;

	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		const struct batch_step *t = &steps[k];
		struct report_source src = { .channel = "test", .name = "t",
					     .received = (int64_t)(DAY0 + 7) * 86400 };

		switch (t->op) {
		case B_BEGIN:
			assert_int_equal(store_begin(f->s, &err), 0);
			depth++;
			break;
		case B_PUT:
		case B_PUT_OWN:
			for (int i = t->from; i < t->to; i++) {
				struct report *r = make(i, 0);
				int rc = t->op == B_PUT ? store_put_report_in_batch(f->s, r, &src, &err)
					 : store_put_report(f->s, r, &src, &err);

				if (rc != 1)
					fail_msg("step %zu report %d: %d %s", k, i, rc, err.msg);
				report_free(r);
			}
			break;
		case B_COMMIT:
			assert_int_equal(store_commit(f->s, &err), 0);
			depth--;
			break;
		case B_ROLLBACK:
			store_rollback(f->s);
			depth--;
			break;
		}
		if (depth == 0 && t->want >= 0) {
			assert_int_equal(count(f->s, "SELECT SUM(reports) FROM rollup_days"), t->want);
			assert_int_equal(count(f->s, "SELECT SUM(sessions) FROM rollup_day_types"),
					 count(f->s, "SELECT SUM(failed_session_count)"
					       " FROM report_failures"));
			equals_recomputed(f->s);
		}
	}
}

/* ---- rollup_reporters and the stale-reporter check ---- */

static int
on_stale_text(void *ctx, const struct store_view_stale *r)
{
	buf_printf(ctx, "%s|%s|%lld\n", r->domain, r->organization, (long long)r->last_day);
	return 0;
}

/* The stale pairs for a window ending at end (and q's filters) through
 * rollup_reporters and through the report rows are the same; returns how
 * many there were. */
static size_t
stale_agrees(struct store *s, const struct report_query *q, int64_t end)
{
	struct store_stale_rule rule = { .end = end, .window_days = 30, .min_days = 5,
					 .regular_pct = 80, .quiet_days = 3 };
	struct buf a, b;
	struct err err;
	char *ta, *tb;
	size_t n = 0;

	buf_init(&a, 1u << 20);
	buf_init(&b, 1u << 20);
	if (store_view_stale_reporters(s, q, &rule, on_stale_text, &a, &err) != 0 ||
	    store_view_stale_reporters_from_rows(s, q, &rule, on_stale_text, &b, &err) != 0)
		fail_msg("%s", err.msg);
	ta = buf_steal(&a, NULL);
	tb = buf_steal(&b, NULL);
	if (strcmp(ta, tb) != 0)
		fail_msg("end %lld: roll-up\n%sreport rows\n%s", (long long)end, ta, tb);
	for (const char *p = ta; *p != '\0'; p++)
		n += *p == '\n';
	free(ta);
	free(tb);
	return n;
}

/* stale_agrees() for every day (and a mid-day end) from DAY0 to DAY0 +
 * days, for every pair, one domain and one organization; returns how
 * many stale pairs were seen in all. */
static size_t
stale_agrees_all(struct store *s, int days)
{
	static const struct report_query qs[] = {
		{ 0 }, { .domain = "d1.example" }, { .organization = "Regular" },
	};
	size_t n = 0;

	for (int d = 0; d <= days; d++)
		for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
			n += stale_agrees(s, &qs[i], (int64_t)(DAY0 + d) * 86400);
			n += stale_agrees(s, &qs[i], (int64_t)(DAY0 + d) * 86400 + 43200);
		}
	return n;
}

/* A report of org about domain on day DAY0 + day (at hour). */
static struct report *
make_day(const char *org, const char *domain, int day, int hour, int n)
{
	struct report *r = report_new();

	r->organization_name = xstrdup(org);
	r->report_id = xasprintf("%s-%s-%d-%d", org, domain, day, n);
	r->start = (int64_t)(DAY0 + day) * 86400 + hour * 3600;
	r->end = r->start + 86399;
	add_policy(r, domain, "sts", 10, 0);
	return r;
}

/* rollup_reporters follows reports stored out of order, days that fall
 * off its 62 days, several in one batch and one at a time, and prunes
 * that reach its days or not; the stale check gives the same through it
 * as through the report rows, for ends in and long after the reports. */
static void
test_reporters(void **state)
{
	/* "Regular" daily on days 0-19 and 40-59, then at 130; "Sparse" now
	 * and then; "Quitter" daily on days 0-15 for another domain */
	static const int regular[] = { 59, 3, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		16, 17, 18, 19, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
		56, 57, 58, 130 };
	static const int sparse[] = { 70, 2, 9, 33, 71, 64, 20 };
	struct store_fixture *f = *state;
	struct store_prune_stats ps = { 0 };
	struct err err;
	size_t i;
	int n = 0;

	assert_int_equal(store_begin(f->s, &err), 0);
	for (i = 0; i < 20; i++)        /* in one batch: merged in memory */
		put(f->s, make_day("Regular", "D1.example", regular[i], (int)i % 3, n++),
		    (int64_t)(DAY0 + 200) * 86400, 1);
	assert_int_equal(store_commit(f->s, &err), 0);
	for (; i < sizeof(regular) / sizeof(regular[0]); i++)   /* merged by the upsert */
		put(f->s, make_day("Regular", "D1.example", regular[i], 0, n++),
		    (int64_t)(DAY0 + 200) * 86400, 1);
	for (i = 0; i < sizeof(sparse) / sizeof(sparse[0]); i++)
		put(f->s, make_day("Sparse", "D1.example", sparse[i], 1, n++),
		    (int64_t)(DAY0 + 200) * 86400, 1);
	for (i = 0; i < 16; i++)
		put(f->s, make_day("Quitter", "d2.example", (int)i, 0, n++),
		    (int64_t)(DAY0 + 200) * 86400, 1);
	equals_recomputed(f->s);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_reporters"), 3);
	assert_int_equal(count(f->s, "SELECT last_day FROM rollup_reporters"
			       " WHERE organization = 'Regular'"), DAY0 + 130);
	assert_true(stale_agrees_all(f->s, 140) > 0);
	/* up to day 30: the Regular row is kept as it is (the days pruned are
	 * more than 62 before its last), the Sparse one computed again (day 20
	 * was in its bits: now 71, 70, 64 and 33 are), the Quitter one goes */
	if (store_prune(f->s, (int64_t)(DAY0 + 30) * 86400, 8, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(ps.reports > 0);
	equals_recomputed(f->s);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_reporters"), 2);
	assert_int_equal(count(f->s, "SELECT days FROM rollup_reporters"
			       " WHERE organization = 'Sparse'"),
			 1 + 2 + 128 + ((int64_t)1 << 38));
	assert_true(stale_agrees_all(f->s, 140) > 0);
	/* up to day 100: Regular's day 130 stays, Sparse goes */
	if (store_prune(f->s, (int64_t)(DAY0 + 100) * 86400, 8, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	equals_recomputed(f->s);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_reporters"), 1);
	stale_agrees_all(f->s, 140);
	if (store_prune(f->s, (int64_t)(DAY0 + 300) * 86400, 8, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(count(f->s, "SELECT COUNT(*) FROM rollup_reporters"), 0);
	equals_recomputed(f->s);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_batched),
	STORE_TEST(test_insert_conflict_prune),
	STORE_TEST(test_reporters),
};

STORE_TEST_MAIN(tests)
