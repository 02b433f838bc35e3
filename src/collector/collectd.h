/*
 * collectd: the collector daemon's receive loop.
 *
 * Binds the datagram socket, reads datagrams in batches (recvmmsg, up
 * to COLLECTD_RECV_BATCH per system call) and appends each batch to the
 * journal (journal.h: one writev, no fsync) before anything else; the
 * journal segment is handed to the writer thread (collect_writer.h: it
 * decodes, stores, then removes the segment) when batch_max datagrams
 * are in it or the socket has been idle for flush_ms (5 x flush_ms at
 * most).  Segments a previous run left (crash, stuck store, full disk)
 * are stored first.  With hold_ms set (off by default), after a read that
 * emptied the queue the socket is left alone for a while (collect_hold.h)
 * so the next wake-up reads a batch; signals and timers are still served
 * meanwhile.
 *
 * Bounds: journal segments not yet stored take at most journal_max bytes
 * on disk; past that, datagrams are dropped and counted ("journal-full").
 * When the journal cannot be written (disk full, I/O error), reading
 * pauses (the kernel queue, then the senders, hold the results) and the
 * write is retried every second.
 *
 * SIGTERM/SIGINT: the socket path is removed first (new senders fail at
 * once), reading is shut down (connected senders get EPIPE), what the
 * kernel had queued is journaled, the writer stores everything it can and
 * leaves the rest in the journal; exit.  SIGHUP: hand over the current
 * segment now.  Counters are logged every stats_secs and at exit.
 * Invalid datagrams are logged (rate limited), counted by reason and
 * dropped; nothing in them is fatal.
 */
#ifndef TLSRPT_COLLECTOR_COLLECTD_H
#define TLSRPT_COLLECTOR_COLLECTD_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct collectd_config {
	const char *socket_path;        /* required */
	const char *db_url;             /* store URL (store.h) */
	int socket_mode;                /* e.g. 0666; -1 keeps the umask's */
	const char *socket_group;       /* NULL keeps the group */
	size_t batch_max;               /* results per transaction (10000) */
	int flush_ms;                   /* idle time before a partial batch is stored (200) */
	int hold_ms;                    /* longest wait in the socket's queue before a
					 * read (collect_hold.h; at most flush_ms / 2);
					 * 0 (the default): read each datagram at once,
					 * so a kill -9 loses the least from the queue */
	int stats_secs;                 /* counters logged this often; 0: only at exit */
	size_t rcvbuf;                  /* SO_RCVBUF wanted (8 MiB) */
	const char *journal_dir;        /* NULL: collectd_journal_default() */
	uint64_t journal_max;           /* bytes of journal not yet stored, at most (1 GiB) */
	int daemonize;                  /* detach (daemon(3)) after the socket is bound */
	const char *user;               /* as root: become this user once the socket is
					 * bound (util/privdrop.h); NULL stays */
};

/* Datagrams read per recvmmsg() call at most. */
#define COLLECTD_RECV_BATCH 32

/* Fills cfg with the defaults above (socket_path and db_url NULL). */
void collectd_config_defaults(struct collectd_config *cfg);

/* The journal directory used when none is given, for db_url and
 * socket_path: an SQLite store's path + ".collectd-journal", otherwise
 * socket_path + ".journal".  Returns a new string. */
char *collectd_journal_default(const char *db_url, const char *socket_path);

/* Runs the collector until SIGTERM or SIGINT.  Returns 0 when everything
 * received was stored or dropped as invalid, 1 when datagrams were
 * dropped (journal full or unwritable at shutdown) or left in the journal
 * for the next start (the store kept failing at shutdown), -1 when it
 * could not start (err says why). */
int collectd_run(const struct collectd_config *cfg, struct err *err);

#endif
