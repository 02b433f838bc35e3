/*
 * serve: application state, the store pool and the route tables
 * (see serve.h).
 * Intake listener (serve_handle_intake):
 *   POST <post_path> and POST /     a report (serve_post.c); other methods 405
 *   GET  /healthz                   "ok" once the store answers
 *   anything else                   404
 * Dashboard listener (serve_handle_dashboard), login first (serve_auth.c):
 *   GET  /login.html /login.js /style.css, GET /auth/csrf, POST /auth/login
 *                                   open (the login page)
 *   everything else                 401 unless authenticated, then:
 *   GET  /  /app.js …               the dashboard (web/, serve_web.c)
 *   GET  /api/…                     JSON (serve_api.c)
 *   GET  /metrics                   Prometheus (serve_metrics.c)
 *   GET  /auth/me, POST /auth/logout, GET /healthz
 * Every answer is counted by status code for /metrics (a suspended POST
 * when it is answered: serve_post.c).
 */
#include "serve/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/intake.h"
#include "serve/serve_private.h"
#include "util/log.h"
#include "util/xalloc.h"

struct serve *
serve_new(const struct serve_config *cfg, struct err *err)
{
	struct serve *s = xcalloc(1, sizeof(*s));
	struct store *st;
	size_t i;

	s->db_url = xstrdup(cfg->db_url);
	s->post_path = xstrdup(cfg->post_path != NULL ? cfg->post_path : "/tlsrpt");
	s->max_body = cfg->max_body != 0 ? cfg->max_body : HTTP_SERVER_DEFAULT_MAX_BODY;
	s->no_auth = cfg->no_auth;
	s->cookie_secure = cfg->cookie_secure;
	s->read_only = cfg->read_only;
	if (s->read_only)
		s->sessions = serve_sessions_new();
	s->throttle = serve_throttle_new();
	s->accept = domain_scope_new();
	if (cfg->accept_domains != NULL && serve_parse_patterns(cfg->accept_domains,
								 s->accept, err) != 0) {
		serve_free(&s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->reports_received, 0);
	atomic_init(&s->reports_stored, 0);
	atomic_init(&s->reports_duplicate, 0);
	atomic_init(&s->posts_rejected, 0);
	atomic_init(&s->reports_refused, 0);
	atomic_init(&s->logins_ok, 0);
	atomic_init(&s->logins_failed, 0);
	atomic_init(&s->logins_throttled, 0);
	for (i = 0; i < 600; i++)
		atomic_init(&s->http_by_code[i], 0);
	if (s->db_url == NULL || s->post_path[0] != '/') {
		err_set(err, "serve: %s", s->db_url == NULL ? "no store URL" :
			"the report path must start with '/'");
		serve_free(&s);
		return NULL;
	}
	st = serve_store_get(s, err);
	if (st == NULL) {
		serve_free(&s);
		return NULL;
	}
	serve_store_put(s, st, 0);
	/* a read-only dashboard takes no reports: no writer, no write access */
	if (!s->read_only && (s->intake = intake_start(s->db_url, cfg->intake_writers, err)) == NULL) {
		serve_free(&s);
		return NULL;
	}
	return s;
}

void
serve_free(struct serve **sp)
{
	struct serve *s;
	size_t i;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	intake_stop(&s->intake);
	for (i = 0; i < s->n_pool; i++)
		store_close(&s->pool[i]);
	pthread_mutex_destroy(&s->lock);
	serve_throttle_free(&s->throttle);
	serve_sessions_free(&s->sessions);
	domain_scope_free(&s->accept);
	free(s->db_url);
	free(s->post_path);
	free(s);
	*sp = NULL;
}

struct store *
serve_store_get(struct serve *s, struct err *err)
{
	struct store *st = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->n_pool > 0)
		st = s->pool[--s->n_pool];
	pthread_mutex_unlock(&s->lock);
	if (st != NULL && s->read_only && store_is_stale(st))
		store_close(&st);       /* a writer appeared: open it again */
	if (st == NULL) {
		st = s->read_only ? store_open_readonly(s->db_url, err) : store_open(s->db_url, err);
		if (st != NULL && store_plan_per_run(st, err) < 0)
			store_close(&st);
	}
	return st;
}

void
serve_store_put(struct serve *s, struct store *st, int broken)
{
	if (st == NULL)
		return;
	if (!broken) {
		pthread_mutex_lock(&s->lock);
		if (s->n_pool < SERVE_POOL_MAX) {
			s->pool[s->n_pool++] = st;
			st = NULL;
		}
		pthread_mutex_unlock(&s->lock);
	}
	store_close(&st);
}

/* GET /healthz: 200 "ok" when a store handle answers a query, else 503
 * with the reason (the handle is not returned to the pool). */
static void
healthz(struct serve *s, struct http_response *resp)
{
	struct err err;
	struct store *st = serve_store_get(s, &err);
	char text[sizeof(err.msg) + 32];

	if (st != NULL && store_ping(st, &err) == 0) {
		serve_store_put(s, st, 0);
		http_response_text(resp, 200, "text/plain; charset=utf-8", "ok\n");
		return;
	}
	serve_store_put(s, st, 1);
	log_error("healthz: store: %s", err.msg);
	snprintf(text, sizeof(text), "store unavailable: %s\n", err.msg);
	http_response_text(resp, 503, "text/plain; charset=utf-8", text);
}

static void
method_not_allowed(struct http_response *resp, const char *allow)
{
	char text[96];

	snprintf(text, sizeof(text), "method not allowed here; use %s\n", allow);
	http_response_text(resp, 405, "text/plain; charset=utf-8", text);
	snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
}

static int
is_get(const struct http_request *req)
{
	return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

static void
not_found(struct http_response *resp)
{
	http_response_text(resp, 404, "text/plain; charset=utf-8", "not found\n");
}

/* The intake routes.  Returns 1 if req was one of them (resp filled), 2 if
 * it was and the request is suspended (answered and counted later), 0 if
 * not. */
static int
route_intake(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	int post = strcmp(req->method, "POST") == 0;

	if (post && s->read_only && (strcmp(req->path, s->post_path) == 0 ||
				     strcmp(req->path, "/") == 0)) {
		/* cmd_serve.c starts no intake then; never store through it */
		http_response_text(resp, 503, "text/plain; charset=utf-8",
				   "this server only reads the store (--read-only)\n");
		return 1;
	}
	if (strcmp(req->path, s->post_path) == 0) {
		if (post)
			return 1 + serve_post(s, req, resp);
		method_not_allowed(resp, "POST");
		return 1;
	}
	if (strcmp(req->path, "/") == 0 && post)
		return 1 + serve_post(s, req, resp);
	return 0;
}

/* The pages a browser needs to log in. */
static int
is_login_asset(const char *path)
{
	return strcmp(path, "/login.html") == 0 || strcmp(path, "/login.js") == 0 ||
	       strcmp(path, "/style.css") == 0;
}

/* Where a browser not logged in is sent (the CSP allows no inline script). */
static void
unauthenticated(const struct http_request *req, struct http_response *resp)
{
	if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/metrics") == 0 ||
	    strncmp(req->path, "/auth/", 6) == 0 || strcmp(req->method, "GET") != 0) {
		http_response_text(resp, 401, "application/json",
				   "{\"error\":\"authentication required\"}");
		snprintf(resp->www_authenticate, sizeof(resp->www_authenticate),
			 "Bearer realm=\"tlsrpt\"");
		return;
	}
	http_response_text(resp, 401, "text/html; charset=utf-8",
			   "<!DOCTYPE html><meta charset=\"utf-8\"><title>tlsrpt</title>"
			   "<meta http-equiv=\"refresh\" content=\"0; url=/login.html\">"
			   "<p><a href=\"/login.html\">Log in</a></p>\n");
}

/* The authenticated dashboard routes, reading through ctx->store only. */
static void
route_viewer(struct serve_ctx *ctx, const struct http_request *req,
	     struct http_response *resp)
{
	if (serve_auth_routes(ctx, req, resp))
		return;
	if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/metrics") == 0 ||
	    strcmp(req->path, "/healthz") == 0) {
		if (!is_get(req))
			method_not_allowed(resp, "GET, HEAD");
		else if (req->path[1] == 'a')
			serve_api(ctx, req, resp);
		else if (req->path[1] == 'm')
			serve_metrics(ctx, req, resp);
		else
			healthz(ctx->serve, resp);
		return;
	}
	if (is_get(req) && serve_web(req, resp))
		return;
	not_found(resp);
}

static void
route_dashboard(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	struct serve_viewer viewer;
	struct serve_ctx ctx;
	struct err err;
	int rc;

	if (serve_auth_public(s, req, resp))
		return;
	if (is_get(req) && is_login_asset(req->path) && serve_web(req, resp))
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.serve = s;
	ctx.store = serve_store_get(s, &err);
	if (ctx.store == NULL) {
		log_error("dashboard: cannot open the store: %s", err.msg);
		http_response_text(resp, 503, "text/plain; charset=utf-8", "store unavailable\n");
		return;
	}
	rc = serve_auth_viewer(s, ctx.store, req, &viewer, &err);
	if (rc < 0) {
		log_error("dashboard: authentication: store: %s", err.msg);
		http_response_text(resp, 503, "text/plain; charset=utf-8", "store unavailable\n");
		serve_store_put(s, ctx.store, 1);
		return;
	}
	if (rc == 0) {
		unauthenticated(req, resp);
		serve_store_put(s, ctx.store, 0);
		return;
	}
	ctx.viewer = &viewer;
	store_set_scope(ctx.store, viewer.scope);
	route_viewer(&ctx, req, resp);
	store_set_scope(ctx.store, NULL);
	serve_store_put(s, ctx.store, ctx.store_broken);
	serve_viewer_clear(&viewer);
}

static void
count(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	if (resp->status >= 100 && resp->status < 600)
		atomic_fetch_add(&s->http_by_code[resp->status], 1);
	log_debug("http %s %s -> %u", req->method, req->path, resp->status);
}

void
serve_handle_intake(void *app, const struct http_request *req, struct http_response *resp)
{
	struct serve *s = app;
	int rc = route_intake(s, req, resp);

	if (rc == 2)
		return;       /* suspended: counted when answered */
	if (rc == 0) {
		if (strcmp(req->path, "/healthz") == 0 && is_get(req))
			healthz(s, resp);
		else
			not_found(resp);
	}
	count(s, req, resp);
}

void
serve_handle_dashboard(void *app, const struct http_request *req, struct http_response *resp)
{
	struct serve *s = app;

	route_dashboard(s, req, resp);
	count(s, req, resp);
}

void
serve_handle_both(void *app, const struct http_request *req, struct http_response *resp)
{
	struct serve *s = app;
	int rc = route_intake(s, req, resp);

	if (rc == 2)
		return;       /* suspended: counted when answered */
	if (rc == 0)
		route_dashboard(s, req, resp);
	count(s, req, resp);
}

int
serve_parse_patterns(const char *list, struct domain_scope *sc, struct err *err)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	int rc = 0;

	for (tok = strtok_r(copy, ", \t\n", &save); rc == 0 && tok != NULL;
	     tok = strtok_r(NULL, ", \t\n", &save))
		rc = domain_scope_add(sc, tok, err);
	free(copy);
	return rc;
}

void
serve_count_status(void *app, unsigned status)
{
	struct serve *s = app;

	if (status >= 100 && status < 600)
		atomic_fetch_add(&s->http_by_code[status], 1);
}
