/*
 * serve_private: what the src/serve/serve_*.c files share: the application
 * state, the store pool and one entry point per route.  Never include from
 * outside src/serve/.
 */
#ifndef TLSRPT_SERVE_SERVE_PRIVATE_H
#define TLSRPT_SERVE_SERVE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "net/http_server.h"
#include "serve/serve.h"
#include "store/store.h"
#include "model/domain_scope.h"
#include "store/store_reports.h"
#include "store/store_users.h"
#include "util/err.h"

/* Store handles kept open for reuse (more are opened under load and
 * closed when returned to a full pool). */
#define SERVE_POOL_MAX 8

struct serve_throttle;
struct serve_sessions;
struct intake;

struct serve {
	char *db_url;
	char *post_path;
	size_t max_body;
	int no_auth;                          /* serve_config.no_auth */
	int cookie_secure;                    /* add Secure to cookies */
	int read_only;                        /* serve_config.read_only */
	struct serve_sessions *sessions;      /* login sessions when read_only */
	struct domain_scope *accept;          /* configured accepted domains */
	struct serve_throttle *throttle;      /* failed-login delays */
	struct intake *intake;                /* the store writer of POSTs (intake.h) */
	pthread_mutex_t lock;                 /* guards pool/n_pool */
	struct store *pool[SERVE_POOL_MAX];
	size_t n_pool;
	/* counters for /metrics, since start */
	atomic_uint_fast64_t reports_received;   /* report documents in POSTs */
	atomic_uint_fast64_t reports_stored;
	atomic_uint_fast64_t reports_duplicate;
	atomic_uint_fast64_t posts_rejected;     /* POSTs answered 4xx/5xx */
	atomic_uint_fast64_t reports_refused;    /* no policy domain of ours */
	atomic_uint_fast64_t logins_ok, logins_failed, logins_throttled;
	atomic_uint_fast64_t http_by_code[600];
};

/* Borrows a store handle (opening one if the pool is empty).  Returns NULL
 * with err set if the store cannot be opened.  Give it back with
 * serve_store_put(). */
struct store *serve_store_get(struct serve *s, struct err *err);

/* Returns st to the pool (or closes it when the pool is full).  broken != 0
 * closes it anyway (after a database error). */
void serve_store_put(struct serve *s, struct store *st, int broken);

/*
 * Who asks, on the dashboard listener, and the store they may read.
 * serve_handle_dashboard() authenticates every request before routing
 * (serve_auth.c), borrows one store handle and sets its viewer scope
 * (store_set_scope()) to the viewer's grants, so every handler below
 * reads through ctx->store and sees only its tenant's domains without
 * doing anything: a handler never borrows another store handle.
 */
struct serve_viewer {
	struct store_user user;               /* name, admin (no hash) */
	struct domain_scope *scope;           /* what user may see (owned) */
	char csrf[65];                        /* session CSRF token; "" for tokens */
	char session_hash[65];                /* "" unless a login session */
};

struct serve_ctx {
	struct serve *serve;
	const struct serve_viewer *viewer;    /* never NULL in a dashboard handler */
	struct store *store;                  /* scoped to viewer->scope */
	int store_broken;                     /* set by a handler after a store error */
};

/* Adds the patterns of list (comma, space or newline separated) to sc.
 * Returns 0, or -1 with err set at the first bad one. */
int serve_parse_patterns(const char *list, struct domain_scope *sc, struct err *err);

/* POST of a report (RFC 8460 §5.4).  Returns 0 when resp is filled, 1 when
 * the request was suspended until its reports are committed (the answer is
 * then sent and counted by http_status later: see serve_post.c). */
int serve_post(struct serve *s, const struct http_request *req, struct http_response *resp);

/* Parses the since / until / domain / org query arguments into q (strings
 * borrowed from req).  Dates are YYYY-MM-DD (UTC; until is inclusive),
 * "YYYY-MM-DDTHH:MM:SSZ" or Unix seconds; missing or empty ones do not
 * restrict; domain=- (REPORT_NO_DOMAIN_FILTER) sets q->domain to "", the
 * policies without policy-domain.
 * Returns 0, or -1 with err set. */
int serve_query_parse(const struct http_request *req, struct report_query *q,
		      struct err *err);

/* GET /api/summary, /api/reports, /api/failures, /api/dataset. */
void serve_api(struct serve_ctx *ctx, const struct http_request *req,
	       struct http_response *resp);

/* Answers status with v as compact ASCII JSON (v stays the caller's). */
void serve_send_json(struct http_response *resp, unsigned status, json_t *v);

/* The query as the API echoes it: {"since":…, "until":…, "domain":…, "org":…}.
 * Returns a new object. */
json_t *serve_query_json(const struct report_query *q);

/* Answers status with {"error": msg}. */
void serve_send_error(struct http_response *resp, unsigned status, const char *msg);

/* GET /api/domains, /api/report, /api/report/raw, /api/reports,
 * /api/failures and the CSV forms (serve_api_views.c); what names the route after "/api/".
 * Returns 1 if it answered, 0 if what is none of its routes. */
int serve_api_views(struct serve_ctx *ctx, const char *what, const struct http_request *req,
		    const struct report_query *q, struct http_response *resp);

/* GET /api/domains (serve_api_domains.c), called by serve_api_views() with
 * the viewer's store st and the request's filters q: answers resp (200, or
 * 400 naming a bad argument) and returns 0, or returns -1 (err set) when
 * the store fails. */
int serve_api_domains(struct store *st, const struct http_request *req,
		      const struct report_query *q, struct http_response *resp,
		      struct err *err);

/* GET /api/failures, JSON or ?format=csv (serve_api_failures.c), called
 * by serve_api_views() as serve_api_domains() is: answers resp and
 * returns 0, or returns -1 (err set) when the store fails. */
int serve_api_failures(struct store *st, const struct http_request *req,
		       const struct report_query *q, struct http_response *resp,
		       struct err *err);

/* GET /metrics (Prometheus text format 0.0.4). */
void serve_metrics(struct serve_ctx *ctx, const struct http_request *req,
		   struct http_response *resp);

/* Authenticates req (session cookie, Bearer token, or Basic with an API
 * token as password) and fills *v (scope from the user's grants, or all
 * for an administrator or with no_auth).  Returns 1 if authenticated, 0
 * if not, -1 on a store error (err set).  Release v with
 * serve_viewer_clear(). */
int serve_auth_viewer(struct serve *s, struct store *st, const struct http_request *req,
		      struct serve_viewer *v, struct err *err);

/* Releases what v owns. */
void serve_viewer_clear(struct serve_viewer *v);

/* The routes that need no login: GET /auth/csrf, POST /auth/login.
 * Returns 1 if req was one of them (resp filled), else 0. */
int serve_auth_public(struct serve *s, const struct http_request *req,
		      struct http_response *resp);

/* The authenticated /auth/ routes: GET /auth/me, POST /auth/logout.
 * Returns 1 if req was one of them (resp filled), else 0. */
int serve_auth_routes(struct serve_ctx *ctx, const struct http_request *req,
		      struct http_response *resp);

/* Copies the value of cookie `name` from a Cookie header into out
 * (outlen bytes).  Returns 1 if found (and it fit), else 0. */
int serve_cookie_get(const char *header, const char *name, char *out, size_t outlen);

/* Failed-login memory (serve_throttle.c): per user name and per client
 * address, each failure in a row doubles the wait before the next try
 * (1 s, 2 s, … up to SERVE_THROTTLE_MAX_S).  Thread-safe. */
#define SERVE_THROTTLE_MAX_S 300
#define SERVE_THROTTLE_SLOTS 4096
struct serve_throttle *serve_throttle_new(void);
void serve_throttle_free(struct serve_throttle **t);
/* Returns the seconds to wait before key may try again (0: now). */
unsigned serve_throttle_wait(struct serve_throttle *t, const char *key, double now);
/* Records a failure of key at now; returns how many in a row. */
unsigned serve_throttle_fail(struct serve_throttle *t, const char *key, double now);
/* Forgets key (after a success). */
void serve_throttle_clear(struct serve_throttle *t, const char *key);

/* Login sessions in memory (serve_sessions.c), used instead of the
 * store's user_sessions table when the store is read only: they end with
 * the process.  At most SERVE_SESSION_BUCKETS * SERVE_SESSION_WAYS (4096)
 * live at once; past that a new login replaces the session that would end
 * first.  A session remembers who logged in and a fingerprint of the
 * password hash it was made with, so that a user deleted or given a new
 * password (by `tlsrpt user` in another process) is logged out.
 * Thread-safe. */
#define SERVE_SESSION_BUCKETS 512
#define SERVE_SESSION_WAYS 8
struct serve_session {
	int64_t user_id;
	char user_name[STORE_USER_NAME_MAX + 1];
	char password_fp[65];                 /* SHA-256 hex of the crypt(3) hash */
	char csrf[65];
	int64_t expires;
};
struct serve_sessions *serve_sessions_new(void);
void serve_sessions_free(struct serve_sessions **t);
/* Keeps sess under session_hash (64 hex digits), as described above. */
void serve_sessions_add(struct serve_sessions *t, const char *session_hash,
			const struct serve_session *sess, int64_t now);
/* Copies the live (expires > now) session of session_hash into *out.
 * Returns 1 if there is one, else 0. */
int serve_sessions_find(struct serve_sessions *t, const char *session_hash, int64_t now,
			struct serve_session *out);
/* Forgets the session of session_hash (logout). */
void serve_sessions_del(struct serve_sessions *t, const char *session_hash);

/* Appends value to b escaped as a Prometheus label value (backslash,
 * double quote and newline escaped).  Returns 0 or -1 past b's limit. */
int serve_metrics_escape(struct buf *b, const char *value);

/* GET of a dashboard asset.  Returns 1 if path names one (resp filled),
 * 0 if not. */
int serve_web(const struct http_request *req, struct http_response *resp);

/* One embedded file of web/ (serve_web_assets.c, generated by
 * scripts/embed-web.sh from web/). */
struct web_asset {
	const char *path;            /* "/index.html", "/app.js", … */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};
extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

#endif
