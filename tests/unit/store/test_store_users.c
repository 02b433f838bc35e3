/* Unit tests for store/store_users (users, grants, tokens, sessions) and
 * the viewer scope of a store handle (store_set_scope()), on SQLite and
 * PostgreSQL. */
#include "unit/store/store_test.h"

#include "model/domain_scope.h"
#include "model/report_json.h"
#include "store/store_reports.h"
#include "store/store_summary.h"
#include "store/store_users.h"

static int
count_grant(void *ctx, const char *pattern)
{
	(void)pattern;
	(*(int *)ctx)++;
	return 0;
}

static void
test_users_add_grant_token_session_del(void **state)
{
	struct store_fixture *f = *state;
	struct store_user u;
	struct err err;
	char csrf[65];
	int n = 0;

	assert_int_equal(store_user_add(f->s, "alice", "$y$hash1", 0, 10, &err), 1);
	assert_int_equal(store_user_add(f->s, "alice", "$y$other", 1, 10, &err), 0);
	assert_int_equal(store_user_add(f->s, "bob", "$y$hash2", 1, 10, &err), 1);
	assert_int_equal(store_user_get(f->s, "alice", &u, &err), 1);
	assert_string_equal(u.password_hash, "$y$hash1");
	assert_int_equal(u.admin, 0);
	assert_int_equal(store_user_get(f->s, "nobody", &u, &err), 0);

	assert_int_equal(store_grant_add(f->s, "alice", "a.example", &err), 1);
	assert_int_equal(store_grant_add(f->s, "alice", "a.example", &err), 0);
	assert_int_equal(store_grant_add(f->s, "alice", "*.b.example", &err), 1);
	assert_int_equal(store_grant_add(f->s, "nobody", "c.example", &err), 0);
	assert_int_equal(store_grant_add(f->s, "bob", "a.example", &err), 1);
	assert_int_equal(store_user_get(f->s, "alice", &u, &err), 1);
	assert_int_equal(store_grant_list(f->s, u.id, count_grant, &n, &err), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_grant_list(f->s, 0, count_grant, &n, &err), 0);
	assert_int_equal(n, 2);                /* distinct patterns of everyone */
	assert_int_equal(store_grant_del(f->s, "alice", "*.b.example", &err), 1);
	assert_int_equal(store_grant_del(f->s, "alice", "*.b.example", &err), 0);

	assert_int_equal(store_token_add(f->s, "alice", "t-hash", "api", 10, &err), 1);
	assert_int_equal(store_token_add(f->s, "nobody", "t-hash2", "api", 10, &err), 0);
	assert_int_equal(store_token_user(f->s, "t-hash", &u, &err), 1);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.password_hash, "");
	assert_int_equal(store_token_user(f->s, "t-none", &u, &err), 0);

	assert_int_equal(store_user_get(f->s, "alice", &u, &err), 1);
	if (store_session_add(f->s, u.id, "s-hash", "csrf1", 100, 200, &err) != 0)
		fail_msg("store_session_add: %s", err.msg);
	assert_int_equal(store_session_user(f->s, "s-hash", 150, &u, csrf, &err), 1);
	assert_string_equal(csrf, "csrf1");
	assert_int_equal(store_session_user(f->s, "s-hash", 200, &u, csrf, &err), 0); /* expired */
	/* a new password ends the sessions */
	assert_int_equal(store_user_set_password(f->s, "alice", "$y$new", &err), 1);
	assert_int_equal(store_session_user(f->s, "s-hash", 150, &u, csrf, &err), 0);
	assert_int_equal(store_user_set_password(f->s, "nobody", "$y$new", &err), 0);

	/* deleting the user takes its token and grants along */
	assert_int_equal(store_user_del(f->s, "alice", &err), 1);
	assert_int_equal(store_user_del(f->s, "alice", &err), 0);
	assert_int_equal(store_token_user(f->s, "t-hash", &u, &err), 0);
	n = 0;
	assert_int_equal(store_grant_list(f->s, 0, count_grant, &n, &err), 0);
	assert_int_equal(n, 1);                /* bob's */
}

/* Two policies of two tenants in one report, and a report of one. */
static const char two[] =
	"{\"organization-name\":\"Org\",\"date-range\":{\"start-datetime\":"
	"\"2024-03-01T00:00:00Z\",\"end-datetime\":\"2024-03-01T23:59:59Z\"},"
	"\"contact-info\":\"x@example.net\",\"report-id\":\"two\",\"policies\":["
	"{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"ours.example\"},"
	"\"summary\":{\"total-successful-session-count\":5,\"total-failure-session-count\":0}},"
	"{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"theirs.example\"},"
	"\"summary\":{\"total-successful-session-count\":7,\"total-failure-session-count\":1}}]}";
static const char theirs[] =
	"{\"organization-name\":\"Org\",\"date-range\":{\"start-datetime\":"
	"\"2024-03-02T00:00:00Z\",\"end-datetime\":\"2024-03-02T23:59:59Z\"},"
	"\"contact-info\":\"x@example.net\",\"report-id\":\"theirs\",\"policies\":["
	"{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"theirs.example\"},"
	"\"summary\":{\"total-successful-session-count\":3,\"total-failure-session-count\":0}}]}";

struct seen {
	int reports, policies, theirs;
};

static int
on_report(void *ctx, int64_t id, const struct report *r)
{
	struct seen *s = ctx;

	(void)id;
	s->reports++;
	for (size_t i = 0; i < r->n_policies; i++) {
		s->policies++;
		s->theirs += strcmp(r->policies[i].policy_domain, "theirs.example") == 0;
	}
	return 0;
}

static int
on_row(void *ctx, const struct store_summary_row *row)
{
	struct seen *s = ctx;

	s->policies++;
	s->theirs += strcmp(row->domain, "theirs.example") == 0;
	return 0;
}

static void
put(struct store *st, const char *json)
{
	struct err err;
	struct report *r = report_parse_json(json, strlen(json), &err);
	struct report_source src = { "file", "t", json, 1 };

	assert_non_null(r);
	assert_int_equal(store_put_report(st, r, &src, &err), 1);
	report_free(r);
}

static void
test_scope_hides_other_tenants_policies_and_reports(void **state)
{
	struct store_fixture *f = *state;
	struct domain_scope *ours = domain_scope_new(), *all = domain_scope_new_all();
	struct report_query q = { 0 };
	struct seen s = { 0 };
	struct err err;
	uint64_t n = 0;

	put(f->s, two);
	put(f->s, theirs);
	assert_int_equal(domain_scope_add(ours, "ours.example", &err), 0);
	store_set_scope(f->s, ours);
	assert_int_equal(store_query_reports(f->s, NULL, on_report, &s, &err), 0);
	assert_int_equal(s.reports, 1);
	assert_int_equal(s.policies, 1);
	assert_int_equal(s.theirs, 0);
	memset(&s, 0, sizeof(s));
	q.domain = "theirs.example";              /* asking for it directly */
	assert_int_equal(store_query_reports(f->s, &q, on_report, &s, &err), 0);
	assert_int_equal(s.theirs, 0);            /* report "two" shows only its ours policy */
	assert_int_equal(s.policies, s.reports);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_summary_days(f->s, 0, 0, NULL, on_row, &s, &err), 0);
	assert_int_equal(s.policies, 1);
	assert_int_equal(s.theirs, 0);
	assert_int_equal(store_summary_reports(f->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_summary_reports(f->s, 0, 0, "theirs.example", &n, &err), 0);
	assert_int_equal(n, 0);
	store_set_scope(f->s, all);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_query_reports(f->s, NULL, on_report, &s, &err), 0);
	assert_int_equal(s.reports, 2);
	assert_int_equal(s.theirs, 2);
	store_set_scope(f->s, NULL);
	assert_int_equal(store_summary_reports(f->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 2);
	domain_scope_free(&ours);
	domain_scope_free(&all);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_users_add_grant_token_session_del),
	STORE_TEST(test_scope_hides_other_tenants_policies_and_reports),
};

STORE_TEST_MAIN(tests)
