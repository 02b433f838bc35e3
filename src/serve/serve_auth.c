/*
 * serve_auth: who is asking on the dashboard listener, and logging in.
 *
 *   Authorization: Bearer tlsrpt_…     an API token (`tlsrpt user token`)
 *   Authorization: Basic user:tlsrpt_… the same token as a Basic password
 *                                      (for scrapers that only do Basic)
 *   Cookie: tlsrpt_session=…           a login session (POST /auth/login)
 * Tokens and session ids are looked up by their SHA-256 (auth_secret.h),
 * so a request costs one hash and one indexed row, never crypt(3):
 * passwords are hashed only at login.
 *
 * Login: GET /auth/csrf sets the pre-login cookie tlsrpt_csrf and returns
 * the same value; POST /auth/login {"user","password"} must carry it in
 * X-CSRF-Token (double submit; the cookies are SameSite=Strict anyway).
 * A failure is logged (user name and address, never the password) and
 * makes the next try of that user and of that address wait (throttle).
 * POST /auth/logout needs the session's own CSRF token (from /auth/me).
 *
 * Sessions live in the store (user_sessions), or in memory when the store
 * is read only (serve --read-only, serve_sessions.c): then nothing here
 * writes, and a session also ends when its user is deleted or gets a new
 * password, both seen by reading the users table on each request.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth_password.h"
#include "auth/auth_secret.h"
#include "serve/serve_private.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

#define SESSION_COOKIE "tlsrpt_session"
#define CSRF_COOKIE "tlsrpt_csrf"
/* How long a login session lasts. */
#define SESSION_SECONDS (8 * 3600)

int
serve_cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), vlen;
	const char *p = header;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			vlen = strcspn(p, ";");
			while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
				vlen--;
			if (vlen >= outlen)
				return 0;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}

void
serve_viewer_clear(struct serve_viewer *v)
{
	domain_scope_free(&v->scope);
	memset(v, 0, sizeof(*v));
}

static int
add_grant(void *ctx, const char *pattern)
{
	struct err err;

	if (domain_scope_add(ctx, pattern, &err) != 0)
		log_warn("grant \"%s\" ignored: %s", pattern, err.msg);
	return 0;
}

/* Starts a session: in the store, or in memory for a read-only store.
 * Returns 0 or -1. */
static int
session_start(struct serve *s, struct store *st, const struct store_user *u,
	      const char *shash, const char *csrf, struct err *err)
{
	int64_t now = (int64_t)time(NULL);
	struct serve_session sess;

	if (!s->read_only)
		return store_session_add(st, u->id, shash, csrf, now, now + SESSION_SECONDS, err);
	memset(&sess, 0, sizeof(sess));
	sess.user_id = u->id;
	snprintf(sess.user_name, sizeof(sess.user_name), "%s", u->name);
	auth_secret_hash(u->password_hash, sess.password_fp);
	snprintf(sess.csrf, sizeof(sess.csrf), "%s", csrf);
	sess.expires = now + SESSION_SECONDS;
	serve_sessions_add(s->sessions, shash, &sess, now);
	return 0;
}

/* The user of a live session (u filled without the password hash, its
 * CSRF token into csrf).  In memory, the user must still exist with the
 * password the session was made with.  Returns 1, 0 if none, or -1. */
static int
session_user(struct serve *s, struct store *st, const char *shash, struct store_user *u,
	     char csrf[65], struct err *err)
{
	int64_t now = (int64_t)time(NULL);
	struct serve_session sess;
	char fp[AUTH_SECRET_HEX + 1];
	int rc;

	if (!s->read_only)
		return store_session_user(st, shash, now, u, csrf, err);
	if (!serve_sessions_find(s->sessions, shash, now, &sess))
		return 0;
	rc = store_user_get(st, sess.user_name, u, err);
	if (rc == 1) {
		auth_secret_hash(u->password_hash, fp);
		if (u->id != sess.user_id || !auth_secret_equal(fp, sess.password_fp))
			rc = 0;
	}
	OPENSSL_cleanse(u->password_hash, sizeof(u->password_hash));
	if (rc == 0)
		serve_sessions_del(s->sessions, shash);
	else if (rc == 1)
		snprintf(csrf, 65, "%s", sess.csrf);
	return rc;
}

/* Ends a session.  Returns 0 or -1. */
static int
session_end(struct serve *s, struct store *st, const char *shash, struct err *err)
{
	if (!s->read_only)
		return store_session_del(st, shash, err);
	serve_sessions_del(s->sessions, shash);
	return 0;
}

/* Fills v->scope from the user's grants (everything for an administrator). */
static int
load_scope(struct store *st, struct serve_viewer *v, struct err *err)
{
	if (v->user.admin) {
		v->scope = domain_scope_new_all();
		return 0;
	}
	v->scope = domain_scope_new();
	return store_grant_list(st, v->user.id, add_grant, v->scope, err) < 0 ? -1 : 0;
}

/* The token from "Basic base64(user:token)" checked against the user
 * owning the token.  Returns 1 with u filled, 0, or -1. */
static int
basic_user(struct store *st, const char *b64, struct store_user *u, struct err *err)
{
	unsigned char dec[512];
	char hash[AUTH_SECRET_HEX + 1], *colon;
	size_t len = strlen(b64);
	int n, rc;

	if (len == 0 || len > 4 * (sizeof(dec) - 1) / 3 || len % 4 != 0)
		return 0;
	n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)len);
	if (n <= 0)
		return 0;
	while (n > 0 && len > 0 && b64[--len] == '=')
		n--;          /* EVP_DecodeBlock counts the padding as zero bytes */
	dec[n] = '\0';
	colon = strchr((char *)dec, ':');
	if (colon == NULL)
		return 0;
	*colon = '\0';
	auth_secret_hash(colon + 1, hash);
	rc = store_token_user(st, hash, u, err);
	if (rc == 1 && !auth_secret_equal(u->name, (char *)dec))
		rc = 0;
	OPENSSL_cleanse(dec, sizeof(dec));
	return rc;
}

int
serve_auth_viewer(struct serve *s, struct store *st, const struct http_request *req,
		  struct serve_viewer *v, struct err *err)
{
	const char *authz = req->get_header(req, "Authorization");
	const char *cookies = req->get_header(req, "Cookie");
	char sid[AUTH_SECRET_HEX + 2], hash[AUTH_SECRET_HEX + 1];
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (s->no_auth) {
		snprintf(v->user.name, sizeof(v->user.name), "-");
		v->user.admin = 1;
		v->scope = domain_scope_new_all();
		return 1;
	}
	if (authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0) {
		auth_secret_hash(authz + 7 + strspn(authz + 7, " "), hash);
		rc = store_token_user(st, hash, &v->user, err);
	} else if (authz != NULL && strncasecmp(authz, "Basic ", 6) == 0) {
		rc = basic_user(st, authz + 6 + strspn(authz + 6, " "), &v->user, err);
	} else if (cookies != NULL &&
		   serve_cookie_get(cookies, SESSION_COOKIE, sid, sizeof(sid)) &&
		   strlen(sid) == AUTH_SECRET_HEX) {
		auth_secret_hash(sid, hash);
		rc = session_user(s, st, hash, &v->user, v->csrf, err);
		if (rc == 1)
			memcpy(v->session_hash, hash, sizeof(hash));
	}
	if (rc == 1 && load_scope(st, v, err) < 0)
		rc = -1;
	if (rc != 1) {
		domain_scope_free(&v->scope);
		memset(v, 0, sizeof(*v));
	}
	return rc;
}

static void
send_json(struct http_response *resp, unsigned status, json_t *v)
{
	char *text = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (text == NULL)
		http_response_text(resp, 500, "text/plain; charset=utf-8", "cannot encode JSON\n");
	else
		http_response_text(resp, status, "application/json", text);
	free(text);
	json_decref(v);
}

static void
send_error(struct http_response *resp, unsigned status, const char *msg)
{
	send_json(resp, status, json_pack("{s:s}", "error", msg));
}

static void
set_cookie(struct serve *s, struct http_response *resp, const char *name, const char *value,
	   int max_age)
{
	snprintf(resp->set_cookie, sizeof(resp->set_cookie),
		 "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", name, value, max_age,
		 s->cookie_secure ? "; Secure" : "");
}

/* A user name as it may appear in a log line: printable, bounded. */
static void
log_name(const char *name, char out[72])
{
	size_t i;

	for (i = 0; name != NULL && name[i] != '\0' && i < 64; i++)
		out[i] = (name[i] > ' ' && name[i] < 127 && name[i] != '"') ? name[i] : '?';
	out[i] = '\0';
}

/* GET /auth/csrf: a fresh pre-login CSRF value, as cookie and body. */
static void
auth_csrf(struct serve *s, struct http_response *resp)
{
	char tok[AUTH_SECRET_HEX + 1];
	struct err err;

	if (auth_secret_new(tok, &err) != 0) {
		log_error("auth: %s", err.msg);
		send_error(resp, 500, "cannot make a token");
		return;
	}
	send_json(resp, 200, json_pack("{s:s}", "csrf", tok));
	set_cookie(s, resp, CSRF_COOKIE, tok, 3600);
}

/* Checks the password of `name`; counts, logs and throttles failures. */
static void
auth_login(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	const char *hdr = req->get_header(req, "X-CSRF-Token");
	const char *cookies = req->get_header(req, "Cookie");
	const char *addr = req->client_addr != NULL ? req->client_addr : "";
	char want[AUTH_SECRET_HEX + 2], ukey[96], akey[96], lname[72];
	char sid[AUTH_SECRET_HEX + 1], shash[AUTH_SECRET_HEX + 1], csrf[AUTH_SECRET_HEX + 1];
	const char *name = NULL, *password = NULL;
	struct store_user u;
	struct store *st = NULL;
	struct err err;
	json_t *body = NULL;
	unsigned wait, n;
	double now = monotime_s();
	int rc, ok, broken = 0;

	memset(&u, 0, sizeof(u));
	if (hdr == NULL || cookies == NULL ||
	    !serve_cookie_get(cookies, CSRF_COOKIE, want, sizeof(want)) ||
	    !auth_secret_equal(hdr, want)) {
		send_error(resp, 403, "missing or wrong CSRF token: load /login.html again");
		return;
	}
	body = json_loadb(req->body, req->body_len, 0, NULL);
	if (body == NULL || json_unpack(body, "{s:s, s:s}", "user", &name,
					"password", &password) != 0 ||
	    strlen(name) > STORE_USER_NAME_MAX || strlen(password) > AUTH_PASSWORD_MAX) {
		send_error(resp, 400, "expected {\"user\": …, \"password\": …}");
		goto out;
	}
	log_name(name, lname);
	snprintf(ukey, sizeof(ukey), "user:%s", name);
	snprintf(akey, sizeof(akey), "addr:%s", addr);
	wait = serve_throttle_wait(s->throttle, ukey, now);
	n = serve_throttle_wait(s->throttle, akey, now);
	if (n > wait)
		wait = n;
	if (wait > 0) {
		atomic_fetch_add(&s->logins_throttled, 1);
		log_warn("login refused: user=\"%s\" from %s: too many failures, %u s to wait",
			 lname, addr, wait);
		snprintf(want, sizeof(want), "%u", wait);
		send_json(resp, 429, json_pack("{s:s, s:I}", "error",
			  "too many failed logins; try again later", "retry_after", (json_int_t)wait));
		goto out;
	}
	st = serve_store_get(s, &err);
	if (st == NULL || (rc = store_user_get(st, name, &u, &err)) < 0) {
		log_error("login: store: %s", err.msg);
		broken = 1;
		send_error(resp, 503, "store unavailable");
		goto out;
	}
	/* an unknown user costs the same hashing as a known one */
	ok = auth_password_verify(password, rc == 1 ? u.password_hash : auth_password_dummy_hash);
	if (!ok || rc != 1) {
		atomic_fetch_add(&s->logins_failed, 1);
		serve_throttle_fail(s->throttle, akey, now);
		n = serve_throttle_fail(s->throttle, ukey, now);
		log_warn("login failed: user=\"%s\" from %s (%u in a row)", lname, addr, n);
		send_error(resp, 401, "wrong user name or password");
		goto out;
	}
	if (auth_secret_new(sid, &err) != 0 || auth_secret_new(csrf, &err) != 0) {
		log_error("login: %s", err.msg);
		send_error(resp, 500, "cannot make a session");
		goto out;
	}
	auth_secret_hash(sid, shash);
	if (session_start(s, st, &u, shash, csrf, &err) != 0) {
		log_error("login: store: %s", err.msg);
		broken = 1;
		send_error(resp, 503, "store unavailable");
		goto out;
	}
	serve_throttle_clear(s->throttle, ukey);
	serve_throttle_clear(s->throttle, akey);
	atomic_fetch_add(&s->logins_ok, 1);
	log_info("login: user=\"%s\" from %s", lname, addr);
	send_json(resp, 200, json_pack("{s:s, s:b, s:s}", "user", u.name, "admin", u.admin,
				       "csrf", csrf));
	set_cookie(s, resp, SESSION_COOKIE, sid, SESSION_SECONDS);
	OPENSSL_cleanse(sid, sizeof(sid));
out:
	OPENSSL_cleanse(&u, sizeof(u));
	serve_store_put(s, st, broken);
	json_decref(body);    /* jansson's copy of the password is freed here */
}

int
serve_auth_public(struct serve *s, const struct http_request *req,
		  struct http_response *resp)
{
	if (strcmp(req->path, "/auth/csrf") == 0 && strcmp(req->method, "GET") == 0) {
		auth_csrf(s, resp);
		return 1;
	}
	if (strcmp(req->path, "/auth/login") == 0) {
		if (strcmp(req->method, "POST") == 0) {
			auth_login(s, req, resp);
		} else {
			send_error(resp, 405, "use POST");
			snprintf(resp->allow, sizeof(resp->allow), "POST");
		}
		return 1;
	}
	return 0;
}

static json_t *
me_json(const struct serve_ctx *ctx)
{
	const struct serve_viewer *v = ctx->viewer;

	return json_pack("{s:s, s:b, s:s}", "user", v->user.name, "admin", v->user.admin,
			 "csrf", v->csrf);
}

int
serve_auth_routes(struct serve_ctx *ctx, const struct http_request *req,
		  struct http_response *resp)
{
	const char *hdr;
	struct err err;

	if (strcmp(req->path, "/auth/me") == 0) {
		send_json(resp, 200, me_json(ctx));
		return 1;
	}
	if (strcmp(req->path, "/auth/logout") != 0)
		return 0;
	if (strcmp(req->method, "POST") != 0) {
		send_error(resp, 405, "use POST");
		snprintf(resp->allow, sizeof(resp->allow), "POST");
		return 1;
	}
	hdr = req->get_header(req, "X-CSRF-Token");
	if (ctx->viewer->session_hash[0] == '\0' || hdr == NULL ||
	    !auth_secret_equal(hdr, ctx->viewer->csrf)) {
		send_error(resp, 403, "logout needs the session's CSRF token");
		return 1;
	}
	if (session_end(ctx->serve, ctx->store, ctx->viewer->session_hash, &err) != 0) {
		log_error("logout: store: %s", err.msg);
		ctx->store_broken = 1;
		send_error(resp, 503, "store unavailable");
		return 1;
	}
	send_json(resp, 200, json_pack("{s:b}", "logged_out", 1));
	set_cookie(ctx->serve, resp, SESSION_COOKIE, "", 0);
	return 1;
}
