/*
 * collectd: the receive loop of `tlsrpt collectd` (see collectd.h).
 *
 * One thread polls the socket and a signalfd; a second one (the writer)
 * commits.  Datagrams are read one recv() each with MSG_TRUNC, so an
 * oversized one is seen as such instead of silently cut.
 */
#include "collector/collectd.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collector/collect_socket.h"
#include "collector/collect_writer.h"
#include "collector/datagram.h"
#include "collector/dgcache.h"
#include "store/store.h"
#include "util/log.h"
#include "util/privdrop.h"
#include "util/xalloc.h"

/* Datagrams read per poll round before signals and timers are looked at. */
#define DRAIN_MAX 4096
/* Invalid datagrams logged one by one per stats period; the rest are counted. */
#define INVALID_LOG_MAX 20

struct counters {
	uint64_t received;
	uint64_t results;
	uint64_t invalid[DATAGRAM_REASON_COUNT];
	uint64_t dpv_missing, dpv_bad, utf8_repaired, t_mismatch;
	unsigned logged;                /* invalid ones logged this period */
};

struct loop {
	const struct collectd_config *cfg;
	int sock, sigfd;
	char *buf;                      /* DATAGRAM_MAX + 1 bytes */
	struct datagram_batch batch;
	struct dgcache *cache;
	struct collect_writer *writer;
	struct counters c;
	int64_t last_rx_ms, batch_start_ms, next_stats_ms;
	int stop;
};

void
collectd_config_defaults(struct collectd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_mode = -1;
	cfg->batch_max = 10000;
	cfg->flush_ms = 200;
	cfg->stats_secs = 300;
	cfg->rcvbuf = 8u << 20;
	cfg->max_pending = 100000;
	cfg->daemonize = 0;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
log_counters(struct loop *l, const char *when, const struct collect_writer_stats *w)
{
	struct collect_writer_stats ws = *w;
	const struct counters *c = &l->c;

	log_info("collectd %s: received=%" PRIu64 " results=%" PRIu64 " stored=%" PRIu64
		 " pending=%" PRIu64 " transactions=%" PRIu64 " invalid: bad-json=%" PRIu64
		 " missing-key=%" PRIu64 " bad-value=%" PRIu64 " too-big=%" PRIu64
		 "; dpv-missing=%" PRIu64 " dpv-bad=%" PRIu64 " utf8-repaired=%" PRIu64
		 " t-mismatch=%" PRIu64 " store-errors=%" PRIu64 " lost=%" PRIu64,
		 when, c->received, c->results, ws.stored, ws.pending, ws.transactions,
		 c->invalid[DATAGRAM_BAD_JSON], c->invalid[DATAGRAM_MISSING_KEY],
		 c->invalid[DATAGRAM_BAD_VALUE], c->invalid[DATAGRAM_TOO_BIG], c->dpv_missing,
		 c->dpv_bad, c->utf8_repaired, c->t_mismatch, ws.store_errors, ws.lost);
	l->c.logged = 0;
}

static void
hand_over(struct loop *l)
{
	collect_writer_push(l->writer, &l->batch);
}

/* Replaces control characters (from the datagram: "\n" in a domain…) so
 * that one log line stays one line. */
static void
defang(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
count_invalid(struct loop *l, enum datagram_reason r, char *msg)
{
	l->c.invalid[r]++;
	if (l->c.logged < INVALID_LOG_MAX) {
		defang(msg);
		log_warn("collectd: dropped datagram (%s): %s", datagram_reason_name(r), msg);
		if (++l->c.logged == INVALID_LOG_MAX)
			log_warn("collectd: more invalid datagrams this period are only counted");
	}
}

static void
handle_datagram(struct loop *l, size_t len, int64_t now_ms)
{
	struct datagram_info info;
	struct err err;
	int64_t day = (int64_t)time(NULL) / 86400;
	int n;

	l->c.received++;
	if (len > DATAGRAM_MAX) {
		char msg[] = "larger than the 16 MiB limit";

		count_invalid(l, DATAGRAM_TOO_BIG, msg);
		return;
	}
	n = dgcache_decode(l->cache, l->buf, len, day, &l->batch, &info, &err);
	l->c.dpv_missing += (uint64_t)info.dpv_missing;
	l->c.dpv_bad += (uint64_t)info.dpv_bad;
	l->c.utf8_repaired += (uint64_t)info.utf8_repaired;
	l->c.t_mismatch += (uint64_t)info.t_mismatch;
	if (info.dpv_bad && l->c.logged < INVALID_LOG_MAX) {
		l->c.logged++;
		log_warn("collectd: datagram with an unknown \"dpv\" (not \"1\"), processed anyway");
	}
	if (n < 0) {
		count_invalid(l, info.reason, err.msg);
		return;
	}
	if (l->batch.n == (size_t)n)
		l->batch_start_ms = now_ms;
	l->c.results += (uint64_t)n;
	l->last_rx_ms = now_ms;
	if (l->batch.n >= l->cfg->batch_max)
		hand_over(l);
}

/* Reads up to max queued datagrams.  Returns 1 when the queue is empty. */
static int
drain(struct loop *l, unsigned max)
{
	int64_t now = mono_ms();

	for (unsigned i = 0; i < max; i++) {
		ssize_t n = recv(l->sock, l->buf, DATAGRAM_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn_errno("collectd: recv");
			return 1;
		}
		handle_datagram(l, (size_t)n, now);
	}
	return 0;
}

static void
handle_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("collectd: SIGHUP, storing the current batch");
			hand_over(l);
		} else {
			log_info("collectd: signal %u, shutting down", si.ssi_signo);
			l->stop = 1;
		}
	}
}

static int
poll_timeout(const struct loop *l, int64_t now)
{
	int64_t due = -1;

	if (l->batch.n > 0) {
		int64_t idle = l->last_rx_ms + l->cfg->flush_ms;
		int64_t age = l->batch_start_ms + 5 * (int64_t)l->cfg->flush_ms;

		due = idle < age ? idle : age;
	}
	if (l->cfg->stats_secs > 0 && (due < 0 || l->next_stats_ms < due))
		due = l->next_stats_ms;
	if (due < 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

static void
run_loop(struct loop *l)
{
	while (!l->stop) {
		struct pollfd p[2] = { { l->sock, POLLIN, 0 }, { l->sigfd, POLLIN, 0 } };
		int64_t now = mono_ms();
		int rc = poll(p, 2, poll_timeout(l, now));

		if (rc < 0 && errno != EINTR) {
			log_warn_errno("collectd: poll");
			continue;
		}
		if (rc > 0 && (p[1].revents & POLLIN))
			handle_signals(l);
		if (rc > 0 && (p[0].revents & POLLIN))
			drain(l, DRAIN_MAX);
		now = mono_ms();
		/* A partial batch goes after flush_ms idle, or 5 x flush_ms at most. */
		if (l->batch.n > 0 && (now - l->last_rx_ms >= l->cfg->flush_ms ||
				       now - l->batch_start_ms >= 5 * (int64_t)l->cfg->flush_ms))
			hand_over(l);
		if (l->cfg->stats_secs > 0 && now >= l->next_stats_ms) {
			struct collect_writer_stats ws;

			collect_writer_get_stats(l->writer, &ws);
			log_counters(l, "stats", &ws);
			l->next_stats_ms = now + 1000 * (int64_t)l->cfg->stats_secs;
		}
	}
	/* What the kernel queued before the signal; at most 2 s under load. */
	for (int64_t end = mono_ms() + 2000; !drain(l, DRAIN_MAX) && mono_ms() < end;)
		;
	hand_over(l);
}

/* Blocks the signals the loop reads from a signalfd (inherited by the
 * writer thread).  Returns the signalfd or -1. */
static int
signals_setup(struct err *err)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		err_set(err, "collectd: blocking signals failed");
		return -1;
	}
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		err_set(err, "collectd: signalfd: %s", strerror(errno));
	return fd;
}

int
collectd_run(const struct collectd_config *cfg, struct err *err)
{
	struct loop l;
	struct store *s = NULL;
	char *url;
	long qlen;
	int rc = -1;

	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	l.sock = l.sigfd = -1;
	l.sock = collect_socket_bind(cfg->socket_path, cfg->socket_mode, cfg->socket_group,
				     cfg->rcvbuf, err);
	if (l.sock < 0)
		return -1;
	/* the store is opened (and created) as the unprivileged user */
	if (privdrop_to_user(cfg->user, err) < 0)
		goto out;
	s = store_open(cfg->db_url, err);
	if (s == NULL)
		goto out;
	if (cfg->daemonize) {
		/* No database handle across fork(): close, detach, reopen. */
		store_close(&s);
		if (daemon(1, 0) < 0) {
			err_set(err, "collectd: daemon(): %s", strerror(errno));
			goto out;
		}
		if ((s = store_open(cfg->db_url, err)) == NULL)
			goto out;
	}
	if ((l.sigfd = signals_setup(err)) < 0)
		goto out;
	l.writer = collect_writer_start(s, cfg->max_pending, err);
	s = NULL;
	if (l.writer == NULL)
		goto out;
	qlen = collect_socket_qlen();
	if (qlen >= 0 && qlen < 512)
		log_warn("collectd: net.unix.max_dgram_qlen is %ld: bursts over %ld datagrams are "
			 "dropped by the kernel; set it to 512 or more before starting", qlen, qlen);
	url = store_url_redact(cfg->db_url);    /* no password in the log */
	log_info("collectd: receiving on %s (receive buffer %zu bytes), storing to %s",
		 cfg->socket_path, collect_socket_rcvbuf(l.sock), url);
	free(url);
	l.buf = xmalloc((size_t)DATAGRAM_MAX + 1);
	l.cache = xcalloc(1, sizeof(*l.cache));
	l.next_stats_ms = mono_ms() + 1000 * (int64_t)cfg->stats_secs;
	run_loop(&l);
	rc = 0;
out:
	if (l.sock >= 0) {
		close(l.sock);
		unlink(cfg->socket_path);
	}
	if (l.writer != NULL) {
		struct collect_writer_stats ws;

		if (collect_writer_stop(&l.writer, &ws) < 0)
			rc = 1;
		log_counters(&l, "exit", &ws);
	}
	if (l.sigfd >= 0)
		close(l.sigfd);
	store_close(&s);
	datagram_batch_free(&l.batch);
	free(l.buf);
	if (l.cache != NULL)
		dgcache_clear(l.cache);
	free(l.cache);
	return rc;
}
