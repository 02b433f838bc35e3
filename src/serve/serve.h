/*
 * serve: the application behind `tlsrpt serve`: the RFC 8460 §5.4 HTTPS
 * report endpoint (POST), the JSON API, Prometheus /metrics and the web
 * dashboard, routed from one handler that http_server calls on its worker
 * threads.  Each worker borrows a store handle from a small pool (a store
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
	int read_only;            /* dashboard only: store opened read-only, POSTs 503 */
};

struct serve;

/* Opens the store once (creating/migrating it; read-only with
 * cfg->read_only) to fail early.  Returns a new
 * application (release with serve_free()) or NULL with err set. */
struct serve *serve_new(const struct serve_config *cfg, struct err *err);

/* Closes every pooled store handle and frees *s; sets it to NULL. */
void serve_free(struct serve **s);

/* The http_handler_fn: routes req (app is a struct serve *).  Thread-safe. */
void serve_handle(void *app, const struct http_request *req, struct http_response *resp);

/* Counts an answer the HTTP layer gave by itself (413) for /metrics;
 * fits http_server_config.on_own_status. */
void serve_count_status(void *app, unsigned status);

/* The Content-Security-Policy the dashboard needs (everything from us). */
#define SERVE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
	"form-action 'self'; frame-ancestors 'none'"

#endif
