/* Unit tests for serve's login and tenant separation (serve_auth.c,
 * store_set_scope()): fake requests over a temporary SQLite store with
 * real users (crypt(3) hashes), tokens and sessions.  Every dashboard
 * route refuses a request without valid credentials; the intake serves
 * none of them; a tenant never sees another tenant's domain through any
 * parameter; the intake refuses reports for domains that are not ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>

#include "auth/auth_password.h"
#include "auth/auth_secret.h"
#include "fake_request.h"
#include "serve/serve.h"
#include "serve_fixture.h"
#include "store/store_users.h"
#include "util/xalloc.h"

/* One report per tenant domain: ours.example (alice's), theirs.example (bob's). */
#define REPORT(ID, DOMAIN, DAY) \
	"{\"organization-name\":\"Org " DOMAIN "\",\"date-range\":{\"start-datetime\":" \
	"\"2024-03-" DAY "T00:00:00Z\",\"end-datetime\":\"2024-03-" DAY "T23:59:59Z\"}," \
	"\"contact-info\":\"x@" DOMAIN "\",\"report-id\":\"" ID "\",\"policies\":[{" \
	"\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"" DOMAIN "\"}," \
	"\"summary\":{\"total-successful-session-count\":9,\"total-failure-session-count\":1}," \
	"\"failure-details\":[{\"result-type\":\"certificate-expired\"," \
	"\"receiving-mx-hostname\":\"mx." DOMAIN "\",\"failed-session-count\":1}]}]}"

static const char ours[] = REPORT("r-ours", "ours.example", "01");
static const char sub[] = REPORT("r-sub", "mail.sub.ours.example", "02");
static const char theirs[] = REPORT("r-theirs", "theirs.example", "03");
static const char stranger[] = REPORT("r-stranger", "stranger.example", "04");

struct fixture {
	char dir[64];
	struct serve *app;
	char alice_tok[AUTH_TOKEN_LEN + 1], bob_tok[AUTH_TOKEN_LEN + 1];
	char admin_tok[AUTH_TOKEN_LEN + 1];
};

static void
add_user(struct store *st, const char *name, int admin, const char *pw, char *tok)
{
	struct err err;
	char sec[AUTH_SECRET_HEX + 1], hash[AUTH_SECRET_HEX + 1];
	char *h = auth_password_hash(pw, &err);

	assert_non_null(h);
	assert_int_equal(store_user_add(st, name, h, admin, 1, &err), 1);
	free(h);
	assert_int_equal(auth_secret_new(sec, &err), 0);
	snprintf(tok, AUTH_TOKEN_LEN + 1, "%s%s", AUTH_TOKEN_PREFIX, sec);
	auth_secret_hash(tok, hash);
	assert_int_equal(store_token_add(st, name, hash, "t", 1, &err), 1);
}

/* Runs req on handler; returns the status, body into *out (may be NULL). */
static unsigned
run(void (*h)(void *, const struct http_request *, struct http_response *),
    struct fixture *fx, struct fake *f, char **out, char *cookie, size_t cookielen)
{
	struct http_response resp;
	unsigned st;

	http_response_init(&resp);
	h(fx->app, &f->req, &resp);
	http_response_collect(&resp);  /* a stream body (/metrics) as sent */
	st = resp.status;
	if (out != NULL)
		*out = xstrdup(resp.body.data != NULL ? resp.body.data : "");
	if (cookie != NULL)
		snprintf(cookie, cookielen, "%s", resp.set_cookie);
	http_response_cleanup(&resp);
	return st;
}

static unsigned
post(struct fixture *fx, const char *body, char **out)
{
	struct fake f;

	fake_init(&f, "POST", "/tlsrpt", body, strlen(body));
	f.headers[0][0] = "Content-Type";
	f.headers[0][1] = "application/tlsrpt+json";
	return run(serve_handle_intake, fx, &f, out, NULL, 0);
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct serve_config cfg = { 0 };
	struct store *st;
	struct err err;
	char *url;

	if ((url = fixture_store_url(fx->dir, "auth-unit")) == NULL)
		return -1;
	st = store_open(url, &err);
	assert_non_null(st);
	add_user(st, "alice", 0, "alice-password", fx->alice_tok);
	add_user(st, "bob", 0, "bob-password", fx->bob_tok);
	add_user(st, "root", 1, "root-password", fx->admin_tok);
	assert_int_equal(store_grant_add(st, "alice", "ours.example", &err), 1);
	assert_int_equal(store_grant_add(st, "alice", "*.sub.ours.example", &err), 1);
	assert_int_equal(store_grant_add(st, "bob", "theirs.example", &err), 1);
	store_close(&st);
	cfg.db_url = url;
	cfg.accept_domains = "stranger.example";
	fx->app = fixture_serve_new(&cfg);
	free(url);
	assert_int_equal(post(fx, ours, NULL), 200);
	assert_int_equal(post(fx, sub, NULL), 200);
	assert_int_equal(post(fx, theirs, NULL), 200);
	assert_int_equal(post(fx, stranger, NULL), 200);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	fixture_remove(&fx->app, fx->dir);
	free(fx);
	return 0;
}

/* Every dashboard route, as a table. */
static const struct {
	const char *method, *path;
} dashboard_routes[] = {
	{ "GET", "/" }, { "GET", "/index.html" }, { "GET", "/app.js" },
	{ "GET", "/api/summary" }, { "GET", "/api/failures" }, { "GET", "/api/reports" },
	{ "GET", "/api/domains" }, { "GET", "/api/report" }, { "GET", "/api/report/raw" },
	{ "GET", "/api/nope" }, { "GET", "/metrics" }, { "GET", "/healthz" },
	{ "GET", "/auth/me" }, { "POST", "/auth/logout" }, { "HEAD", "/api/summary" },
	{ "GET", "/nope" }, { "POST", "/api/summary" },
};

static void
test_auth_every_dashboard_route_refuses_without_credentials(void **state)
{
	struct fixture *fx = *state;
	/* no credentials, then credentials that are wrong in each way */
	const char *bad[][2] = {
		{ NULL, NULL },
		{ "Authorization", "Bearer tlsrpt_0000000000000000000000000000000000000000"
				   "000000000000000000000000" },
		{ "Authorization", "Bearer " },
		{ "Authorization", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=" },   /* alice:alice-password */
		{ "Authorization", "Basic !!!" },
		{ "Cookie", "tlsrpt_session=0123456789abcdef0123456789abcdef0123456789abcdef"
			    "0123456789abcdef" },
		{ "Cookie", "tlsrpt_csrf=abc" },
	};
	struct fake f;
	char *out;

	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		for (size_t i = 0; i < sizeof(dashboard_routes) / sizeof(dashboard_routes[0]); i++) {
			fake_init(&f, dashboard_routes[i].method, dashboard_routes[i].path, NULL, 0);
			f.headers[0][0] = bad[b][0];
			f.headers[0][1] = bad[b][1];
			if (run(serve_handle_dashboard, fx, &f, &out, NULL, 0) != 401)
				fail_msg("%s %s with %s: not 401", dashboard_routes[i].method,
					 dashboard_routes[i].path, bad[b][0] ? bad[b][1] : "nothing");
			assert_null(strstr(out, "ours.example"));
			free(out);
		}
	}
	/* the login page itself is open */
	fake_init(&f, "GET", "/login.html", NULL, 0);
	assert_int_equal(run(serve_handle_dashboard, fx, &f, NULL, NULL, 0), 200);
}

static void
test_auth_intake_serves_no_dashboard_route(void **state)
{
	struct fixture *fx = *state;
	struct fake f;
	char auth[128];

	snprintf(auth, sizeof(auth), "Bearer %s", fx->admin_tok);
	for (size_t i = 0; i < sizeof(dashboard_routes) / sizeof(dashboard_routes[0]); i++) {
		if (strcmp(dashboard_routes[i].path, "/healthz") == 0)
			continue;
		fake_init(&f, dashboard_routes[i].method, dashboard_routes[i].path, NULL, 0);
		f.headers[0][0] = "Authorization";      /* even an admin's token */
		f.headers[0][1] = auth;
		if (run(serve_handle_intake, fx, &f, NULL, NULL, 0) != 404)
			fail_msg("intake %s %s: not 404", dashboard_routes[i].method,
				 dashboard_routes[i].path);
	}
	fake_init(&f, "GET", "/healthz", NULL, 0);
	assert_int_equal(run(serve_handle_intake, fx, &f, NULL, NULL, 0), 200);
}

/* GET path?name=value as alice (Bearer); returns the status, body in out. */
static unsigned
as_user(struct fixture *fx, const char *tok, const char *path, const char *name,
	const char *value, char **out)
{
	struct fake f;
	char auth[128];

	snprintf(auth, sizeof(auth), "Bearer %s", tok);
	fake_init(&f, "GET", path, NULL, 0);
	f.headers[0][0] = "Authorization";
	f.headers[0][1] = auth;
	f.query[0][0] = name;
	f.query[0][1] = value;
	return run(serve_handle_dashboard, fx, &f, out, NULL, 0);
}

/* The answer without its "query" member (which echoes what was asked,
 * not stored data); text (/metrics) as it is.  Replaces *out. */
static void
without_query(char **out)
{
	json_t *v = json_loads(*out, 0, NULL);
	char *text;

	if (v == NULL)
		return;
	json_object_del(v, "query");
	text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	free(*out);
	*out = text;
}

static void
test_auth_tenant_sees_only_its_domains_whatever_the_parameters(void **state)
{
	struct fixture *fx = *state;
	static const char *paths[] = { "/api/summary", "/api/failures", "/api/reports",
				       "/metrics", "/api/domains" };
	static const char *const params[][2] = {
		{ NULL, NULL }, { "domain", "theirs.example" }, { "domain", "THEIRS.example." },
		{ "domain", "-" }, { "domain", "" }, { "org", "Org theirs.example" },
		{ "domain", "*.example" }, { "domain", "theirs.example%" },
		{ "since", "2024-03-03" }, { "until", "2024-03-04" },
	};
	char *out;

	for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
		for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
			unsigned st = as_user(fx, fx->alice_tok, paths[p], params[i][0],
					      params[i][1], &out);

			without_query(&out);
			if (st != 200 && st != 403 && st != 400)
				fail_msg("%s %s=%s: %u", paths[p], params[i][0], params[i][1], st);
			if (strstr(out, "theirs") != NULL || strstr(out, "stranger") != NULL)
				fail_msg("alice sees another tenant in %s?%s=%s: %s", paths[p],
					 params[i][0], params[i][1], out);
			free(out);
		}
	}
	/* nor one report by its id (every id stored here), nor its raw JSON */
	for (int id = 1; id <= 16; id++) {
		char num[16];

		snprintf(num, sizeof(num), "%d", id);
		for (int raw = 0; raw < 2; raw++) {
			unsigned st = as_user(fx, fx->alice_tok, raw ? "/api/report/raw" :
					      "/api/report", "id", num, &out);

			if (st != 200 && st != 404 && st != 403)
				fail_msg("report id=%d: %u", id, st);
			if (strstr(out, "theirs") != NULL || strstr(out, "stranger") != NULL)
				fail_msg("alice sees another tenant in report id=%d: %s", id, out);
			free(out);
		}
	}
	/* and she does see her own, the pattern grant included */
	assert_int_equal(as_user(fx, fx->alice_tok, "/api/summary", NULL, NULL, &out), 200);
	assert_non_null(strstr(out, "\"domains\":[\"mail.sub.ours.example\",\"ours.example\"]"));
	free(out);
	assert_int_equal(as_user(fx, fx->alice_tok, "/metrics", NULL, NULL, &out), 200);
	assert_non_null(strstr(out, "domain=\"ours.example\""));
	assert_null(strstr(out, "tlsrpt_http_requests_total"));     /* admins only */
	free(out);
	/* bob sees his, not alice's */
	assert_int_equal(as_user(fx, fx->bob_tok, "/api/reports", "domain", "ours.example",
				 &out), 200);
	without_query(&out);
	assert_null(strstr(out, "ours.example"));
	free(out);
	/* the administrator sees everything */
	assert_int_equal(as_user(fx, fx->admin_tok, "/api/summary", NULL, NULL, &out), 200);
	assert_non_null(strstr(out, "theirs.example"));
	assert_non_null(strstr(out, "ours.example"));
	assert_non_null(strstr(out, "stranger.example"));
	free(out);
}

static void
test_auth_intake_refuses_foreign_domains_and_counts_them(void **state)
{
	struct fixture *fx = *state;
	char *out;

	assert_int_equal(post(fx, REPORT("r-x", "nobody.example", "05"), &out), 403);
	assert_non_null(strstr(out, "refused report-id=r-x"));
	free(out);
	assert_int_equal(as_user(fx, fx->admin_tok, "/metrics", NULL, NULL, &out), 200);
	assert_non_null(strstr(out, "tlsrpt_reports_refused_total 1\n"));
	free(out);
	assert_int_equal(as_user(fx, fx->admin_tok, "/api/reports", NULL, NULL, &out), 200);
	assert_null(strstr(out, "r-x"));
	free(out);
}

/* POST /auth/login with csrf header/cookie from GET /auth/csrf. */
static unsigned
login(struct fixture *fx, const char *body, const char *addr, int good_csrf, char *cookie,
      size_t cookielen, char **out)
{
	struct fake f;
	char set[320], hdr[400], *csrf_body, tok[65];

	fake_init(&f, "GET", "/auth/csrf", NULL, 0);
	assert_int_equal(run(serve_handle_dashboard, fx, &f, &csrf_body, set, sizeof(set)), 200);
	assert_non_null(strstr(set, "HttpOnly; SameSite=Strict"));
	assert_int_equal(sscanf(set, "tlsrpt_csrf=%64[0-9a-f]", tok), 1);
	free(csrf_body);
	snprintf(hdr, sizeof(hdr), "tlsrpt_csrf=%s", tok);
	fake_init(&f, "POST", "/auth/login", body, strlen(body));
	f.req.client_addr = addr;
	f.headers[0][0] = "Cookie";
	f.headers[0][1] = hdr;
	f.headers[1][0] = "X-CSRF-Token";
	f.headers[1][1] = good_csrf ? tok : "0000";
	return run(serve_handle_dashboard, fx, &f, out, cookie, cookielen);
}

/* Logs alice in with `password` (CSRF checked first): the session cookie
 * ("tlsrpt_session=…") into hdr[200], its CSRF token into csrf. */
static void
login_alice(struct fixture *fx, const char *password, char hdr[200], char csrf[65])
{
	char cookie[320], body[200], *out;

	snprintf(body, sizeof(body), "{\"user\":\"alice\",\"password\":\"%s\"}", password);
	assert_int_equal(login(fx, body, "192.0.2.1", 0, cookie, sizeof(cookie), &out), 403);
	free(out);
	assert_int_equal(login(fx, body, "192.0.2.1", 1, cookie, sizeof(cookie), &out), 200);
	assert_int_equal(sscanf(strstr(out, "\"csrf\":\"") + 8, "%64[0-9a-f]", csrf), 1);
	free(out);
	assert_non_null(strstr(cookie, "; HttpOnly; SameSite=Strict"));
	snprintf(hdr, 200, "%.*s", (int)strcspn(cookie, ";"), cookie);
}

/* GET /api/summary with the session cookie hdr: alice's domains only. */
static unsigned
summary_with_cookie(struct fixture *fx, const char *hdr)
{
	struct fake f;
	char *out = NULL;
	unsigned status;

	fake_init(&f, "GET", "/api/summary", NULL, 0);
	f.headers[0][0] = "Cookie";
	f.headers[0][1] = hdr;
	status = run(serve_handle_dashboard, fx, &f, &out, NULL, 0);
	if (status == 200) {
		assert_non_null(strstr(out, "ours.example"));
		assert_null(strstr(out, "theirs.example"));
	}
	free(out);
	return status;
}

static void
test_auth_login_session_logout(void **state)
{
	struct fixture *fx = *state;
	char hdr[200], csrf[65];
	struct fake f;

	login_alice(fx, "alice-password", hdr, csrf);
	assert_int_equal(summary_with_cookie(fx, hdr), 200);
	fake_init(&f, "POST", "/auth/logout", NULL, 0);
	f.headers[0][0] = "Cookie";
	f.headers[0][1] = hdr;
	assert_int_equal(run(serve_handle_dashboard, fx, &f, NULL, NULL, 0), 403);  /* no CSRF */
	f.headers[1][0] = "X-CSRF-Token";
	f.headers[1][1] = csrf;
	assert_int_equal(run(serve_handle_dashboard, fx, &f, NULL, NULL, 0), 200);
	assert_int_equal(summary_with_cookie(fx, hdr), 401);
}

/* How many rows the store's user_sessions table holds. */
static int
stored_sessions(struct fixture *fx)
{
	char *path = xasprintf("%s/db.sqlite", fx->dir);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM user_sessions", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return n;
}

/* serve --read-only: sessions in memory (none stored), ended by logout
 * and by a new password set elsewhere; the intake stores nothing. */
static void
test_auth_read_only_keeps_sessions_in_memory(void **state)
{
	struct fixture *fx = *state;
	struct serve_config cfg = { 0 };
	char hdr[200], csrf[65], *url = xasprintf("sqlite:%s/db.sqlite", fx->dir), *out;
	struct store *st;
	struct err err;

	serve_free(&fx->app);
	cfg.db_url = url;
	cfg.read_only = 1;
	fx->app = fixture_serve_new(&cfg);
	login_alice(fx, "alice-password", hdr, csrf);
	assert_int_equal(summary_with_cookie(fx, hdr), 200);
	assert_int_equal(stored_sessions(fx), 0);
	assert_int_equal(post(fx, ours, &out), 503);
	assert_non_null(strstr(out, "--read-only"));
	free(out);
	/* `tlsrpt user passwd alice` in another process ends the session */
	st = store_open(url, &err);
	assert_non_null(st);
	assert_int_equal(store_user_set_password(st, "alice",
		"$y$j9T$aaaaaaaaaaaaaaaaaaaaa.$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &err), 1);
	store_close(&st);
	assert_int_equal(summary_with_cookie(fx, hdr), 401);
	free(url);
}

static void
test_auth_failed_logins_are_slowed_per_user_and_address(void **state)
{
	struct fixture *fx = *state;
	char cookie[320], *out;

	/* unknown user and wrong password look the same */
	assert_int_equal(login(fx, "{\"user\":\"mallory\",\"password\":\"x\"}", "192.0.2.7", 1,
			       cookie, sizeof(cookie), &out), 401);
	free(out);
	assert_int_equal(login(fx, "{\"user\":\"bob\",\"password\":\"wrong\"}", "192.0.2.8", 1,
			       cookie, sizeof(cookie), &out), 401);
	assert_string_equal(out, "{\"error\":\"wrong user name or password\"}");
	free(out);
	/* bob again, right password, from elsewhere: the user waits */
	assert_int_equal(login(fx, "{\"user\":\"bob\",\"password\":\"bob-password\"}",
			       "192.0.2.9", 1, cookie, sizeof(cookie), &out), 429);
	free(out);
	/* someone else from the failing address waits too */
	assert_int_equal(login(fx, "{\"user\":\"alice\",\"password\":\"alice-password\"}",
			       "192.0.2.8", 1, cookie, sizeof(cookie), &out), 429);
	free(out);
	assert_string_equal(cookie, "");
	/* after the delay the right password works */
	sleep(2);
	assert_int_equal(login(fx, "{\"user\":\"bob\",\"password\":\"bob-password\"}",
			       "192.0.2.9", 1, cookie, sizeof(cookie), &out), 200);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_auth_every_dashboard_route_refuses_without_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_intake_serves_no_dashboard_route,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_auth_tenant_sees_only_its_domains_whatever_the_parameters, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_auth_intake_refuses_foreign_domains_and_counts_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_login_session_logout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_read_only_keeps_sessions_in_memory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_auth_failed_logins_are_slowed_per_user_and_address, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
