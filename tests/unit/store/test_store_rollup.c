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

#define DAY0 20000              /* 2024-10-04 */

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

static void
add_failure(struct policy *p, const char *type, const char *mx, const char *ip,
	    const char *info, const char *code, uint64_t n)
{
	struct failure_detail *f = policy_add_failure_detail(p);

	f->result_type = type != NULL ? xstrdup(type) : NULL;
	f->type = result_type_from_string(type != NULL ? type : "");
	f->receiving_mx_hostname = mx != NULL ? xstrdup(mx) : NULL;
	f->sending_mta_ip = ip != NULL ? xstrdup(ip) : NULL;
	f->additional_information = info != NULL ? xstrdup(info) : NULL;
	f->failure_reason_code = code != NULL ? xstrdup(code) : NULL;
	f->failed_session_count = n;
}

static struct policy *
add_policy(struct report *r, const char *domain, const char *type, uint64_t ok, uint64_t bad)
{
	struct policy *p = report_add_policy(r);

	p->policy_domain = domain != NULL ? xstrdup(domain) : NULL;
	p->policy_type = xstrdup(type);
	p->type = strcmp(type, "sts") == 0 ? POLICY_TYPE_STS : POLICY_TYPE_NO_POLICY_FOUND;
	p->total_successful_session_count = ok;
	p->total_failure_session_count = bad;
	p->has_failure_details = 1;
	return p;
}

/* Report i: of day DAY0 + i % 6, organization i % 3, with one to three
 * policies (two of one domain under two policy types, one without domain)
 * and failure details sharing a group. */
static struct report *
make(int i, uint64_t extra)
{
	static const char *const orgs[] = { "Google Inc.", "Microsoft", "" };
	struct report *r = report_new();
	struct policy *p;
	char dom[32];

	r->organization_name = xstrdup(orgs[i % 3]);
	r->report_id = xasprintf("r%d", i);
	r->start = (int64_t)(DAY0 + i % 6) * 86400 + (i % 2) * 3600;
	r->end = r->start + 86399;
	snprintf(dom, sizeof(dom), "D%d.Example.", i % 4);
	p = add_policy(r, dom, "sts", 100 + (uint64_t)i + extra, (uint64_t)(i % 3));
	if (i % 3 > 0) {
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.1", "z info", NULL, 1);
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.2", "a info", "X1", 1);
	}
	if (i % 2 == 0) {
		p = add_policy(r, dom, "tlsa", 5, 1);
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.3", NULL, NULL, 1);
		add_failure(p, NULL, NULL, "", "", "", 2);
	}
	if (i % 5 == 0)
		add_policy(r, NULL, "no-policy-found", 7, 0);
	return r;
}

static void
put(struct store *s, struct report *r, int64_t received, int want)
{
	struct report_source src = { .channel = "test", .name = "t", .received = received };
	struct err err;
	int rc = store_put_report(s, r, &src, &err);

	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rc, want);
	report_free(r);
}

static void all_time_equals_report_rows(struct store *s);

static int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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
on_row_text(void *ctx, const struct store_view_row *r)
{
	buf_printf(ctx, "%s|%s|%llu|%llu|%llu|%lld|%lld\n", r->k1 ? r->k1 : "-",
		   r->k2 ? r->k2 : "-", (unsigned long long)r->reports,
		   (unsigned long long)r->success, (unsigned long long)r->failure,
		   (long long)r->first_start, (long long)r->last_received);
	return 0;
}

static int
on_failure_text(void *ctx, const struct store_view_failure *f)
{
	buf_printf(ctx, "%s|%s|%s|%llu|%llu|%lld|%lld|%s\n", f->domain, f->result_type, f->mx,
		   (unsigned long long)f->sessions, (unsigned long long)f->reports,
		   (long long)f->first_seen, (long long)f->last_seen,
		   f->additional_information ? f->additional_information : "(null)");
	return 0;
}

/* Appends the lines of part (freed) to b, sorted: the order of groups is
 * the database's, not part of the contract. */
static void
append_sorted(struct buf *b, struct buf *part)
{
	char *text = buf_steal(part, NULL), **lines = NULL, *p, *save = NULL;
	size_t nl = 0, k;

	for (p = strtok_r(text, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save)) {
		lines = xreallocarray(lines, nl + 1, sizeof(*lines));
		lines[nl++] = p;
	}
	if (nl > 1)
		qsort(lines, nl, sizeof(*lines), cmp_lines);
	for (k = 0; k < nl; k++)
		buf_printf(b, "%s\n", lines[k]);
	free(lines);
	free(text);
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

/* ---- periods that are not whole days ---- */

/* What store_view_groups() gives for q and by, as sorted text. */
static char *
groups_text(struct store *s, const struct report_query *q, enum store_view_by by)
{
	struct buf b, part;
	struct err err;

	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	if (store_view_groups(s, q, by, on_row_text, &part, &err) != 0)
		fail_msg("%s", err.msg);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* The same from the report rows (the definition: a report counts once over
 * all its domains through first_domain), for [since, until) (0: open). */
static char *
rows_text(struct store *s, int64_t since, int64_t until, const char *key)
{
	char *sql = xasprintf("SELECT %s, SUM(first_domain), SUM(success), SUM(failure),"
			      " MIN(start_time), MAX(received) FROM report_domains"
			      " WHERE (start_time >= %lld OR %lld = 0) AND (start_time < %lld"
			      " OR %lld = 0) GROUP BY 1, 2", key, (long long)since,
			      (long long)since, (long long)until, (long long)until);
	struct buf b, part;
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int rc;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	while ((rc = db_step(st, &err)) == 1)
		buf_printf(&part, "%s|%s|%lld|%lld|%lld|%lld|%lld\n", db_column_text(st, 0),
			   db_column_text(st, 1), (long long)db_column_int64(st, 2),
			   (long long)db_column_int64(st, 3), (long long)db_column_int64(st, 4),
			   (long long)db_column_int64(st, 5), (long long)db_column_int64(st, 6));
	db_reset(st);
	assert_int_equal(rc, 0);
	free(sql);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* The failure views compared in test_mid_day_periods(): which store view,
 * and the same from the report rows (the definition). */
enum fail_view { FV_GROUPS, FV_COUNT, FV_DAYS, FV_IP, FV_REPORTER, FV_CODE };

#define FV_FROM " FROM reports r JOIN report_policies p ON p.report = r.id" \
	" JOIN report_failures f ON f.policy = p.id WHERE (r.start_time >= $1 OR $1 = 0)" \
	" AND (r.start_time < $2 OR $2 = 0) AND (CAST($3 AS TEXT) IS NULL OR p.domain_key = $3)"
#define FV_KEYS "p.domain_key, COALESCE(f.result_type, ''), COALESCE(f.receiving_mx_hostname, '')"
#define FV_VALUE(v) "SELECT DISTINCT " FV_KEYS ", " v FV_FROM " AND COALESCE(" v ", '') <> ''"

static const char *const fail_view_sql[] = {
	[FV_GROUPS] = "SELECT " FV_KEYS ", SUM(f.failed_session_count), COUNT(DISTINCT r.id),"
		" MIN(r.start_time), MAX(r.end_time), MIN(NULLIF(f.additional_information, ''))"
		FV_FROM " GROUP BY 1, 2, 3",
	[FV_COUNT] = "SELECT COUNT(*) FROM (SELECT 1" FV_FROM " GROUP BY " FV_KEYS ") c",
	[FV_DAYS] = "SELECT r.start_time / 86400, COALESCE(f.result_type, ''),"
		" SUM(f.failed_session_count)" FV_FROM " GROUP BY 1, 2",
	[FV_IP] = FV_VALUE("f.sending_mta_ip"),
	[FV_REPORTER] = FV_VALUE("r.organization"),
	[FV_CODE] = FV_VALUE("f.failure_reason_code"),
};

/* What the store's failure view v gives for q, as sorted text. */
static char *
failures_text(struct store *s, const struct report_query *q, enum fail_view v)
{
	static const enum store_view_value values[] = {
		[FV_IP] = STORE_VIEW_SENDING_IP, [FV_REPORTER] = STORE_VIEW_REPORTER,
		[FV_CODE] = STORE_VIEW_REASON_CODE,
	};
	struct buf b, part;
	struct err err;
	uint64_t n = 0;
	int rc;

	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	if (v == FV_GROUPS)
		rc = store_view_failures(s, q, on_failure_text, &part, &err);
	else if (v == FV_COUNT)
		rc = store_view_failure_count(s, q, &n, &err);
	else if (v == FV_DAYS)
		rc = store_view_failure_days(s, q, on_failure_text, &part, &err);
	else
		rc = store_view_failure_values(s, q, values[v], on_failure_text, &part, &err);
	if (rc != 0)
		fail_msg("failure view %d: %s", (int)v, err.msg);
	if (v == FV_COUNT)
		buf_printf(&part, "%llu\n", (unsigned long long)n);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* The same from the report rows, in on_failure_text()'s form (domain: a
 * domain key, or NULL for all). */
static char *
failure_rows_text(struct store *s, int64_t since, int64_t until, const char *domain,
		  enum fail_view v)
{
	const char *sql = fail_view_sql[v];
	struct buf b, part;
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int rc;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, domain);
	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	while ((rc = db_step(st, &err)) == 1) {
		struct store_view_failure f = { .domain = "", .mx = "" };

		if (v == FV_COUNT) {
			buf_printf(&part, "%lld\n", (long long)db_column_int64(st, 0));
			continue;
		}
		if (v == FV_DAYS) {
			f.first_seen = db_column_int64(st, 0);
			f.result_type = db_column_text(st, 1);
			f.sessions = (uint64_t)db_column_int64(st, 2);
		} else {
			f.domain = db_column_text(st, 0);
			f.result_type = db_column_text(st, 1);
			f.mx = db_column_text(st, 2);
		}
		if (v == FV_GROUPS) {
			f.sessions = (uint64_t)db_column_int64(st, 3);
			f.reports = (uint64_t)db_column_int64(st, 4);
			f.first_seen = db_column_int64(st, 5);
			f.last_seen = db_column_int64(st, 6);
			f.additional_information = db_column_text(st, 7);
		} else if (v != FV_DAYS) {
			f.additional_information = db_column_text(st, 3);
		}
		on_failure_text(&part, &f);
	}
	db_reset(st);
	assert_int_equal(rc, 0);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* Totals, days and organizations of every domain over a period that is not
 * whole days (whole days from rollup_days, the ends from report rows)
 * equal the report rows, and so do the failure views, over every domain
 * and one (whole days from rollup_failures / rollup_failure_values, the
 * ends from failure details).  Reports start at 00:00 or 01:00 (make()). */
static void
test_mid_day_periods(void **state)
{
	static const struct {
		int64_t since, until;   /* seconds from DAY0 00:00; -1: open */
	} periods[] = {
		{ 1800, -1 },                   /* mid-day since, open end */
		{ -1, 4 * 86400 + 1800 },       /* open start, mid-day until */
		{ 1800, 4 * 86400 + 1800 },     /* both mid-day */
		{ 1800, 7200 },                 /* within one day */
		{ 2 * 86400 + 3600, 2 * 86400 + 3601 },  /* one second */
		{ 86400 + 7200, 2 * 86400 },    /* mid-day to a whole day */
		{ 86400, 3 * 86400 },           /* whole days (the day path) */
		{ 3 * 86400 + 1, 3 * 86400 + 2 },  /* nothing */
	};
	static const struct {
		enum store_view_by by;
		const char *key;        /* the same keys over report_domains */
	} views[] = {
		{ STORE_VIEW_TOTAL, "'-', '-'" },
		{ STORE_VIEW_DAY, "CAST(start_time / 86400 AS TEXT), '-'" },
		{ STORE_VIEW_ORG, "organization, '-'" },
	};
	struct store_fixture *f = *state;
	int i, failure_lines = 0;

	for (i = 0; i < 40; i++)
		put(f->s, make(i, 0), (int64_t)(DAY0 + 7) * 86400 + i, 1);
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		int64_t since = periods[p].since < 0 ? 0 : (int64_t)DAY0 * 86400 + periods[p].since;
		int64_t until = periods[p].until < 0 ? 0 : (int64_t)DAY0 * 86400 + periods[p].until;
		struct report_query q = { .since = since, .until = until };

		for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
			char *got = groups_text(f->s, &q, views[v].by);
			char *want = rows_text(f->s, since, until, views[v].key);

			/* the total of nothing is one row of zeros */
			if (views[v].by == STORE_VIEW_TOTAL && want[0] == '\0') {
				free(want);
				want = xstrdup("-|-|0|0|0|0|0\n");
			}
			if (strcmp(got, want) != 0)
				fail_msg("period %zu view %d:\n%s\nwant:\n%s", p, (int)views[v].by,
					 got, want);
			free(got);
			free(want);
		}
		for (int v = FV_GROUPS; v <= FV_CODE * 2 + 1; v++) {
			/* every domain, then one */
			const char *domain = v > FV_CODE ? "d1.example" : NULL;
			struct report_query qd = { .since = since, .until = until, .domain = domain };
			enum fail_view fv = (enum fail_view)(v % (FV_CODE + 1));
			char *got = failures_text(f->s, &qd, fv);
			char *want = failure_rows_text(f->s, since, until, domain, fv);

			if (strcmp(got, want) != 0)
				fail_msg("period %zu failure view %d (%s):\n%s\nwant:\n%s", p, (int)fv,
					 domain != NULL ? domain : "every domain", got, want);
			failure_lines += fv == FV_GROUPS && want[0] != '\0';
			free(got);
			free(want);
		}
	}
	/* the comparison saw failure groups (make() gives them) */
	assert_true(failure_lines >= 5);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_batched),
	STORE_TEST(test_insert_conflict_prune),
	STORE_TEST(test_reporters),
	STORE_TEST(test_mid_day_periods),
};

STORE_TEST_MAIN(tests)
