/*
 * collect_writer: the collector's store writer thread.
 *
 * The receive loop journals every datagram (journal.h) and hands over
 * closed journal segments, in order; the writer reads each segment back
 * and counts its datagrams by (day, exact bytes) in memory (dgcount.h).
 * Every 2 s (AGG_FLUSH_MS), or every 10 s while the segments come in full
 * (AGG_FLUSH_BUSY_MS: at least batch_max datagrams a second); sooner when
 * the counts take 128 MiB, 4096 segments or the hold limit in journal
 * bytes are covered, when collect_writer_flush() asks (SIGHUP, and the
 * receive loop when the socket has been idle flush_ms) and at stop; each
 * distinct datagram's results are stored with its count as their
 * weight, all in one store_put_results_keyed() transaction; the segments
 * covered are removed only after the commit.  A datagram is decoded on
 * the first window it is counted in; its entry keeps the results and,
 * after the commit, the keys of their rows (dgknown.h) for the next
 * windows (rows of the current UTC day only; forgotten at a new day and
 * past 64 MiB).  So a datagram repeated within a window costs a hash
 * lookup; one repeated in a later window also one counter delta per
 * result, no decode, no digest and no new row.  A failed
 * transaction (or a store that cannot be opened) is retried once a
 * second with the same results; meanwhile further segments wait on disk
 * (the receive loop bounds their total size), so a stuck or full store
 * costs disk space, not results.  At stop, what is still queued is
 * stored (three tries); what cannot be stored stays in the journal and
 * is replayed by the next start ("kept").
 *
 * A crash before a flush's commit loses nothing and counts nothing twice
 * (its segments are replayed, nothing of them was committed).  Delivery
 * is at least once only in the window between a commit and the removal
 * of its segments (a few system calls): a crash there stores those
 * results again at the next start.
 */
#ifndef TLSRPT_COLLECTOR_COLLECT_WRITER_H
#define TLSRPT_COLLECTOR_COLLECT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "collector/datagram.h"
#include "store/store.h"
#include "util/err.h"

struct collect_writer;

struct collect_writer_stats {
	uint64_t results;       /* decoded from journal segments */
	uint64_t stored;        /* results committed */
	uint64_t transactions;  /* successful store_put_results() calls */
	uint64_t store_errors;  /* failed store_put_results() calls (retried) */
	uint64_t invalid[DATAGRAM_REASON_COUNT]; /* datagrams dropped, by reason */
	uint64_t dpv_missing, dpv_bad, utf8_repaired, t_mismatch;
	uint64_t torn_bytes;    /* journal bytes not replayable (torn by a crash mid-write) */
	uint64_t kept;          /* datagrams left in the journal at stop for the next start */
	uint64_t kept_segments; /* segments left so (their datagram count may be unknown) */
	uint64_t pending;       /* datagrams handed over, not yet stored */
	uint64_t pending_bytes; /* journal bytes handed over, not yet removed */
};

/* Starts the writer thread over the journal directory dir (borrowed,
 * must outlive the writer); it takes ownership of s (closed on stop).
 * s may be NULL: the store is then opened from db_url (borrowed, must
 * outlive the writer) when there is something to store, and the opening
 * retried once a second while it fails (the results wait in the
 * journal).  batch_max: segments are taken about batch_max records at a
 * time.  Returns the writer, or NULL with err set (s closed too). */
struct collect_writer *collect_writer_start(struct store *s, const char *db_url,
					    const char *dir, size_t batch_max,
					    struct err *err);

/* Queues closed segment seq of `records` datagrams and `bytes` bytes
 * (records may be 0 when unknown: a previous run's segment). */
void collect_writer_push(struct collect_writer *w, uint64_t seq, uint64_t records,
			 uint64_t bytes);

/* Stores what is counted as soon as the queued segments are read
 * (instead of at the end of the window): SIGHUP, and an idle socket. */
void collect_writer_flush(struct collect_writer *w);

/* Flushes the aggregate once the segments it covers hold `bytes` journal
 * bytes (default 256 MiB; the collector passes half its journal bound,
 * so a long window never fills the journal). */
void collect_writer_set_hold_max(struct collect_writer *w, uint64_t bytes);

/* Copies the counters, and lets the next invalid datagrams be logged
 * again (up to 20 per call of this function). */
void collect_writer_get_stats(struct collect_writer *w, struct collect_writer_stats *out);

/* Journal bytes handed over and not yet removed. */
uint64_t collect_writer_pending_bytes(struct collect_writer *w);

/* Stores everything queued (a few retries on failure; what still fails
 * stays in the journal), stops the thread, closes the store and frees
 * *w (set to NULL); the final counters go to *final_out if not NULL.
 * Returns 0, or 1 when some segments were kept in the journal.  NULL or
 * *w == NULL is a no-op returning 0. */
int collect_writer_stop(struct collect_writer **w, struct collect_writer_stats *final_out);

#endif
