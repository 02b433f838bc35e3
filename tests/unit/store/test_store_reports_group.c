/* Unit tests for store_put_reports_in_batch() (store_reports_group.c):
 * a group stores the same rows, with the same outcomes, as the same
 * reports put one by one; a group the store refuses is rolled back whole
 * and leaves nothing behind. */
#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_conflicts.h"
#include "store/store_reports.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* Text that PostgreSQL's array syntax must carry through unchanged. */
static const char awkward[] = "he said \"hi\" \\ {a,b} NULL, \xc3\xbc\t'";

/* Two failure details under p, one with awkward text. */
static void
add_failures(struct policy *p)
{
	struct failure_detail *d = policy_add_failure_detail(p);

	p->has_failure_details = 1;
	d->result_type = xstrdup("certificate-expired");
	d->sending_mta_ip = xstrdup("192.0.2.1");
	d->receiving_mx_hostname = xstrdup("mx.example");
	d->failed_session_count = 3;
	d = policy_add_failure_detail(p);
	d->result_type = xstrdup("x-new");
	d->receiving_ip = xstrdup("2001:db8::1");
	d->additional_information = xstrdup(awkward);
	d->failed_session_count = 4;
}

/* A report of org and id with n_policies policies, the first with two
 * failure details; variant changes its contents (not its identity). */
static struct report *
make(const char *org, const char *id, int64_t start, size_t n_policies, int variant)
{
	struct report *r = report_new();

	r->organization_name = xstrdup(org);
	r->report_id = id != NULL ? xstrdup(id) : NULL;
	r->start = start;
	r->end = start + 86400 - 1;
	r->start_datetime = xstrdup("2026-01-01T00:00:00Z");
	r->end_datetime = xstrdup("2026-01-01T23:59:59Z");
	r->contact_info = xstrdup(variant == 2 ? "NULL" : variant ? awkward : "tls@example.net");
	for (size_t i = 0; i < n_policies; i++) {
		struct policy *p = report_add_policy(r);
		char domain[64];

		snprintf(domain, sizeof(domain), "d%zu.%s.example", i, id != NULL ? id : "none");
		p->policy_type = xstrdup(i % 2 ? "no-policy-found" : "sts");
		p->type = i % 2 ? POLICY_TYPE_NO_POLICY_FOUND : POLICY_TYPE_STS;
		p->policy_domain = xstrdup(domain);
		strlist_add(&p->policy_string, "version: STSv1");
		strlist_add(&p->policy_string, awkward);
		p->has_policy_string = 1;
		p->total_successful_session_count = 100 + i + (uint64_t)variant;
		p->total_failure_session_count = i == 0 ? 7 : 0;
		if (i == 0)
			add_failures(p);
	}
	return r;
}

/* The reports of the group, in order, and what storing each one gives
 * (one by one as in the group): 1 stored, 0 duplicate, 2 conflict. */
static const struct {
	const char *org, *id;
	size_t n_policies;
	int variant, outcome;
} group[] = {
	{ "Org A", "r-1", 2, 1, 1 },
	{ "Org A", "pre", 1, 0, 0 },          /* stored before the group */
	{ "Org A", "pre", 1, 1, 2 },          /* other contents: a conflict */
	{ "Org A", "r-2", 3, 2, 1 },
	{ "Org A", "r-1", 2, 1, 0 },          /* earlier in the group */
	{ "Org B", "r-1", 1, 0, 1 },          /* same id, other organization */
	{ "Org A", "ms+", 1, 0, 1 },          /* weak ids: told apart by domains */
	{ "Org A", "ms+", 2, 0, 1 },
	{ "Org A", NULL, 0, 0, 1 },           /* no id, no policy */
	{ "Org A", "r-3", 1, 1, 1 },
};
#define N_GROUP (sizeof(group) / sizeof(group[0]))

/* Every row of the report tables and of the roll-ups, one text line each,
 * ids left out (a group draws ids it may not use), sorted. */
static const char *const dumps[] = {
	"SELECT organization, report_id, dedup_key, start_time, end_time, start_datetime,"
	" end_datetime, contact_info, extra_json, quirks_json, raw_json, source_channel,"
	" source_name, received, content_digest FROM reports",
	"SELECT r.report_id, r.organization, p.seq, p.policy_type, p.policy_domain, p.domain_key,"
	" p.policy_strings, p.mx_hosts, p.total_success, p.total_failure,"
	" p.has_failure_details, p.extra_json FROM report_policies p"
	" JOIN reports r ON r.id = p.report",
	"SELECT r.report_id, r.organization, p.seq, f.seq, f.result_type, f.sending_mta_ip,"
	" f.receiving_mx_hostname, f.receiving_mx_helo, f.receiving_ip, f.failed_session_count,"
	" f.additional_information, f.failure_reason_code, f.extra_json FROM report_failures f"
	" JOIN report_policies p ON p.id = f.policy JOIN reports r ON r.id = p.report",
	"SELECT r.report_id, r.organization, d.domain_key, d.first_domain, d.start_time,"
	" d.organization, d.received, d.success, d.failure FROM report_domains d"
	" JOIN reports r ON r.id = d.report",
	"SELECT r.report_id, r.organization, t.whole, t.domain_key, t.type_key, t.start_time,"
	" t.organization FROM report_types t JOIN reports r ON r.id = t.report",
	"SELECT r.report_id, c.content_digest, c.received, c.source_channel, c.source_name,"
	" c.raw_json FROM report_conflicts c JOIN reports r ON r.id = c.report",
	"SELECT day, organization, reports, success, failure, first_start, last_received"
	" FROM rollup_days",
	"SELECT span, block, domain_key, organization, reports, success, failure, first_start,"
	" last_received FROM rollup_domains",
	"SELECT day, digest, domain_key, organization, result_type, mx, sessions, reports,"
	" first_start, last_end, additional_information FROM rollup_failures",
	"SELECT day, organization, type_digest, result_type, sessions FROM rollup_day_types",
};

static int
by_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the rows of one dump query (columns as text, '|' between,
 * NULL as "~"), sorted, to out. */
static void
dump_one(struct store *s, const char *select, struct buf *out)
{
	char sql[1024], *from = strstr(select, " FROM ");
	const char *cols = select + strlen("SELECT ");
	struct buf expr;
	struct db_stmt *st;
	struct err err;
	char **lines = NULL;
	size_t n = 0;
	int rc;

	assert_non_null(from);
	buf_init(&expr, sizeof(sql));
	/* c1, c2 → COALESCE(CAST(c1 AS TEXT), '~') || '|' || … */
	for (const char *p = cols; p < from;) {
		const char *comma = memchr(p, ',', (size_t)(from - p));
		const char *end = comma != NULL ? comma : from;

		while (*p == ' ')
			p++;
		buf_printf(&expr, "%sCOALESCE(CAST(%.*s AS TEXT), '~')", expr.len ? " || '|' || " : "",
			   (int)(end - p), p);
		p = end + 1;
	}
	snprintf(sql, sizeof(sql), "SELECT %s%s", expr.data, from);
	buf_free(&expr);
	st = db_prepare(s->db, sql, &err);
	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	while ((rc = db_step(st, &err)) == 1) {
		lines = xreallocarray(lines, n + 1, sizeof(*lines));
		lines[n++] = xstrdup(db_column_text(st, 0));
	}
	if (rc < 0)
		fail_msg("%s: %s", sql, err.msg);
	db_reset(st);
	if (n > 0)
		qsort(lines, n, sizeof(*lines), by_line);
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
}

static char *
dump(struct store *s)
{
	struct buf out;
	size_t len;

	buf_init(&out, (size_t)1 << 24);
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		buf_printf(&out, "-- %zu\n", i);
		dump_one(s, dumps[i], &out);
	}
	return buf_steal(&out, &len);
}

/* Stores "pre", then the group (one by one, or as one group) in one
 * transaction; checks each outcome; returns the dump. */
static char *
store_all(struct store *s, int as_group)
{
	static const struct report_source src = { "https", "test", "{\"raw\": \"\\\\ \\\"x\\\"\"}",
						  1767312000 };
	struct store_put_item items[N_GROUP];
	struct report *r[N_GROUP];
	struct report *pre = make("Org A", "pre", 1767225600, 1, 0);
	struct err err;
	char *out;

	assert_int_equal(store_put_report(s, pre, &src, &err), 1);
	for (size_t i = 0; i < N_GROUP; i++) {
		r[i] = make(group[i].org, group[i].id, 1767225600 + 86400 * (int64_t)(i % 3),
			    group[i].n_policies, group[i].variant);
		items[i] = (struct store_put_item){ r[i], &src,
						    store_report_content_digest(r[i]), -1 };
	}
	assert_int_equal(store_begin(s, &err), 0);
	if (as_group) {
		if (store_put_reports_in_batch(s, items, N_GROUP, &err) < 0)
			fail_msg("%s", err.msg);
	} else {
		for (size_t i = 0; i < N_GROUP; i++)
			items[i].outcome = store_put_report_in_batch_digest(s, r[i], &src,
									   items[i].digest, &err);
	}
	assert_int_equal(store_commit(s, &err), 0);
	for (size_t i = 0; i < N_GROUP; i++) {
		if (items[i].outcome != group[i].outcome)
			fail_msg("%s report %zu (%s): outcome %d, expected %d",
				 as_group ? "group" : "one by one", i,
				 group[i].id ? group[i].id : "(none)", items[i].outcome,
				 group[i].outcome);
		report_free(r[i]);
	}
	report_free(pre);
	out = dump(s);
	return out;
}

/* A fresh, empty store at the fixture's place. */
static void
fresh(struct store_fixture *fx)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char path[600];
	struct err err;

	store_close(&fx->s);
	if (fx->pg_url != NULL)
		assert_int_equal(store_test_pg_reset(fx->pg_url), 0);
	else
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(path, sizeof(path), "%s/t.db%s", fx->dir, sfx[i]);
			unlink(path);
		}
	fx->s = store_open(fx->url, &err);
	if (fx->s == NULL)
		fail_msg("%s", err.msg);
}

static void
test_group_stores_what_one_by_one_stores(void **state)
{
	struct store_fixture *fx = *state;
	char *one = store_all(fx->s, 0), *all;

	fresh(fx);
	all = store_all(fx->s, 1);
	assert_non_null(strstr(one, awkward));      /* the dump saw the rows */
	assert_string_equal(all, one);
	free(one);
	free(all);
}

/* The store refuses a row of the group's third report: the group fails
 * as a whole, its transaction rolls back to nothing, and the reports
 * one by one tell which one it was. */
static void
test_group_refused_is_rolled_back_whole(void **state)
{
	struct store_fixture *fx = *state;
	struct store_put_item items[3];
	struct report *r[3];
	struct err err;
	char *empty = dump(fx->s), *after;
	const char *trigger =
		fx->pg_url == NULL
			? "CREATE TRIGGER boom BEFORE INSERT ON report_failures"
			  " WHEN NEW.result_type = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END"
			: "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS"
			  " $$BEGIN IF NEW.result_type = 'boom' THEN RAISE EXCEPTION 'boom';"
			  " END IF; RETURN NEW; END$$;"
			  "CREATE TRIGGER boom BEFORE INSERT ON report_failures"
			  " FOR EACH ROW EXECUTE FUNCTION boom()";

	if (db_exec(fx->s->db, trigger, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "g-%zu", i);
		r[i] = make("Org A", id, 1767225600, 2, 0);
		items[i] = (struct store_put_item){ r[i], NULL, store_report_content_digest(r[i]),
						    -1 };
	}
	free(r[2]->policies[0].failure_details[1].result_type);
	r[2]->policies[0].failure_details[1].result_type = xstrdup("boom");
	assert_int_equal(store_begin(fx->s, &err), 0);
	assert_int_equal(store_put_reports_in_batch(fx->s, items, 3, &err), -1);
	assert_non_null(strstr(err.msg, "boom"));
	store_rollback(fx->s);
	after = dump(fx->s);
	assert_string_equal(after, empty);
	/* one by one: the first two are stored, the third is the one */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(store_put_report(fx->s, r[i], NULL, &err), i < 2 ? 1 : -1);
		report_free(r[i]);
	}
	assert_non_null(strstr(err.msg, "report-id=g-2"));
	/* and outside a transaction, a group is refused */
	assert_int_equal(store_put_reports_in_batch(fx->s, items, 0, &err), -1);
	assert_non_null(strstr(err.msg, "outside a transaction"));
	free(empty);
	free(after);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_group_stores_what_one_by_one_stores),
	STORE_TEST(test_group_refused_is_rolled_back_whole),
};

STORE_TEST_MAIN(tests)
