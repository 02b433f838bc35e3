/* Unit tests for serve/serve: the route table (intake and dashboard on
 * one handler, login off) with fake requests over a temporary SQLite
 * store (the real store, no stubs): methods, limits on input, POST
 * outcomes, API and metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "fake_request.h"
#include "serve/serve.h"
#include "serve_fixture.h"
#include "util/xalloc.h"

static const char report[] =
	"{\"organization-name\":\"Org \\\"Q\\\"\",\"date-range\":{\"start-datetime\":"
	"\"2024-03-01T00:00:00Z\",\"end-datetime\":\"2024-03-01T23:59:59Z\"},"
	"\"contact-info\":\"x@example.net\",\"report-id\":\"unit-1\",\"policies\":[{"
	"\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	"\"summary\":{\"total-successful-session-count\":9,\"total-failure-session-count\":1},"
	"\"failure-details\":[{\"result-type\":\"certificate-expired\","
	"\"receiving-mx-hostname\":\"mx.example.com\",\"failed-session-count\":1}]}]}";

static int
setup(void **state)
{
	return open_serve_setup(state, "serve-unit");
}

/* Runs one request; returns the status, the body copied into out. */
static unsigned
run(struct open_serve_fixture *fx, struct fake *f, char **body_out, char *ctype, size_t ctlen)
{
	struct http_response resp;
	unsigned st;

	http_response_init(&resp);
	serve_handle_both(fx->app, &f->req, &resp);
	http_response_collect(&resp);  /* a stream body (/metrics) as sent */
	st = resp.status;
	if (body_out != NULL)
		*body_out = xstrdup(resp.body.data != NULL ? resp.body.data : "");
	if (ctype != NULL)
		snprintf(ctype, ctlen, "%s%s%s", resp.content_type, resp.allow[0] ? " allow=" : "",
			 resp.allow);
	http_response_cleanup(&resp);
	return st;
}

static void
test_serve_methods_and_unknown_paths(void **state)
{
	static const struct {
		const char *method, *path;
		unsigned want;
		const char *ctype_prefix;
	} cases[] = {
		{ "GET", "/tlsrpt", 405, " allow=POST" },
		{ "PUT", "/", 404, "text/plain" },
		{ "DELETE", "/api/summary", 405, "text/plain; charset=utf-8 allow=GET, HEAD" },
		{ "GET", "/nope", 404, "text/plain" },
		{ "GET", "/api/nope", 404, "application/json" },
		{ "GET", "/", 200, "text/html" },
		{ "HEAD", "/", 200, "text/html" },
		{ "GET", "/app.js", 200, "text/javascript" },
		{ "GET", "/style.css", 200, "text/css" },
		{ "GET", "/healthz", 200, "text/plain" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		char ct[160];

		fake_init(&f, cases[i].method, cases[i].path, NULL, 0);
		assert_int_equal(run(*state, &f, NULL, ct, sizeof(ct)), cases[i].want);
		if (cases[i].ctype_prefix[0] == ' ')
			assert_non_null(strstr(ct, cases[i].ctype_prefix));
		else
			assert_memory_equal(ct, cases[i].ctype_prefix, strlen(cases[i].ctype_prefix));
	}
}

static unsigned
post(struct open_serve_fixture *fx, const char *ctype, const char *body, size_t len, char **out)
{
	struct fake f;

	fake_init(&f, "POST", "/tlsrpt", body, len);
	f.headers[0][0] = "Content-Type";
	f.headers[0][1] = ctype;
	return run(fx, &f, out, NULL, 0);
}

static void
test_serve_post_stores_once_then_reports_duplicate(void **state)
{
	char *out = NULL;

	assert_int_equal(post(*state, "application/tlsrpt+json", report, sizeof(report) - 1, &out), 200);
	assert_string_equal(out, "stored report-id=unit-1\n");
	free(out);
	assert_int_equal(post(*state, "application/json; charset=utf-8", report,
			      sizeof(report) - 1, &out), 200);
	assert_string_equal(out, "duplicate report-id=unit-1\n");
	free(out);
}

static void
test_serve_post_rejects_bad_input_with_reason(void **state)
{
	static const struct {
		const char *ctype, *body;
		unsigned want;
		const char *reason;
	} cases[] = {
		{ "application/tlsrpt+json", "", 400, "empty body" },
		{ "application/tlsrpt+json", "{\"a\":", 400, "not JSON" },
		{ "application/tlsrpt+json", "{\"a\":1}", 400, "organization-name" },
		{ "application/tlsrpt+gzip", "\x1f\x8bnot gzip at all", 400, "" },
		{ "text/html", "<html>", 415, "Content-Type" },
		{ "application/tlsrpt+json", "hello", 400, "not a TLSRPT report" },
		{ "application/x-www-form-urlencoded", "{\"a\":1}", 400, "organization-name" },
		{ "application/x-www-form-urlencoded", "a=1&b=2", 415, "Content-Type" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(post(*state, cases[i].ctype, cases[i].body,
				      strlen(cases[i].body), &out), cases[i].want);
		if (strstr(out, cases[i].reason) == NULL)
			fail_msg("case %zu: reason \"%s\" not in \"%s\"", i, cases[i].reason, out);
		free(out);
	}
}

static void
test_serve_post_refuses_foreign_content_encoding(void **state)
{
	struct fake f;
	char *out = NULL;

	fake_init(&f, "POST", "/tlsrpt", report, sizeof(report) - 1);
	f.headers[0][0] = "Content-Type";
	f.headers[0][1] = "application/tlsrpt+json";
	f.headers[1][0] = "Content-Encoding";
	f.headers[1][1] = "br";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 415);
	free(out);
}

static void
test_serve_api_and_metrics_show_stored_report(void **state)
{
	struct fake f;
	char *out = NULL;

	assert_int_equal(post(*state, "application/tlsrpt+json", report, sizeof(report) - 1, NULL), 200);
	fake_init(&f, "GET", "/api/summary", NULL, 0);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"domains\":[\"example.com\"]"));
	assert_non_null(strstr(out, "{\"day\":\"2024-03-01\",\"reports\":1,\"success\":9,\"failure\":1}"));
	free(out);
	fake_init(&f, "GET", "/api/failures", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "EXAMPLE.com";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"result_type\":\"certificate-expired\""));
	assert_non_null(strstr(out, "\"fix\":\""));
	free(out);
	fake_init(&f, "GET", "/api/failures", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "other.example";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"failures\":[]"));
	free(out);
	fake_init(&f, "GET", "/metrics", NULL, 0);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "tlsrpt_sessions_total{domain=\"example.com\","
			       "org=\"Org \\\"Q\\\"\",result=\"failure\"} 1\n"));
	assert_non_null(strstr(out, "tlsrpt_failures_total{domain=\"example.com\","
			       "result_type=\"certificate-expired\"} 1\n"));
	assert_non_null(strstr(out, "tlsrpt_reports_received_total 1\n"));
	assert_non_null(strstr(out, "tlsrpt_http_requests_total{code=\"200\"} 4\n"));
	free(out);
}

/* /metrics lists each domain's organizations in the order they first
 * reported it, then by name, and its result types by failed sessions,
 * most first, then by name: the whole store part of the text, exactly. */
static void
test_serve_metrics_orders_series(void **state)
{
	static const struct {
		const char *org, *domain;
		int day;                /* of March 2024 */
		const char *type;
		int failed;
	} reports[] = {
		{ "Zed", "b.example", 1, "validation-failure", 2 },
		{ "Alpha", "b.example", 2, "certificate-expired", 5 },
		{ "Beta", "b.example", 1, "certificate-expired", 1 },
		{ "Beta", "a.example", 3, "starttls-not-supported", 1 },
	};
	static const char want[] =
		"tlsrpt_sessions_total{domain=\"a.example\",org=\"Beta\",result=\"success\"} 0\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Beta\",result=\"success\"} 1\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Zed\",result=\"success\"} 3\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Alpha\",result=\"success\"} 2\n"
		"tlsrpt_sessions_total{domain=\"a.example\",org=\"Beta\",result=\"failure\"} 1\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Beta\",result=\"failure\"} 1\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Zed\",result=\"failure\"} 2\n"
		"tlsrpt_sessions_total{domain=\"b.example\",org=\"Alpha\",result=\"failure\"} 5\n"
		"# HELP tlsrpt_failures_total Failed sessions in stored reports, by policy domain"
		" and result type.\n# TYPE tlsrpt_failures_total counter\n"
		"tlsrpt_failures_total{domain=\"a.example\",result_type=\"starttls-not-supported\"} 1\n"
		"tlsrpt_failures_total{domain=\"b.example\",result_type=\"certificate-expired\"} 6\n"
		"tlsrpt_failures_total{domain=\"b.example\",result_type=\"validation-failure\"} 2\n";
	struct fake f;
	char *out = NULL, *from, *to;
	size_t i;

	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		char *r = xasprintf(
			"{\"organization-name\":\"%s\",\"date-range\":{\"start-datetime\":"
			"\"2024-03-%02dT00:00:00Z\",\"end-datetime\":\"2024-03-%02dT23:59:59Z\"},"
			"\"contact-info\":\"x@example.net\",\"report-id\":\"order-%zu\","
			"\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
			"\"%s\"},\"summary\":{\"total-successful-session-count\":%zu,"
			"\"total-failure-session-count\":%d},\"failure-details\":[{\"result-type\":"
			"\"%s\",\"receiving-mx-hostname\":\"mx.%s\",\"failed-session-count\":%d}]}]}",
			reports[i].org, reports[i].day, reports[i].day, i, reports[i].domain, 3 - i,
			reports[i].failed, reports[i].type, reports[i].domain, reports[i].failed);

		assert_int_equal(post(*state, "application/tlsrpt+json", r, strlen(r), NULL), 200);
		free(r);
	}
	fake_init(&f, "GET", "/metrics", NULL, 0);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	from = strstr(out, "tlsrpt_sessions_total{");
	to = strstr(out, "# HELP tlsrpt_reports_received_total");
	assert_non_null(from);
	assert_non_null(to);
	*to = '\0';
	assert_string_equal(from, want);
	free(out);
}

/* /api/reports?limit=N: newest first (the same day: the later stored
 * first), "truncated" only when a report was left out. */
static void
test_serve_api_reports_truncated_only_when_more_exist(void **state)
{
	struct fake f;
	char *out = NULL, *second;
	const char *id;

	assert_int_equal(post(*state, "application/tlsrpt+json", report, sizeof(report) - 1, NULL), 200);
	fake_init(&f, "GET", "/api/reports", NULL, 0);
	f.query[0][0] = "limit";
	f.query[0][1] = "1";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"report_id\":\"unit-1\""));
	assert_non_null(strstr(out, "\"truncated\":false"));
	free(out);
	second = xstrdup(report);
	id = strstr(second, "unit-1");
	assert_non_null(id);
	second[id - second + 5] = '2';
	assert_int_equal(post(*state, "application/tlsrpt+json", second, strlen(second), NULL), 200);
	free(second);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"truncated\":true"));
	assert_non_null(strstr(out, "unit-2"));
	assert_null(strstr(out, "unit-1"));
	assert_non_null(strstr(out, "\"total\":2"));
	free(out);
	f.query[0][1] = "2";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "unit-1"));
	assert_non_null(strstr(out, "\"truncated\":false"));
	free(out);
}

/* /api/reports shows the leniencies applied when the report was read:
 * here a count given as a string. */
static void
test_serve_api_reports_show_quirks(void **state)
{
	struct fake f;
	const char *nine = strstr(report, "\"total-successful-session-count\":9,");
	char *out = NULL, *quirky;

	assert_non_null(nine);
	nine = strchr(nine, ':');
	quirky = xasprintf("%.*s\"9\"%s", (int)(nine + 1 - report), report, nine + 2);
	assert_int_equal(post(*state, "application/tlsrpt+json", quirky, strlen(quirky), NULL), 200);
	free(quirky);
	fake_init(&f, "GET", "/api/reports", NULL, 0);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"quirks\":[\"policies[0].policy.policy-string: missing\","
			       "\"policies[0].summary.total-successful-session-count:"
			       " count given as the string \\\"9\\\"\"]"));
	free(out);
}

/* The same report-id with other contents: /api/summary counts the
 * conflict; the first report's figures count. */
static void
test_serve_api_summary_counts_conflicts(void **state)
{
	struct fake f;
	const char *nine = strstr(report, ":9,");
	char *out = NULL, *other;

	assert_int_equal(post(*state, "application/tlsrpt+json", report, sizeof(report) - 1, NULL), 200);
	other = xasprintf("%.*s:8,%s", (int)(nine - report), report, nine + 3);
	assert_int_equal(post(*state, "application/tlsrpt+json", other, strlen(other), NULL), 200);
	free(other);
	fake_init(&f, "GET", "/api/summary", NULL, 0);
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"conflicts\":1"));
	assert_non_null(strstr(out, "{\"day\":\"2024-03-01\",\"reports\":1,\"success\":9,"));
	free(out);
}

/* A report with a policy that names no policy-domain (and one that does)
 * next to `report`. */
static const char mixed[] =
	"{\"organization-name\":\"Org N\",\"date-range\":{\"start-datetime\":"
	"\"2024-03-02T00:00:00Z\",\"end-datetime\":\"2024-03-02T23:59:59Z\"},"
	"\"contact-info\":\"x@example.net\",\"report-id\":\"unit-nodomain\",\"policies\":[{"
	"\"policy\":{\"policy-type\":\"sts\"},"
	"\"summary\":{\"total-successful-session-count\":3,\"total-failure-session-count\":2},"
	"\"failure-details\":[{\"result-type\":\"starttls-not-supported\","
	"\"receiving-mx-hostname\":\"mx.none.example\",\"failed-session-count\":2}]},{"
	"\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	"\"summary\":{\"total-successful-session-count\":40,\"total-failure-session-count\":0}}]}";

/* domain=- is the policies without policy-domain (everything else left
 * out); domain= (empty) is no filter. */
static void
test_serve_api_no_domain_filter(void **state)
{
	struct fake f;
	char *out = NULL;

	assert_int_equal(post(*state, "application/tlsrpt+json", report, sizeof(report) - 1, NULL), 200);
	assert_int_equal(post(*state, "application/tlsrpt+json", mixed, sizeof(mixed) - 1, NULL), 200);
	fake_init(&f, "GET", "/api/summary", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "-";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "{\"reports\":1,\"success\":3,\"failure\":2,"));
	assert_non_null(strstr(out, "\"days\":[{\"day\":\"2024-03-02\",\"reports\":1,"
			       "\"success\":3,\"failure\":2}]"));
	assert_non_null(strstr(out, "\"domain_totals\":[{\"domain\":\"\",\"reports\":1,"
			       "\"success\":3,\"failure\":2,\"last_received\":"));
	assert_non_null(strstr(out, "\"policies\":[{\"domain\":\"\",\"policy_type\":\"sts\""));
	assert_non_null(strstr(out, "\"query\":{\"since\":0,\"until\":0,\"domain\":\"-\"}"));
	assert_null(strstr(out, "example.com"));
	free(out);
	fake_init(&f, "GET", "/api/failures", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "-";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "\"failures\":[{\"domain\":\"\",\"result_type\":"
			       "\"starttls-not-supported\",\"mx\":\"mx.none.example\",\"count\":2,"));
	assert_null(strstr(out, "certificate-expired"));
	free(out);
	fake_init(&f, "GET", "/api/reports", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "-";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "unit-nodomain"));
	assert_null(strstr(out, "unit-1"));
	free(out);
	fake_init(&f, "GET", "/api/summary", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = "";
	assert_int_equal(run(*state, &f, &out, NULL, 0), 200);
	assert_non_null(strstr(out, "{\"reports\":2,\"success\":52,\"failure\":3,"));
	assert_non_null(strstr(out, "\"domains\":[\"\",\"example.com\"]"));
	assert_non_null(strstr(out, "\"query\":{\"since\":0,\"until\":0}"));
	free(out);
}

/* A store that stops answering (its reports table gone behind serve's
 * back): /healthz says 503 with the reason, a POST is refused with 500 so
 * the sender retries, and nothing claims success. */
static void
test_serve_broken_store_gives_503_healthz_and_500_post(void **state)
{
	struct open_serve_fixture *fx = *state;
	struct fake f;
	char *out = NULL, *path = xasprintf("%s/db.sqlite", fx->dir);
	sqlite3 *db;

	fake_init(&f, "GET", "/healthz", NULL, 0);
	assert_int_equal(run(fx, &f, &out, NULL, 0), 200);
	assert_string_equal(out, "ok\n");
	free(out);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE reports RENAME TO reports_gone", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	free(path);

	fake_init(&f, "GET", "/healthz", NULL, 0);
	assert_int_equal(run(fx, &f, &out, NULL, 0), 503);
	assert_non_null(strstr(out, "store unavailable: "));
	assert_non_null(strstr(out, "reports"));
	free(out);
	assert_int_equal(post(fx, "application/tlsrpt+json", report, sizeof(report) - 1, &out), 500);
	assert_non_null(strstr(out, "temporary failure"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_serve_methods_and_unknown_paths, setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_post_stores_once_then_reports_duplicate,
						setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_post_rejects_bad_input_with_reason,
						setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_post_refuses_foreign_content_encoding,
						setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_api_and_metrics_show_stored_report,
						setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_api_reports_show_quirks, setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_api_summary_counts_conflicts, setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_metrics_orders_series, setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_api_reports_truncated_only_when_more_exist,
						setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_api_no_domain_filter, setup, open_serve_teardown),
		cmocka_unit_test_setup_teardown(test_serve_broken_store_gives_503_healthz_and_500_post,
						setup, open_serve_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
