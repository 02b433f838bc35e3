/* Unit tests for the policies list (STORE_VIEW_POLICY): read through
 * rollup_policies (whole 16-day blocks, the ends from report rows, all
 * time from span 0), it equals the grouping of the report rows for every
 * kind of period, for one domain, one organization and a viewer scope,
 * before and after prune; the kept roll-up equals its recomputation. */
#include "unit/store/rollup_test.h"

#include "model/domain_scope.h"
#include "store/store_prune.h"
#include "store/store_rollup.h"

#define FIRST_DAY (DAY0 - 300)   /* reports on 620 days from here */

/* Report i: of day FIRST_DAY + (i * 7) % 620 at hour (i * 5) % 24, of
 * organization i % 3 and domain i % 4, with an STS policy of one of two
 * policy-string lists, sometimes the same policy twice (the report counts
 * once), a TLSA policy and a policy without domain or strings. */
static struct report *
make_policies(int i)
{
	static const char *const orgs[] = { "Google Inc.", "Microsoft", "" };
	struct report *r = report_new();
	struct policy *p;
	char dom[32];
	int dups = i % 5 == 0 ? 2 : 1;

	r->organization_name = xstrdup(orgs[i % 3]);
	r->report_id = xasprintf("p%d", i);
	r->start = (int64_t)(FIRST_DAY + (i * 7) % 620) * 86400 + (i * 5) % 24 * 3600;
	r->end = r->start + 86399;
	snprintf(dom, sizeof(dom), "D%d.Example.", i % 4);
	for (int k = 0; k < dups; k++) {
		p = add_policy(r, dom, "sts", 100 + (uint64_t)i, (uint64_t)(i % 3));
		p->has_policy_string = 1;
		strlist_add(&p->policy_string, "version: STSv1");
		strlist_add(&p->policy_string, i % 2 ? "mode: enforce" : "mode: testing");
	}
	if (i % 3 == 0) {
		p = add_policy(r, dom, "tlsa", 5, 1);
		p->has_policy_string = 1;
		strlist_add(&p->policy_string, "3 1 1 ABCDEF");
	}
	if (i % 7 == 0)
		add_policy(r, NULL, "no-policy-found", 7, 0);
	return r;
}

static int
on_policy_text(void *ctx, const struct store_view_row *r)
{
	buf_printf(ctx, "%s|%s|%s|%llu|%llu|%llu|%lld|%lld\n", r->k1, r->k2, r->k3,
		   (unsigned long long)r->reports, (unsigned long long)r->success,
		   (unsigned long long)r->failure, (long long)r->first_start,
		   (long long)r->last_received);
	return 0;
}

/* The same from the report rows (the definition), for q's period, domain
 * and organization, and the domains in `scope` ("" none: every domain). */
static char *
rows_text(struct store *s, const struct report_query *q, const char *scope)
{
	char *sql = xasprintf("SELECT p.domain_key, COALESCE(p.policy_type, ''),"
			      " COALESCE(p.policy_strings, '[]'), COUNT(DISTINCT r.id),"
			      " SUM(p.total_success), SUM(p.total_failure), MIN(r.start_time),"
			      " MAX(r.received) FROM reports r JOIN report_policies p"
			      " ON p.report = r.id WHERE (r.start_time >= %lld OR %lld = 0)"
			      " AND (r.start_time < %lld OR %lld = 0) AND (%d = 0 OR p.domain_key"
			      " = '%s') AND (%d = 0 OR r.organization = '%s')"
			      " AND ('%s' = '' OR p.domain_key = '%s') GROUP BY 1, 2, 3",
			      (long long)q->since, (long long)q->since, (long long)q->until,
			      (long long)q->until, q->domain != NULL,
			      q->domain != NULL ? q->domain : "", q->organization != NULL,
			      q->organization != NULL ? q->organization : "", scope, scope);

	return sql_rows_text(s, sql, 3, 5);
}

/* The policies list equals the report rows for every period below, for
 * every domain, one domain and one organization; returns the lines seen. */
static size_t
views_agree(struct store *s, const char *scope)
{
	static const struct {
		int64_t since, until;   /* seconds from FIRST_DAY 00:00; -1: open */
	} periods[] = {
		{ -1, -1 },                             /* all time: span 0 */
		{ 3 * 86400, 200 * 86400 },             /* whole days */
		{ 12 * 86400, 524 * 86400 },            /* whole days over a 256-day block */
		{ 17 * 86400 + 1800, 500 * 86400 + 7200 },  /* mid-day ends */
		{ -1, 300 * 86400 + 3600 },             /* open start */
		{ 100 * 86400 + 60, -1 },               /* open end */
		{ 50 * 86400 + 1800, 50 * 86400 + 7200 },  /* within one day */
		{ 20 * 86400, 30 * 86400 },             /* within one block */
		{ 700 * 86400, 800 * 86400 },           /* nothing */
	};
	static const struct report_query filters[] = {
		{ 0 }, { .domain = "d1.example" }, { .domain = "" },
		{ .organization = "Microsoft" },
		{ .domain = "d2.example", .organization = "Google Inc." },
	};
	size_t lines = 0;

	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
		for (size_t k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
			struct report_query q = filters[k];
			char *got, *want;

			q.since = periods[p].since < 0 ? 0
				  : (int64_t)FIRST_DAY * 86400 + periods[p].since;
			q.until = periods[p].until < 0 ? 0
				  : (int64_t)FIRST_DAY * 86400 + periods[p].until;
			got = groups_text(s, &q, STORE_VIEW_POLICY, on_policy_text);
			want = rows_text(s, &q, scope);
			if (strcmp(got, want) != 0)
				fail_msg("period %zu filter %zu:\n%s\nwant:\n%s", p, k, got, want);
			for (const char *c = want; *c != '\0'; c++)
				lines += *c == '\n';
			free(got);
			free(want);
		}
	return lines;
}

static char *
table_text(struct store *s)
{
	struct buf b;
	struct err err;
	struct db_stmt *st = db_prepare(s->db, "SELECT domain_key, span, block, organization,"
					" digest, policy_type, policy_strings, reports, success,"
					" failure, first_start, last_received FROM rollup_policies"
					" ORDER BY 1, 2, 3, 4, 5", &err);
	int rc;

	if (st == NULL)
		fail_msg("%s", err.msg);
	buf_init(&b, 16u << 20);
	while ((rc = db_step(st, &err)) == 1) {
		for (int c = 0; c < 12; c++)
			buf_printf(&b, "%s|", db_column_text(st, c));
		buf_append_str(&b, "\n");
	}
	db_reset(st);
	assert_int_equal(rc, 0);
	return buf_steal(&b, NULL);
}

/* rollup_policies as kept equals its recomputation, and the views agree
 * with the report rows, without and with a viewer scope. */
static size_t
all_agree(struct store *s)
{
	struct domain_scope *sc = domain_scope_new();
	char *kept = table_text(s), *again;
	struct err err;
	size_t n;

	assert_int_equal(store_begin(s, &err), 0);
	if (store_rollup_rebuild(s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(store_commit(s, &err), 0);
	again = table_text(s);
	assert_string_equal(kept, again);
	free(kept);
	free(again);
	n = views_agree(s, "");
	assert_int_equal(domain_scope_add(sc, "d3.example", &err), 0);
	store_set_scope(s, sc);
	views_agree(s, "d3.example");
	store_set_scope(s, NULL);
	domain_scope_free(&sc);
	return n;
}

static void
test_policies_view(void **state)
{
	struct store_fixture *f = *state;
	struct store_prune_stats ps = { 0 };
	struct err err;
	int i;

	/* some in one batch, the rest one transaction each */
	assert_int_equal(store_begin(f->s, &err), 0);
	for (i = 0; i < 150; i++)
		put(f->s, make_policies(i), (int64_t)(DAY0 + 400) * 86400 + i, 1);
	assert_int_equal(store_commit(f->s, &err), 0);
	for (; i < 300; i++)
		put(f->s, make_policies(i), (int64_t)(DAY0 + 400) * 86400 + i, 1);
	assert_true(all_agree(f->s) > 100);
	/* prune the first 100 days (batches of 13), then most of the rest */
	if (store_prune(f->s, (int64_t)(FIRST_DAY + 100) * 86400, 13, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(ps.reports > 0 && ps.transactions > 1);
	assert_true(all_agree(f->s) > 20);
	if (store_prune(f->s, (int64_t)(FIRST_DAY + 550) * 86400, 50, &ps, &err) < 0)
		fail_msg("%s", err.msg);
	all_agree(f->s);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_policies_view),
};

STORE_TEST_MAIN(tests)
