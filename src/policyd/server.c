/*
 * server: policyd's sockets, connection threads and main loop (see
 * policyd.h).  Signals are blocked in every thread but the main one,
 * whose poll() they interrupt.
 */
#include "policyd/policyd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "policyd/core.h"
#include "policyd/key.h"
#include "policyd/netstring.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

#define SLICE_MS 500            /* connection threads look at `stopping` this often */

static volatile sig_atomic_t got_term, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

void
policyd_config_defaults(struct policyd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->socket_path = "/var/spool/postfix/tlsrpt/policyd.sock";
	c->socket_mode = 0666;
	c->https.timeout_ms = 10000;
	c->https.max_body = 65536;
	c->dns.timeout_ms = 5000;
	c->rules.check_interval = 3600;
	c->rules.retry_interval = 300;
	c->rules.none_ttl = 3600;
	c->rules.refresh_before = 86400;
	c->rules.dane_first = 1;
	c->rules.tlsrpt = 1;
	c->workers = 4;
	c->max_connections = 256;
	c->answer_timeout_ms = 10000;
	c->idle_timeout_ms = 300000;
	c->stats_secs = 300;
	c->cache_size = 100000;
}

struct server {
	struct policyd_core *core;
	const struct policyd_config *cfg;
	pthread_mutex_t lock;
	pthread_cond_t gone;
	int active;                     /* connection threads running */
	volatile int stopping;
};

struct conn {
	struct server *srv;
	int fd;
};

/* Writes all of b; 0 or -1 (peer gone or stuck for the idle timeout). */
static int
write_all(int fd, const char *b, size_t n, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	ssize_t w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
	}
	return 0;
}

/* Sends one netstring "<len>:<payload>," with one sendmsg(); 0 or -1. */
static int
send_netstring(int fd, const char *payload, size_t len, int timeout_ms)
{
	char head[32];
	struct iovec iov[3];
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };
	size_t total;
	ssize_t w;
	int h = snprintf(head, sizeof(head), "%zu:", len);

	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)h;
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	iov[2].iov_base = ",";
	iov[2].iov_len = 1;
	total = (size_t)h + len + 1;
	w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w == (ssize_t)total)
		return 0;
	/* a short or blocked send (a full socket buffer): the slow path */
	if (w < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	if (w < 0)
		w = 0;
	{
		struct buf b;
		int rc;

		buf_init(&b, total);
		(void)buf_append(&b, head, (size_t)h);
		(void)buf_append(&b, payload, len);
		(void)buf_append(&b, ",", 1);
		rc = write_all(fd, b.data + w, total - (size_t)w, timeout_ms);
		buf_free(&b);
		return rc;
	}
}

static void *
conn_main(void *arg)
{
	struct conn *cn = arg;
	struct server *srv = cn->srv;
	char in[POLICYD_REQUEST_MAX + 16];
	size_t have = 0, plen, used;
	const char *payload;
	struct buf ans, frame;
	struct err err = { { 0 } };
	struct pollfd p = { .fd = cn->fd, .events = POLLIN };
	int idle = 0, r;
	ssize_t n;

	buf_init(&ans, POLICYD_REPLY_MAX + 64);
	buf_init(&frame, 64);
	while (!srv->stopping) {
		/* answer every whole request in the buffer */
		while ((r = netstring_decode(in, have, POLICYD_REQUEST_MAX, &payload, &plen, &used, &err)) == 1) {
			buf_reset(&ans);
			policyd_core_answer(srv->core, payload, plen, &ans);
			if (send_netstring(cn->fd, ans.data, ans.len, srv->cfg->idle_timeout_ms) < 0)
				goto out;
			memmove(in, in + used, have - used);
			have -= used;
		}
		if (r < 0) {
			policyd_core_count_bad_request(srv->core);
			log_warn("client: %s: answering PERM and closing the connection", err.msg);
			buf_reset(&frame);
			(void)netstring_encode(&frame, "PERM bad netstring", 18);
			(void)write_all(cn->fd, frame.data, frame.len, 1000);
			goto out;
		}
		/* read at once if data is there; wait in slices otherwise */
		n = recv(cn->fd, in + have, sizeof(in) - have, MSG_DONTWAIT);
		if (n > 0) {
			idle = 0;
			have += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			goto out;
		r = poll(&p, 1, SLICE_MS);
		if (r == 0) {
			idle += SLICE_MS;
			if (idle >= srv->cfg->idle_timeout_ms) {
				if (have > 0)
					log_warn("client: incomplete request (%zu bytes) for %d ms: closing",
					    have, srv->cfg->idle_timeout_ms);
				goto out;
			}
		} else if (r < 0 && errno != EINTR)
			goto out;
	}
out:
	close(cn->fd);
	buf_free(&ans);
	buf_free(&frame);
	pthread_mutex_lock(&srv->lock);
	srv->active--;
	pthread_cond_broadcast(&srv->gone);
	pthread_mutex_unlock(&srv->lock);
	free(cn);
	return NULL;
}

static int
bind_unix(const char *path, int mode, struct err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		err_set(err, "socket path %s: longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* a socket left by an earlier run is replaced; anything else is not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			err_set(err, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		err_set(err, "socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (mode >= 0 && chmod(path, (mode_t)mode) < 0) {
		err_set(err, "chmod %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* "ADDR:PORT" or "[ADDR]:PORT", loopback addresses only. */
static int
bind_tcp(const char *spec, struct err *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char *host = xstrdup(spec), *port, *end;
	int fd = -1, one = 1, loop = 0, rc;

	port = strrchr(host, ':');
	if (port == NULL) {
		err_set(err, "listen address \"%s\": want ADDR:PORT", spec);
		goto out;
	}
	*port++ = '\0';
	if (host[0] == '[' && (end = strchr(host, ']')) != NULL) {
		*end = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		err_set(err, "listen address \"%s\": %s", spec, gai_strerror(rc));
		goto out;
	}
	if (ai->ai_family == AF_INET)
		loop = (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
	else if (ai->ai_family == AF_INET6)
		loop = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	if (!loop) {
		err_set(err, "listen address \"%s\": only loopback addresses (the socketmap protocol "
		    "has no authentication)", spec);
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		err_set(err, "listen %s: %s", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	free(host);
	return fd;
}

/* "ADDR:PORT" of a bound TCP socket (the port the kernel chose for 0). */
static void
tcp_name(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		snprintf(out, n, "%s:%u", host, port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(out, n, "[%s]:%u", host, port);
	}
}

static void
accept_one(struct server *srv, int lfd)
{
	struct conn *cn;
	pthread_attr_t at;
	pthread_t t;
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	pthread_mutex_lock(&srv->lock);
	if (srv->active >= srv->cfg->max_connections) {
		pthread_mutex_unlock(&srv->lock);
		policyd_core_count_connection(srv->core, 0);
		log_warn("client refused: %d connections already (policyd_max_connections)",
		    srv->cfg->max_connections);
		close(fd);
		return;
	}
	srv->active++;
	pthread_mutex_unlock(&srv->lock);
	policyd_core_count_connection(srv->core, 1);
	cn = xcalloc(1, sizeof(*cn));
	cn->srv = srv;
	cn->fd = fd;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	if (pthread_create(&t, &at, conn_main, cn) != 0) {
		log_warn_errno("cannot start a connection thread");
		close(fd);
		free(cn);
		pthread_mutex_lock(&srv->lock);
		srv->active--;
		pthread_mutex_unlock(&srv->lock);
	}
	pthread_attr_destroy(&at);
}

int
policyd_run(const struct policyd_config *cfg, struct err *err)
{
	struct server srv = { .cfg = cfg };
	struct pollfd pfd[2];
	struct sigaction sa;
	sigset_t block, old;
	int nfd = 0, i, rc = -1;
	int64_t last_stats, last_tick;
	struct timespec until;
	char tcp[128] = "";

	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.gone, NULL);
	if (cfg->socket_path != NULL && *cfg->socket_path != '\0') {
		if ((pfd[nfd].fd = bind_unix(cfg->socket_path, cfg->socket_mode, err)) < 0)
			goto out;
		pfd[nfd++].events = POLLIN;
	}
	if (cfg->listen != NULL && *cfg->listen != '\0') {
		if ((pfd[nfd].fd = bind_tcp(cfg->listen, err)) < 0)
			goto out;
		pfd[nfd++].events = POLLIN;
		tcp_name(pfd[nfd - 1].fd, tcp, sizeof(tcp));
	}
	if (nfd == 0) {
		err_set(err, "nothing to listen on: give a socket path or a listen address");
		goto out;
	}
	if (cfg->daemonize && daemon(1, 0) < 0) {
		err_set(err, "daemon(): %s", strerror(errno));
		goto out;
	}
	/* threads inherit the blocked signals; the main thread takes them */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	srv.core = policyd_core_new(cfg, NULL, err);
	if (srv.core == NULL) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigdelset(&block, SIGHUP);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	if (cfg->socket_path != NULL && *cfg->socket_path != '\0')
		log_info("listening on unix %s", cfg->socket_path);
	if (tcp[0] != '\0')
		log_info("listening on tcp %s", tcp);
	last_stats = last_tick = monotime_ms() / 1000;
	while (!got_term) {
		if (poll(pfd, (nfds_t)nfd, 1000) > 0)
			for (i = 0; i < nfd; i++)
				if (pfd[i].revents & POLLIN)
					accept_one(&srv, pfd[i].fd);
		if (got_usr1) {
			got_usr1 = 0;
			policyd_core_log_stats(srv.core);
		}
		if (monotime_ms() / 1000 != last_tick) {
			last_tick = monotime_ms() / 1000;
			policyd_core_tick(srv.core);
		}
		if (cfg->stats_secs > 0 && monotime_ms() / 1000 - last_stats >= cfg->stats_secs) {
			last_stats = monotime_ms() / 1000;
			policyd_core_log_stats(srv.core);
		}
	}
	log_info("stopping");
	srv.stopping = 1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&srv.lock);
	while (srv.active > 0)
		if (pthread_cond_timedwait(&srv.gone, &srv.lock, &until) == ETIMEDOUT)
			break;
	i = srv.active;
	pthread_mutex_unlock(&srv.lock);
	policyd_core_log_stats(srv.core);
	if (i == 0)
		policyd_core_free(&srv.core);   /* else a thread still answers: leave it */
	rc = 0;
out:
	for (i = 0; i < nfd; i++)
		close(pfd[i].fd);
	if (cfg->socket_path != NULL && *cfg->socket_path != '\0' && nfd > 0)
		unlink(cfg->socket_path);
	return rc;
}

int
policyd_query(const struct policyd_config *cfg, const char *name, FILE *out, struct err *err)
{
	struct policyd_config c = *cfg;
	struct policyd_core *core;
	const char *why;
	char *domain = policyd_key_domain(name, strlen(name), &why);

	if (domain == NULL) {
		err_set(err, "\"%s\": %s: Postfix gets NOTFOUND", name, why);
		return -1;
	}
	c.workers = 0;
	c.collector_socket = NULL;      /* an operator's query is not a delivery */
	core = policyd_core_new(&c, NULL, err);
	if (core == NULL) {
		free(domain);
		return -1;
	}
	policyd_core_resolve_now(core, domain);
	policyd_core_describe(core, domain, out);
	policyd_core_free(&core);
	free(domain);
	return 0;
}
