/*
 * http_server: libmicrohttpd glue (see http_server.h).
 *
 * MHD calls the access handler several times per request: once with the
 * headers (we allocate the per-request state and refuse a declared body
 * over the limit with 413 at once), then once per body chunk (appended to
 * a bounded buf; past the limit the rest is discarded), then once with no
 * data: the request is complete and goes to the application handler.
 *
 * Each connection is registered with http_limits from MHD's "started" to
 * its "closed" notification (its entry is MHD's socket context): that
 * gives the header and body deadlines and the per-address request count.
 * A request over the per-address limit has its body read and thrown away
 * and is answered 429 with Retry-After: answering before the body is read
 * and closing would make the kernel reset the connection, and the client
 * could lose the answer.  MHD's own per-IP limit (a close without answer)
 * is not used; its connection limit is: past it MHD stops accepting, so
 * new connections wait in the listen queue instead of being refused.
 *
 * A handler may suspend its request (http_request_suspend()): the request
 * state remembers the finish function; MHD calls the access handler again
 * once http_resume() has resumed the connection, and that call fills the
 * answer through finish().  The count of suspended requests lets
 * http_server_stop() wait for them (MHD must not stop with a connection
 * suspended); while stopping, nothing more is suspended.
 */
#include "net/http_server.h"
#include "net/http_response_mhd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net/http_limits.h"
#include "util/log.h"
#include "util/xalloc.h"

struct http_server {
	struct MHD_Daemon *daemon;
	struct http_server_config cfg;
	char *cert;
	char *key;
	char *csp;
	unsigned port;
	struct http_limits *limits;
	atomic_uint n_suspended;   /* requests suspended, not yet finished */
	atomic_int stopping;       /* http_server_stop() has begun */
};

/* Per-request state, freed by request_completed(). */
struct request_state {
	struct buf body;
	int too_big;
	int over_ip_limit;       /* answered 429 once the body is in */
	struct http_conn *conn;  /* its http_limits entry, or NULL */
	struct http_server *srv;
	struct MHD_Connection *mhd;
	http_finish_fn finish;   /* set while suspended (see the top) */
	void *finish_ctx;
};

struct http_suspended *
http_request_suspend(const struct http_request *req, http_finish_fn finish, void *ctx)
{
	struct request_state *st = req->impl_state;

	if (st == NULL || st->finish != NULL || atomic_load(&st->srv->stopping))
		return NULL;
	st->finish = finish;
	st->finish_ctx = ctx;
	atomic_fetch_add(&st->srv->n_suspended, 1);
	MHD_suspend_connection(st->mhd);
	return (struct http_suspended *)st;
}

void
http_resume(struct http_suspended *h)
{
	struct request_state *st = (struct request_state *)h;

	MHD_resume_connection(st->mhd);
}

/* Calls the finish function of a suspended request (resp NULL: no answer
 * will be sent) and forgets it. */
static void
finish_suspended(struct request_state *st, struct http_response *resp)
{
	http_finish_fn fn = st->finish;

	st->finish = NULL;
	fn(st->finish_ctx, resp);
	st->finish_ctx = NULL;
	atomic_fetch_sub(&st->srv->n_suspended, 1);
}

static const char *
mhd_get_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->impl, MHD_HEADER_KIND, name);
}

static const char *
mhd_get_query(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->impl, MHD_GET_ARGUMENT_KIND, name);
}

/* MHD_KeyValueIteratorN: stops at the first value holding a NUL byte,
 * leaving its name in *cls. */
static enum MHD_Result
find_nul_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
	     const char *value, size_t value_size)
{
	(void)kind;
	(void)key_size;
	if (value == NULL || memchr(value, '\0', value_size) == NULL)
		return MHD_YES;
	*(const char **)cls = key;
	return MHD_NO;
}

static enum MHD_Result
send_response(struct http_server *s, struct MHD_Connection *conn,
	      struct http_response *resp)
{
	struct MHD_Response *r = http_response_mhd(resp);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (resp->content_type[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	if (resp->allow[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->set_cookie[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, resp->set_cookie);
	if (resp->www_authenticate[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					resp->www_authenticate);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
				resp->cache_control[0] != '\0' ? resp->cache_control : "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (resp->retry_after_s != 0) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%u", resp->retry_after_s);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	if (s->csp != NULL)
		MHD_add_response_header(r, "Content-Security-Policy", s->csp);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
send_text(struct http_server *s, struct MHD_Connection *conn, unsigned status,
	  unsigned retry_after_s, const char *text)
{
	struct http_response resp;
	enum MHD_Result ret;

	http_response_init(&resp);
	http_response_text(&resp, status, "text/plain; charset=utf-8", text);
	resp.retry_after_s = retry_after_s;
	ret = send_response(s, conn, &resp);
	http_response_cleanup(&resp);
	if (s->cfg.on_own_status != NULL)
		s->cfg.on_own_status(s->cfg.app, status);
	return ret;
}

/* Content-Length above the limit: refuse before reading the body. */
static int
declared_too_big(struct MHD_Connection *conn, size_t max)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long n;
	char *end = NULL;

	if (cl == NULL)
		return 0;
	errno = 0;
	n = strtoull(cl, &end, 10);
	if (end == cl || errno != 0)
		return 0;     /* MHD itself rejects a malformed length */
	return n > max;
}

static enum MHD_Result
access_handler(void *cls, struct MHD_Connection *conn, const char *url,
	       const char *method, const char *version, const char *upload_data,
	       size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request_state *st = *con_cls;
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;
	char too_big[96], peer[INET6_ADDRSTRLEN] = "";
	const union MHD_ConnectionInfo *ci;

	(void)version;
	if (st == NULL) {
		const union MHD_ConnectionInfo *sc =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		st = xcalloc(1, sizeof(*st));
		st->srv = s;
		st->mhd = conn;
		buf_init(&st->body, s->cfg.max_body);
		*con_cls = st;
		st->conn = sc != NULL ? sc->socket_context : NULL;
		if (!http_limits_request_started(s->limits, st->conn, s->cfg.per_ip_limit))
			st->over_ip_limit = 1;
		if (declared_too_big(conn, s->cfg.max_body)) {
			st->too_big = 1;
			snprintf(too_big, sizeof(too_big),
				 "request body larger than %zu bytes\n", s->cfg.max_body);
			return send_text(s, conn, 413, 0, too_big);
		}
		return MHD_YES;
	}
	if (st->finish != NULL && *upload_data_size == 0) {
		/* resumed: the answer is ready */
		http_response_init(&resp);
		finish_suspended(st, &resp);
		ret = send_response(s, conn, &resp);
		http_response_cleanup(&resp);
		return ret;
	}
	if (*upload_data_size > 0) {
		if (st->over_ip_limit) {
			/* read and dropped, so that the 429 is not lost to a reset */
		} else if (!st->too_big &&
			   buf_append(&st->body, upload_data, *upload_data_size) != 0) {
			st->too_big = 1;
			buf_free(&st->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_big) {
		snprintf(too_big, sizeof(too_big), "request body larger than %zu bytes\n",
			 s->cfg.max_body);
		return send_text(s, conn, 413, 0, too_big);
	}
	http_limits_request_answering(s->limits, st->conn);
	if (st->over_ip_limit) {
		snprintf(too_big, sizeof(too_big),
			 "too many requests in progress from your address (limit %u)\n",
			 s->cfg.per_ip_limit);
		return send_text(s, conn, 429, HTTP_SERVER_RETRY_AFTER_S, too_big);
	}
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.body = st->body.data != NULL ? st->body.data : "";
	req.body_len = st->body.len;
	req.get_header = mhd_get_header;
	req.get_query = mhd_get_query;
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_nul_arg, &req.query_nul_arg);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  peer, sizeof(peer));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  peer, sizeof(peer));
	}
	req.client_addr = peer;
	req.impl = conn;
	req.impl_state = st;
	http_response_init(&resp);
	s->cfg.handler(s->cfg.app, &req, &resp);
	if (st->finish != NULL) {
		/* suspended: answered when resumed */
		http_response_cleanup(&resp);
		return MHD_YES;
	}
	ret = send_response(s, conn, &resp);
	http_response_cleanup(&resp);
	return ret;
}

static void
request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct request_state *st = *con_cls;

	(void)conn;
	(void)toe;
	if (st != NULL) {
		if (st->finish != NULL)
			finish_suspended(st, NULL);   /* resumed, then the connection ended */
		http_limits_request_done(s->limits, st->conn);
		buf_free(&st->body);
		free(st);
		*con_cls = NULL;
	}
}

/* Registers each connection with http_limits (see the top of this file). */
static void
connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	const union MHD_ConnectionInfo *fd, *addr;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_limits_conn_closed(s->limits, *socket_context);
		*socket_context = NULL;
		return;
	}
	fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (fd == NULL)
		return;     /* not registered: no deadline, not counted */
	*socket_context = http_limits_conn_opened(s->limits, fd->connect_fd,
		addr != NULL ? addr->client_addr : NULL,
		addr != NULL && addr->client_addr != NULL &&
		addr->client_addr->sa_family == AF_INET6 ?
		(socklen_t)sizeof(struct sockaddr_in6) : (socklen_t)sizeof(struct sockaddr_in));
}

int
http_server_parse_listen(const char *listen, char *host, size_t hostlen,
			 unsigned *port, struct err *err)
{
	const char *colon, *h = listen;
	size_t hl;
	char *end = NULL;
	unsigned long p;

	if (listen[0] == '[') {
		colon = strstr(listen, "]:");
		if (colon == NULL) {
			err_set(err, "listen address \"%s\": expected [IPv6]:PORT", listen);
			return -1;
		}
		h = listen + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL) {
			err_set(err, "listen address \"%s\": expected ADDR:PORT", listen);
			return -1;
		}
		hl = (size_t)(colon - listen);
	}
	if (hl >= hostlen) {
		err_set(err, "listen address \"%s\": address too long", listen);
		return -1;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || p > 65535) {
		err_set(err, "listen address \"%s\": bad port", listen);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (unsigned)p;
	return 0;
}

/* Resolves host (numeric or a name, "" = any IPv4) into ss. */
static int
resolve_listen(const char *host, unsigned port, struct sockaddr_storage *ss,
	       socklen_t *sslen, struct err *err)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", portstr, &hints, &res);
	if (rc != 0) {
		err_set(err, "listen address \"%s\": %s", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct http_server *
http_server_start(const struct http_server_config *cfg, struct err *err)
{
	struct http_server *s = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	char host[256];
	unsigned port = 0, flags;
	const union MHD_DaemonInfo *di;

	if (http_server_parse_listen(cfg->listen != NULL ? cfg->listen : "127.0.0.1:8460",
				     host, sizeof(host), &port, err) != 0 ||
	    resolve_listen(host, port, &ss, &sslen, err) != 0)
		return NULL;
	if ((cfg->tls_cert_pem == NULL) != (cfg->tls_key_pem == NULL)) {
		err_set(err, "TLS needs both a certificate and a key");
		return NULL;
	}
	if (cfg->tls_cert_pem != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		err_set(err, "this libmicrohttpd was built without TLS support");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	atomic_init(&s->n_suspended, 0);
	atomic_init(&s->stopping, 0);
	s->cfg = *cfg;
	if (s->cfg.max_body == 0)
		s->cfg.max_body = HTTP_SERVER_DEFAULT_MAX_BODY;
	if (s->cfg.threads == 0)
		s->cfg.threads = 4;
	if (s->cfg.timeout_s == 0)
		s->cfg.timeout_s = 30;
	if (s->cfg.per_ip_limit == 0)
		s->cfg.per_ip_limit = 32;
	if (s->cfg.max_connections == 0)
		s->cfg.max_connections = 512;
	if (s->cfg.max_connections < s->cfg.threads)
		s->cfg.max_connections = s->cfg.threads;   /* MHD splits it between threads */
	if (s->cfg.header_timeout_s == 0)
		s->cfg.header_timeout_s = 10;
	if (s->cfg.body_timeout_s == 0)
		s->cfg.body_timeout_s = 60;
	s->cert = xstrdup(cfg->tls_cert_pem);
	s->key = xstrdup(cfg->tls_key_pem);
	s->csp = xstrdup(cfg->csp);
	s->limits = http_limits_new(s->cfg.max_connections, s->cfg.header_timeout_s, s->cfg.body_timeout_s,
				    s->cert != NULL);
	if (s->limits == NULL) {
		err_set(err, "cannot start the connection watchdog thread");
		goto fail;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (s->cert != NULL)
		flags |= MHD_USE_TLS;
	if (log_get_level() >= LOG_LEVEL_DEBUG)
		flags |= MHD_USE_ERROR_LOG;
	if (s->cert != NULL)
		s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, s,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
			MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
			MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections,
			MHD_OPTION_NOTIFY_CONNECTION, connection_notify, s,
			MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
			MHD_OPTION_HTTPS_MEM_CERT, s->cert,
			MHD_OPTION_HTTPS_MEM_KEY, s->key,
			MHD_OPTION_END);
	else
		s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, access_handler, s,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
			MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
			MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections,
			MHD_OPTION_NOTIFY_CONNECTION, connection_notify, s,
			MHD_OPTION_NOTIFY_COMPLETED, request_completed, s,
			MHD_OPTION_END);
	if (s->daemon == NULL) {
		err_set(err, "cannot listen on %s:%u%s (address in use, not local, or bad TLS "
			"certificate/key)", host[0] != '\0' ? host : "*", port,
			s->cert != NULL ? " with TLS" : "");
		goto fail;
	}
	(void)sslen;
	di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di != NULL ? di->port : port;
	return s;
fail:
	http_limits_free(&s->limits);
	free(s->cert);
	free(s->key);
	free(s->csp);
	free(s);
	return NULL;
}

unsigned
http_server_port(const struct http_server *s)
{
	return s->port;
}

void
http_server_stop(struct http_server **sp)
{
	struct http_server *s;

	if (sp == NULL || *sp == NULL)
		return;
	s = *sp;
	/* MHD must not stop with a suspended connection: no new suspensions,
	 * and wait for those suspended to be resumed and answered (whoever
	 * suspended them is still running: see http_request_suspend()) */
	atomic_store(&s->stopping, 1);
	while (atomic_load(&s->n_suspended) > 0) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->daemon);
	http_limits_free(&s->limits);
	free(s->cert);
	free(s->key);
	free(s->csp);
	free(s);
	*sp = NULL;
}

void
http_server_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

int
http_server_wait_signal(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	return sig;
}
