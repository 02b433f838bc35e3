/*
 * serve: the application behind `tlsrpt serve`: the RFC 8460 §5.4 HTTPS
 * report endpoint (POST), the JSON API, Prometheus /metrics and the web
 * dashboard.  Two handlers, one per listener: serve_handle_intake() (open
 * to the internet: POST of reports and /healthz, nothing else) and
 * serve_handle_dashboard() (login, then the dashboard, API and metrics,
 * each user seeing only its granted domains); serve_handle_both() is the
 * two on one listener.  http_server calls them on its worker threads.  Each worker borrows a store handle from a small pool (a store
 * handle is used by one thread at a time); nothing is global.
 */
#ifndef TLSRPT_SERVE_SERVE_H
#define TLSRPT_SERVE_SERVE_H

#include <stddef.h>

#include "net/http_server.h"
#include "util/err.h"

struct serve_config {
	const char *db_url;       /* store URL (store.h); required */
	const char *post_path;    /* report endpoint; NULL = "/tlsrpt" (POST / too) */
	size_t max_body;          /* largest POST body; 0 = HTTP_SERVER_DEFAULT_MAX_BODY */
	int no_auth;              /* dashboard without login: everyone is an
				   * administrator (only for a loopback listener
				   * of its own; cmd_serve.c checks) */
	int cookie_secure;        /* mark cookies Secure (the dashboard speaks HTTPS) */
	const char *accept_domains; /* patterns, comma/space separated, the intake
				   * accepts besides the users' grants; "*" all */
	int read_only;            /* open the store read only (store_open_readonly())
				   * and keep login sessions in memory: for a
				   * dashboard whose user or role may only read.
				   * The intake cannot run so (it stores). */
	size_t intake_writers;    /* store writer threads on PostgreSQL (intake.h);
				   * 0 = INTAKE_WRITERS_DEFAULT; SQLite: always 1 */
};

struct serve;

/* Opens the store once (creating/migrating it, or read only) to fail early.  Returns a new
 * application (release with serve_free()) or NULL with err set. */
struct serve *serve_new(const struct serve_config *cfg, struct err *err);

/* Closes every pooled store handle and frees *s; sets it to NULL. */
void serve_free(struct serve **s);

/* The http_handler_fn of the intake listener (app is a struct serve *):
 * POST of a report on the report path (and on /), GET /healthz; 404 for
 * anything else.  Thread-safe. */
void serve_handle_intake(void *app, const struct http_request *req,
			 struct http_response *resp);

/* The http_handler_fn of the dashboard listener: the login page and
 * /auth/csrf, /auth/login without authentication; everything else (the
 * dashboard, /api/…, /metrics, /auth/me, /auth/logout, /healthz) only
 * for an authenticated user (401 otherwise, before any routing).  */
void serve_handle_dashboard(void *app, const struct http_request *req,
			    struct http_response *resp);

/* Both on one listener: the intake routes, then the dashboard's. */
void serve_handle_both(void *app, const struct http_request *req,
		       struct http_response *resp);

/* Counts an answer the HTTP layer gave by itself (413) for /metrics;
 * fits http_server_config.on_own_status. */
void serve_count_status(void *app, unsigned status);

/* The Content-Security-Policy the dashboard needs (everything from us). */
#define SERVE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

#endif
