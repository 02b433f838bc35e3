/*
 * serve: application state, the store pool and the route table
 * (see serve.h).  Routes:
 *   POST <post_path> and POST /     a report (serve_post.c); other methods 405
 *   GET  /                          the dashboard (web/, serve_web.c)
 *   GET  /app.js /style.css …       its assets
 *   GET  /api/…                     JSON (serve_api.c)
 *   GET  /metrics                   Prometheus (serve_metrics.c)
 *   GET  /healthz                   "ok" once the store answers
 * Every answer is counted by status code for /metrics.
 */
#include "serve/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_private.h"
#include "util/log.h"
#include "util/xalloc.h"

struct serve *
serve_new(const struct serve_config *cfg, struct err *err)
{
	struct serve *s = xcalloc(1, sizeof(*s));
	enum serve_store_mode mode;
	struct store *st;
	size_t i;

	s->db_url = xstrdup(cfg->db_url);
	s->post_path = xstrdup(cfg->post_path != NULL ? cfg->post_path : "/tlsrpt");
	s->max_body = cfg->max_body != 0 ? cfg->max_body : HTTP_SERVER_DEFAULT_MAX_BODY;
	s->read_only = cfg->read_only;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->reports_received, 0);
	atomic_init(&s->reports_stored, 0);
	atomic_init(&s->reports_duplicate, 0);
	atomic_init(&s->posts_rejected, 0);
	for (i = 0; i < 600; i++)
		atomic_init(&s->http_by_code[i], 0);
	if (s->db_url == NULL || s->post_path[0] != '/') {
		err_set(err, "serve: %s", s->db_url == NULL ? "no store URL" :
			"the report path must start with '/'");
		serve_free(&s);
		return NULL;
	}
	mode = s->read_only ? SERVE_STORE_READ : SERVE_STORE_WRITE;
	st = serve_store_get(s, mode, err);
	if (st == NULL) {
		serve_free(&s);
		return NULL;
	}
	serve_store_put(s, mode, st, 0);
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
	for (i = 0; i < s->n_pool; i++)
		store_close(&s->pool[i]);
	for (i = 0; i < s->n_pool_ro; i++)
		store_close(&s->pool_ro[i]);
	pthread_mutex_destroy(&s->lock);
	free(s->db_url);
	free(s->post_path);
	free(s);
	*sp = NULL;
}

/* Reads use read-only handles when the server is --read-only; otherwise
 * they share the read-write pool (one kind of handle to keep open). */
static enum serve_store_mode
effective(const struct serve *s, enum serve_store_mode mode)
{
	return mode == SERVE_STORE_READ && !s->read_only ? SERVE_STORE_WRITE : mode;
}

struct store *
serve_store_get(struct serve *s, enum serve_store_mode mode, struct err *err)
{
	struct store **pool, *st = NULL;
	size_t *n;

	mode = effective(s, mode);
	pool = mode == SERVE_STORE_READ ? s->pool_ro : s->pool;
	n = mode == SERVE_STORE_READ ? &s->n_pool_ro : &s->n_pool;
	if (mode == SERVE_STORE_WRITE && s->read_only) {
		err_set(err, "this server is read-only (--read-only)");
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	if (*n > 0)
		st = pool[--*n];
	pthread_mutex_unlock(&s->lock);
	if (st == NULL)
		st = mode == SERVE_STORE_READ ? store_open_readonly(s->db_url, err)
					      : store_open(s->db_url, err);
	return st;
}

void
serve_store_put(struct serve *s, enum serve_store_mode mode, struct store *st, int broken)
{
	struct store **pool;
	size_t *n;

	if (st == NULL)
		return;
	mode = effective(s, mode);
	pool = mode == SERVE_STORE_READ ? s->pool_ro : s->pool;
	n = mode == SERVE_STORE_READ ? &s->n_pool_ro : &s->n_pool;
	if (!broken) {
		pthread_mutex_lock(&s->lock);
		if (*n < SERVE_POOL_MAX) {
			pool[(*n)++] = st;
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
	struct store *st = serve_store_get(s, SERVE_STORE_READ, &err);
	char text[sizeof(err.msg) + 32];

	if (st != NULL && store_ping(st, &err) == 0) {
		serve_store_put(s, SERVE_STORE_READ, st, 0);
		http_response_text(resp, 200, "text/plain; charset=utf-8", "ok\n");
		return;
	}
	serve_store_put(s, SERVE_STORE_READ, st, 1);
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
route(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	int post = strcmp(req->method, "POST") == 0;

	if (strcmp(req->path, s->post_path) == 0) {
		if (post)
			serve_post(s, req, resp);
		else
			method_not_allowed(resp, "POST");
		return;
	}
	if (strcmp(req->path, "/") == 0 && post) {
		serve_post(s, req, resp);
		return;
	}
	if (strncmp(req->path, "/api/", 5) == 0 || strcmp(req->path, "/metrics") == 0 ||
	    strcmp(req->path, "/healthz") == 0) {
		if (!is_get(req))
			method_not_allowed(resp, "GET, HEAD");
		else if (req->path[1] == 'a')
			serve_api(s, req, resp);
		else if (req->path[1] == 'm')
			serve_metrics(s, req, resp);
		else
			healthz(s, resp);
		return;
	}
	if (is_get(req) && serve_web(req, resp))
		return;
	if (strcmp(req->path, "/") == 0) {
		method_not_allowed(resp, "GET, HEAD, POST");
		return;
	}
	http_response_text(resp, 404, "text/plain; charset=utf-8", "not found\n");
}

void
serve_handle(void *app, const struct http_request *req, struct http_response *resp)
{
	struct serve *s = app;

	route(s, req, resp);
	if (resp->status >= 100 && resp->status < 600)
		atomic_fetch_add(&s->http_by_code[resp->status], 1);
	log_debug("http %s %s -> %u", req->method, req->path, resp->status);
}

void
serve_count_status(void *app, unsigned status)
{
	struct serve *s = app;

	if (status >= 100 && status < 600)
		atomic_fetch_add(&s->http_by_code[status], 1);
}
