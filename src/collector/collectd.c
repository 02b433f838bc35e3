/*
 * collectd: the receive loop of `tlsrpt collectd` (see collectd.h).
 *
 * One thread polls the socket and a signalfd, reads datagrams with
 * recvmmsg() into slots big enough for the largest accepted datagram
 * (virtual memory, MAP_NORESERVE: only the bytes received are touched)
 * and journals each batch; a second thread (the writer) decodes and
 * commits.  MSG_TRUNC makes an oversized datagram show its real length
 * instead of being silently cut.
 */
#define _GNU_SOURCE
#include "collector/collectd.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collector/collect_hold.h"
#include "collector/collect_socket.h"
#include "collector/collect_writer.h"
#include "collector/datagram.h"
#include "collector/journal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/malloc_keep.h"
#include "util/monotime.h"
#include "util/privdrop.h"
#include "util/xalloc.h"

/* recvmmsg() rounds per poll wake-up before signals and timers are looked at. */
#define DRAIN_ROUNDS 128
/* Each receive slot: the largest datagram + 1 (to see an oversized one),
 * rounded up to whole pages. */
#define SLOT_BYTES (((size_t)DATAGRAM_MAX + 1 + 4095) & ~(size_t)4095)
/* A datagram this large gives its slot's pages back after journaling. */
#define SLOT_SHRINK_BYTES (1u << 20)
#define RETRY_MS 1000
/* freed memory each malloc arena keeps for the next flush (malloc_keep.h) */
#define COLLECTD_MALLOC_KEEP ((size_t)32 << 20)
/* a heap grows this much at a time (malloc_keep.h): 64 MiB is a whole
 * thread heap of glibc's, so with huge pages the writer's day of distinct
 * datagrams costs a page fault per 2 MiB, not per 4 KiB */
#define COLLECTD_MALLOC_GROW ((size_t)64 << 20)

struct counters {
	uint64_t received;
	uint64_t too_big;
	uint64_t journal_full;          /* dropped: journal_max reached */
	uint64_t unwritten;             /* dropped: the journal could not be written at exit */
	unsigned logged;
};

struct loop {
	const struct collectd_config *cfg;
	int sock, sigfd;
	char *slots;                    /* COLLECTD_RECV_BATCH x SLOT_BYTES */
	struct mmsghdr msg[COLLECTD_RECV_BATCH];
	struct iovec slot_iov[COLLECTD_RECV_BATCH];
	struct iovec jiov[COLLECTD_RECV_BATCH]; /* datagrams to journal */
	size_t n_unwritten;             /* jiov entries whose journal write failed */
	int32_t unwritten_day;
	struct journal *journal;
	struct collect_writer *writer;
	struct counters c;
	uint64_t seg_records;
	int unflushed;                  /* received since the last idle flush */
	struct collect_hold hold;       /* how long the socket is left alone */
	int64_t hold_until, last_drain_ms;
	int64_t last_rx_ms, seg_start_ms, next_stats_ms, retry_ms;
	int stop, shut;                 /* shut: reading is shut down (final drain) */
};

void
collectd_config_defaults(struct collectd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->socket_mode = -1;
	cfg->batch_max = 10000;
	cfg->flush_ms = 200;
	cfg->hold_ms = 0;        /* off: nothing waits in the queue (collectd.h) */
	cfg->stats_secs = 300;
	cfg->rcvbuf = 8u << 20;
	cfg->journal_max = (uint64_t)1 << 30;
	cfg->daemonize = 0;
}

char *
collectd_journal_default(const char *db_url, const char *socket_path)
{
	if (db_url != NULL && strncmp(db_url, "postgres", 8) != 0) {
		const char *path = strncmp(db_url, "sqlite:", 7) == 0 ? db_url + 7 : db_url;

		if (*path != '\0' && strcmp(path, ":memory:") != 0)
			return xasprintf("%s.collectd-journal", path);
	}
	return xasprintf("%s.journal", socket_path);
}

static void
log_counters(struct loop *l, const char *when, const struct collect_writer_stats *w)
{
	const struct counters *c = &l->c;

	log_info("collectd %s: received=%" PRIu64 " results=%" PRIu64 " stored=%" PRIu64
		 " pending=%" PRIu64 " transactions=%" PRIu64 " invalid: bad-json=%" PRIu64
		 " missing-key=%" PRIu64 " bad-value=%" PRIu64 " too-big=%" PRIu64
		 "; dpv-missing=%" PRIu64 " dpv-bad=%" PRIu64 " utf8-repaired=%" PRIu64
		 " t-mismatch=%" PRIu64 " store-errors=%" PRIu64 " lost=%" PRIu64
		 " (journal-full=%" PRIu64 " unwritten=%" PRIu64 ") journal: pending-bytes=%" PRIu64
		 " torn-bytes=%" PRIu64 " kept=%" PRIu64 " kept-segments=%" PRIu64,
		 when, c->received, w->results, w->stored, w->pending, w->transactions,
		 w->invalid[DATAGRAM_BAD_JSON], w->invalid[DATAGRAM_MISSING_KEY],
		 w->invalid[DATAGRAM_BAD_VALUE], w->invalid[DATAGRAM_TOO_BIG] + c->too_big,
		 w->dpv_missing, w->dpv_bad, w->utf8_repaired, w->t_mismatch, w->store_errors,
		 c->journal_full + c->unwritten, c->journal_full, c->unwritten,
		 w->pending_bytes, w->torn_bytes, w->kept, w->kept_segments);
	l->c.logged = 0;
}

/* Closes the current journal segment and hands it to the writer. */
static void
hand_over(struct loop *l)
{
	uint64_t bytes, records, seq = journal_rotate(l->journal, &bytes, &records);

	if (seq != 0)
		collect_writer_push(l->writer, seq, records, bytes);
	l->seg_records = 0;
}

/* Journals the l->n_unwritten datagrams of l->jiov.  Returns 0, or -1
 * (kept for a retry in RETRY_MS; reading pauses meanwhile). */
static int
journal_pending(struct loop *l, int64_t now)
{
	struct err err;
	size_t n = l->n_unwritten;

	if (journal_append(l->journal, l->unwritten_day, l->jiov, n, &err) < 0) {
		if (l->retry_ms == 0)
			log_error("collectd: %s; reading paused, retrying every second", err.msg);
		l->retry_ms = now + RETRY_MS;
		return -1;
	}
	if (l->retry_ms != 0)
		log_info("collectd: the journal is writable again");
	l->retry_ms = 0;
	l->n_unwritten = 0;
	for (size_t i = 0; i < n; i++)
		if (l->jiov[i].iov_len >= SLOT_SHRINK_BYTES)
			madvise(l->jiov[i].iov_base, SLOT_BYTES, MADV_DONTNEED);
	if (l->seg_records == 0)
		l->seg_start_ms = now;
	l->seg_records += n;
	l->last_rx_ms = now;
	l->unflushed = 1;
	if (l->seg_records >= l->cfg->batch_max)
		hand_over(l);
	return 0;
}

/* One recvmmsg() round.  Returns the number of datagrams read (0: the
 * queue is empty), or -1 when reading must pause (journal unwritable). */
static int
receive_round(struct loop *l, int64_t now)
{
	int n, nonempty = 0;
	size_t k = 0;
	uint64_t room;

	if (l->n_unwritten > 0)
		return journal_pending(l, now) < 0 ? -1 : 0;
	for (int i = 0; i < COLLECTD_RECV_BATCH; i++) {
		l->msg[i].msg_hdr.msg_iov = &l->slot_iov[i];
		l->msg[i].msg_hdr.msg_iovlen = 1;
	}
	do
		n = recvmmsg(l->sock, l->msg, COLLECTD_RECV_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn_errno("collectd: recvmmsg");
		return 0;
	}
	for (int i = 0; i < n; i++) {
		size_t len = l->msg[i].msg_len;

		/* After shutdown(SHUT_RD) an empty queue reads as empty datagrams. */
		if (l->shut && len == 0)
			continue;
		nonempty++;
		l->c.received++;
		if (len > DATAGRAM_MAX) {
			l->c.too_big++;
			if (l->c.logged++ < 20)
				log_warn("collectd: dropped datagram (too-big): %zu bytes, over the "
					 "16 MiB limit", len);
			continue;
		}
		l->jiov[k].iov_base = l->slot_iov[i].iov_base;
		l->jiov[k++].iov_len = len;
	}
	if (k > 0) {
		uint64_t used = collect_writer_pending_bytes(l->writer) +
				journal_open_bytes(l->journal);
		uint64_t need = 0;

		for (size_t i = 0; i < k; i++)
			need += JOURNAL_HDR_BYTES + l->jiov[i].iov_len;
		room = used < l->cfg->journal_max ? l->cfg->journal_max - used : 0;
		if (need > room) {
			if (l->c.journal_full == 0 || l->c.logged++ < 20)
				log_error("collectd: the journal holds %" PRIu64 " bytes not yet stored "
					  "(limit %" PRIu64 "): %zu datagrams dropped", used,
					  l->cfg->journal_max, k);
			l->c.journal_full += k;
		} else {
			l->n_unwritten = k;
			l->unwritten_day = (int32_t)(time(NULL) / 86400);
			if (journal_pending(l, now) < 0)
				return -1;
		}
	}
	return nonempty;
}

/* Reads until the queue is empty or DRAIN_ROUNDS rounds are done, then
 * sets the hold before the next read (collect_hold.h): none unless the
 * queue was emptied. */
static void
drain(struct loop *l)
{
	int64_t now = monotime_ms();
	uint64_t got = 0;
	int empty = 0;

	for (unsigned i = 0; i < DRAIN_ROUNDS && !empty; i++) {
		int n = receive_round(l, now);

		if (n > 0)
			got += (uint64_t)n;
		/* fewer than asked for: the queue was empty (no EAGAIN round) */
		empty = n < COLLECTD_RECV_BATCH;
	}
	now = monotime_ms();
	if (empty && l->n_unwritten == 0)
		l->hold_until = now + collect_hold_next(&l->hold, got, now - l->last_drain_ms);
	else
		l->hold.hold_ms = 0;
	l->last_drain_ms = now;
}

static void
handle_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_info("collectd: SIGHUP, storing the current batch");
			hand_over(l);
			collect_writer_flush(l->writer);
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

	if (l->seg_records > 0) {
		int64_t idle = l->last_rx_ms + l->cfg->flush_ms;
		int64_t age = l->seg_start_ms + 5 * (int64_t)l->cfg->flush_ms;

		due = idle < age ? idle : age;
	} else if (l->unflushed) {
		due = l->last_rx_ms + l->cfg->flush_ms;
	}
	if (l->retry_ms != 0 && (due < 0 || l->retry_ms < due))
		due = l->retry_ms;
	if (l->cfg->stats_secs > 0 && (due < 0 || l->next_stats_ms < due))
		due = l->next_stats_ms;
	if (l->hold.hold_ms > 0 && (due < 0 || l->hold_until < due))
		due = l->hold_until;
	if (due < 0)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

/* Shutdown: the path goes first (senders by path fail with ENOENT), then
 * reading is shut (connected senders get EPIPE, nothing more can be
 * queued), then what the kernel queued is journaled and handed over. */
static void
final_drain(struct loop *l)
{
	int tries = 0;

	if (unlink(l->cfg->socket_path) < 0)
		log_warn_errno("collectd: unlink %s", l->cfg->socket_path);
	if (shutdown(l->sock, SHUT_RD) == 0)
		l->shut = 1;
	else
		log_warn_errno("collectd: shutdown");
	for (;;) {
		int64_t now = monotime_ms();
		int n = receive_round(l, now);

		if (n > 0)
			continue;
		if (n == 0 && l->n_unwritten == 0)
			break;

		if (++tries > 3) {
			log_error("collectd: the journal cannot be written; %zu datagrams read "
				  "are lost", l->n_unwritten);
			l->c.unwritten += l->n_unwritten;
			l->n_unwritten = 0;
			break;
		}
		struct timespec ts = { RETRY_MS / 1000, 0 };

		nanosleep(&ts, NULL);
	}
	hand_over(l);
}

static void
run_loop(struct loop *l)
{
	while (!l->stop) {
		struct pollfd p[2] = { { l->sock, POLLIN, 0 }, { l->sigfd, POLLIN, 0 } };
		int64_t now = monotime_ms();
		int paused = l->n_unwritten > 0;
		int holding = !paused && l->hold.hold_ms > 0;
		int rc;

		/* while holding, only signals and timers wake the loop */
		p[0].fd = paused || holding ? -1 : l->sock;
		rc = poll(p, 2, poll_timeout(l, now));
		if (rc < 0 && errno != EINTR) {
			log_warn_errno("collectd: poll");
			continue;
		}
		if (rc > 0 && (p[1].revents & POLLIN))
			handle_signals(l);
		now = monotime_ms();
		if (paused && now >= l->retry_ms)
			journal_pending(l, now);
		else if ((holding && now >= l->hold_until) || (rc > 0 && (p[0].revents & POLLIN)))
			drain(l);
		now = monotime_ms();
		/* After flush_ms idle, what was received is stored now (the partial
		 * segment and the writer's count); a partial segment goes after
		 * 5 x flush_ms at most even under load. */
		if (l->unflushed && now - l->last_rx_ms >= l->cfg->flush_ms) {
			hand_over(l);
			collect_writer_flush(l->writer);
			l->unflushed = 0;
		} else if (l->seg_records > 0 &&
			   now - l->seg_start_ms >= 5 * (int64_t)l->cfg->flush_ms) {
			hand_over(l);
		}
		if (l->cfg->stats_secs > 0 && now >= l->next_stats_ms) {
			struct collect_writer_stats ws;

			collect_writer_get_stats(l->writer, &ws);
			log_counters(l, "stats", &ws);
			l->next_stats_ms = now + 1000 * (int64_t)l->cfg->stats_secs;
		}
	}
	final_drain(l);
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

/* Maps the receive slots and points the message headers at them. */
static int
slots_setup(struct loop *l, struct err *err)
{
	void *m = mmap(NULL, COLLECTD_RECV_BATCH * SLOT_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED) {
		err_set(err, "collectd: mapping %d receive buffers: %s", COLLECTD_RECV_BATCH,
			strerror(errno));
		return -1;
	}
	l->slots = m;
	memset(l->msg, 0, sizeof(l->msg));
	for (int i = 0; i < COLLECTD_RECV_BATCH; i++) {
		l->slot_iov[i].iov_base = l->slots + (size_t)i * SLOT_BYTES;
		l->slot_iov[i].iov_len = SLOT_BYTES;
	}
	return 0;
}

/* Opens the journal and queues what a previous run left in it. */
static int
journal_setup(struct loop *l, const char *dir, struct err *err)
{
	uint64_t *old, old_bytes;
	size_t n_old;

	l->journal = journal_open(dir, &old, &n_old, &old_bytes, err);
	if (l->journal == NULL)
		return -1;
	if (n_old > 0)
		log_info("collectd: %zu journal segments (%" PRIu64 " bytes) from a previous run "
			 "in %s: storing them first", n_old, old_bytes, dir);
	for (size_t i = 0; i < n_old; i++) {
		/* The sizes are not known one by one here: the total goes with the first. */
		collect_writer_push(l->writer, old[i], 0, i == 0 ? old_bytes : 0);
	}
	free(old);
	return 0;
}

/* Opens the store, or says why not and returns NULL: the collector
 * starts anyway (receiving and journaling); its writer retries. */
static struct store *
open_store_or_wait(const char *db_url)
{
	struct err why;
	struct store *s = store_open(db_url, &why);

	if (s == NULL)
		log_warn("collectd: the store cannot be opened (%s); receiving anyway: results "
			 "wait in the journal, the store is retried every second", why.msg);
	return s;
}

int
collectd_run(const struct collectd_config *cfg, struct err *err)
{
	struct loop l;
	struct store *s = NULL;
	char *url, *jdir = NULL;
	long qlen;
	int rc = -1, unlinked = 0;

	memset(&l, 0, sizeof(l));
	l.cfg = cfg;
	l.sock = l.sigfd = -1;
	/* each flush frees a segment's bytes and the day's entries, and the
	 * next one takes them again: keep them; and grow in big steps
	 * (malloc_keep.h) */
	malloc_keep_freed(COLLECTD_MALLOC_KEEP);
	malloc_grow_step(COLLECTD_MALLOC_GROW);
	l.slots = MAP_FAILED;
	jdir = cfg->journal_dir != NULL ? xstrdup(cfg->journal_dir)
		: collectd_journal_default(cfg->db_url, cfg->socket_path);
	/* signals first: a SIGTERM sent as soon as the socket exists must
	 * find them blocked and read through the signalfd (not kill us: 143) */
	if ((l.sigfd = signals_setup(err)) < 0)
		goto out;
	l.sock = collect_socket_bind(cfg->socket_path, cfg->socket_mode, cfg->socket_group,
				     cfg->rcvbuf, err);
	if (l.sock < 0)
		goto out;
	/* the store and the journal are opened (and created) as the
	 * unprivileged user */
	if (privdrop_to_user(cfg->user, err) < 0)
		goto out;
	s = open_store_or_wait(cfg->db_url);
	if (cfg->daemonize) {
		/* No database handle across fork(): close, detach, reopen. */
		store_close(&s);
		if (daemon(1, 0) < 0) {
			err_set(err, "collectd: daemon(): %s", strerror(errno));
			goto out;
		}
		s = open_store_or_wait(cfg->db_url);
	}
	if (slots_setup(&l, err) < 0)
		goto out;
	l.writer = collect_writer_start(s, cfg->db_url, jdir, cfg->batch_max, err);
	s = NULL;
	if (l.writer == NULL)
		goto out;
	/* one aggregate never holds more than half the journal's bound */
	collect_writer_set_hold_max(l.writer, cfg->journal_max / 2);
	if (journal_setup(&l, jdir, err) < 0)
		goto out;
	qlen = collect_socket_qlen();
	if (qlen >= 0 && qlen < 512)
		log_warn("collectd: net.unix.max_dgram_qlen is %ld: bursts over %ld datagrams are "
			 "dropped by the kernel; set it to 512 or more before starting", qlen, qlen);
	url = store_url_redact(cfg->db_url);    /* no password in the log */
	log_info("collectd: receiving on %s (receive buffer %zu bytes), journal %s, storing to %s",
		 cfg->socket_path, collect_socket_rcvbuf(l.sock), jdir, url);
	free(url);
	/* a datagram waits in the kernel's queue at most hold_ms, and at most
	 * half the idle flush */
	collect_hold_init(&l.hold, qlen, cfg->hold_ms < cfg->flush_ms / 2 ? cfg->hold_ms
			  : cfg->flush_ms / 2);
	l.next_stats_ms = monotime_ms() + 1000 * (int64_t)cfg->stats_secs;
	run_loop(&l);
	unlinked = 1;           /* final_drain() removed the path */
	rc = 0;
out:
	if (l.sock >= 0) {
		close(l.sock);
		/* Never after final_drain(): a new collector may own the path by now. */
		if (!unlinked)
			unlink(cfg->socket_path);
	}
	if (l.writer != NULL) {
		struct collect_writer_stats ws;

		if (collect_writer_stop(&l.writer, &ws) != 0 && rc == 0)
			rc = 1;
		log_counters(&l, "exit", &ws);
		if (rc == 0 && l.c.journal_full + l.c.unwritten > 0)
			rc = 1;
	}
	journal_close(&l.journal);
	if (l.sigfd >= 0)
		close(l.sigfd);
	store_close(&s);
	if (l.slots != MAP_FAILED)
		munmap(l.slots, COLLECTD_RECV_BATCH * SLOT_BYTES);
	free(jdir);
	return rc;
}
