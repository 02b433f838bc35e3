/*
 * http_server: a thin libmicrohttpd wrapper for `tlsrpt serve`.
 *
 * It listens on one address (loopback by default), optionally with TLS
 * (PEM certificate and key given in memory), accumulates each request body
 * up to a hard limit (413 past it, before the body is read when the
 * Content-Length says so), and hands a complete request to one handler
 * function, which fills a response.  Routing lives above (serve.h); this
 * file knows nothing of TLSRPT.  Requests run on a small MHD thread pool,
 * so the handler must be thread-safe.  Limits (connections, requests per
 * client address, header and body deadlines) are per server instance.
 */
#ifndef TLSRPT_NET_HTTP_SERVER_H
#define TLSRPT_NET_HTTP_SERVER_H

#include <signal.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Default largest request body (RFC 8460 §5.2 allows senders 10 MB). */
#define HTTP_SERVER_DEFAULT_MAX_BODY (10u * 1024u * 1024u)
/* Retry-After the server gives with its own 429 (per-address limit). */
#define HTTP_SERVER_RETRY_AFTER_S 5
/* Largest response body a handler may build. */
#define HTTP_RESPONSE_MAX_BODY (64u * 1024u * 1024u)

/* One complete request, as the handler sees it.  Everything is borrowed
 * for the duration of the handler call.  Header and query lookups go
 * through get_header/get_query so tests can build fake requests. */
struct http_request {
	const char *method;       /* "GET", "POST", … */
	const char *path;         /* URL path without the query string */
	const char *body;         /* the body (NUL-terminated copy), never NULL */
	size_t body_len;
	/* Returns the value of the named header (case-insensitive) or NULL. */
	const char *(*get_header)(const struct http_request *req, const char *name);
	/* Returns the value of the named query argument or NULL. */
	const char *(*get_query)(const struct http_request *req, const char *name);
	/* The name of the first query argument whose value holds a NUL byte
	 * (%00), which get_query() would cut short; NULL when none does. */
	const char *query_nul_arg;
	void *impl;               /* the transport's own data (MHD connection) */
	void *impl_state;         /* the transport's per-request state; NULL in a
				   * request built by a test (http_request_suspend()
				   * then returns NULL) */
	const char *client_addr;  /* the peer's IP address as text; NULL or "" if unknown */
};

/*
 * A body made in pieces while it is sent, for answers too big to hold
 * whole (/metrics of a large store is tens of MB): the server calls fill()
 * each time its socket can take more, and sends what it appended.  fill()
 * appends the next piece to out (emptied before each call) and returns 1
 * when more follows, 0 after the last piece, -1 on failure (the connection
 * is then closed: the client sees a cut answer, never a complete-looking
 * wrong one).  release() frees cls once the answer is sent or dropped.
 * Sent with chunked transfer encoding (no Content-Length).
 */
typedef int (*http_body_fill_fn)(void *cls, struct buf *out);
typedef void (*http_body_release_fn)(void *cls);

struct http_body_stream {
	http_body_fill_fn fill;        /* NULL: the body is in http_response.body */
	http_body_release_fn release;
	void *cls;
};

/* What the handler fills.  http_response_init() sets status 500, an empty
 * body limited to HTTP_RESPONSE_MAX_BODY and no content type. */
struct http_response {
	unsigned status;
	char content_type[96];
	char allow[32];           /* Allow header for 405, "" for none */
	char cache_control[48];   /* Cache-Control header, "" for none */
	unsigned retry_after_s;   /* Retry-After header (with 429/503), 0 for none */
	char set_cookie[320];     /* Set-Cookie header, "" for none */
	char www_authenticate[64];/* WWW-Authenticate header (with 401), "" for none */
	struct buf body;
	struct http_body_stream stream; /* set by http_response_stream(): the body
					 * is made while it is sent, body unused */
};

/* Prepares r (status 500, empty body).  Release with http_response_cleanup(). */
void http_response_init(struct http_response *r);

/* Releases what r owns. */
void http_response_cleanup(struct http_response *r);

/* Sets status, content type and replaces the body with text (NUL-terminated). */
void http_response_text(struct http_response *r, unsigned status,
			const char *content_type, const char *text);

/* Sets status, content type and replaces the body with len bytes. */
void http_response_bytes(struct http_response *r, unsigned status,
			 const char *content_type, const void *data, size_t len);

/* Sets status and content type and makes the body a stream: fill(cls, …)
 * is called while the answer is sent; resp owns cls from here on (released
 * by release(cls) after sending, or by http_response_cleanup() when it is
 * not sent).  A previous body is emptied. */
void http_response_stream(struct http_response *r, unsigned status,
			  const char *content_type, http_body_fill_fn fill,
			  http_body_release_fn release, void *cls);

/* Runs a stream body to its end into r->body (for tests, and for callers
 * that need the whole text) and releases the stream; nothing when the body
 * is not a stream.  Returns 0, or -1 when fill() failed or the body passed
 * HTTP_RESPONSE_MAX_BODY (then r is a 500 with a short text). */
int http_response_collect(struct http_response *r);

/* The handler: fills resp from req.  Called on MHD worker threads. */
typedef void (*http_handler_fn)(void *app, const struct http_request *req,
				struct http_response *resp);

/*
 * Answering later.  A handler that waits for something slow (the intake
 * waits for its report to be committed by the store writer) suspends its
 * request instead of blocking a worker thread: the connection is set
 * aside (MHD_suspend_connection) and the worker goes on with other
 * connections.  Whoever completes the work calls http_resume(); a worker
 * then calls finish(ctx, resp) to fill the answer and sends it.  Timeouts
 * do not run while a request is suspended (its http_limits phase is
 * "answering"); http_server_stop() waits until every suspended request
 * has been resumed and answered.
 */
struct http_suspended;

/* Fills resp for a suspended request and releases ctx.  resp is NULL when
 * the connection ended before the answer could be sent (release ctx only).
 * Called once, on a worker thread. */
typedef void (*http_finish_fn)(void *ctx, struct http_response *resp);

/* Suspends req (call only from the handler, which then returns without
 * filling resp).  Returns the handle to pass to http_resume(), or NULL
 * when req cannot be suspended (a test's request, or the server is
 * stopping): then nothing happened and the handler answers itself. */
struct http_suspended *http_request_suspend(const struct http_request *req,
					    http_finish_fn finish, void *ctx);

/* Wakes a suspended request up; its finish function runs soon on a worker
 * thread.  Thread-safe; exactly once per handle, and the caller must not
 * touch ctx afterwards (finish may already have released it). */
void http_resume(struct http_suspended *h);

struct http_server_config {
	const char *listen;       /* "ADDR:PORT", "[v6]:PORT" or ":PORT"; NULL = 127.0.0.1:8460 */
	const char *tls_cert_pem; /* PEM text (not a path); NULL for plain HTTP */
	const char *tls_key_pem;  /* PEM text; required with tls_cert_pem */
	size_t max_body;          /* 0 = HTTP_SERVER_DEFAULT_MAX_BODY */
	unsigned threads;         /* worker threads; 0 = 4 */
	unsigned timeout_s;       /* idle timeout while answering; 0 = 30 */
	/* Limits (RFC 8460 §7: a receiver may be flooded).  Every request
	 * that arrives in time gets an HTTP answer; see http_limits.h. */
	unsigned max_connections; /* open connections; past it new ones wait in
				   * the kernel's listen queue; 0 = 512 */
	unsigned per_ip_limit;    /* requests in progress from one client address;
				   * past it 429 with Retry-After; 0 = 32 */
	unsigned header_timeout_s;/* request headers complete within this after
				   * the connection opened or the previous answer;
				   * else 408 and closed; 0 = 10 */
	unsigned body_timeout_s;  /* the body within this after its headers;
				   * else closed; 0 = 60 */
	const char *csp;          /* Content-Security-Policy sent with every response, or NULL */
	http_handler_fn handler;
	/* Called with the status of answers the server gives by itself (413, 429),
	 * so the application can count them; may be NULL. */
	void (*on_own_status)(void *app, unsigned status);
	void *app;                /* passed to handler, borrowed */
};

struct http_server;

/* Starts listening.  Returns a new server (stop with http_server_stop()) or
 * NULL with err set (bad address, port in use, TLS not available, bad
 * certificate).  The PEM strings are copied. */
struct http_server *http_server_start(const struct http_server_config *cfg,
				      struct err *err);

/* Returns the port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *s);

/* Stops accepting, waits for running and suspended requests to be
 * answered (whoever suspended one must still be able to resume it), frees
 * *s, sets it to NULL. */
void http_server_stop(struct http_server **s);

/* Parses "ADDR:PORT" ("[::1]:8080", "127.0.0.1:0", ":8025" = all IPv4
 * addresses).  Writes the address text (without brackets, "" for any) into
 * host (hostlen bytes) and the port into *port.  Returns 0 or -1. */
int http_server_parse_listen(const char *listen, char *host, size_t hostlen,
			     unsigned *port, struct err *err);

/* Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started
 * afterwards inherit the mask) and stores the set in *set.  Call before
 * http_server_start() so that only http_server_wait_signal() sees them. */
void http_server_block_signals(sigset_t *set);

/* Waits for one of the signals in set; returns its number. */
int http_server_wait_signal(const sigset_t *set);

#endif
