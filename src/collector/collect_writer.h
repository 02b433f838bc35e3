/*
 * collect_writer: the collector's store writer thread.
 *
 * The receiving loop hands over full batches of results; the writer
 * stores them with store_put_results() (one transaction per hand-over,
 * merging whatever queued up meanwhile), so the socket keeps being
 * drained while the database commits.  A failed transaction is retried
 * once a second, keeping the results; when max_pending results are
 * queued, collect_writer_push() waits (the kernel queue then fills and
 * MTAs see EAGAIN) for up to 2 s, then drops the batch and counts it as
 * lost, so memory stays bounded and signals are still handled.
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
	uint64_t stored;        /* results committed */
	uint64_t transactions;  /* successful store_put_results() calls */
	uint64_t store_errors;  /* failed store_put_results() calls (retried) */
	uint64_t lost;          /* results given up: store stuck (queue full) or failing at shutdown */
	uint64_t pending;       /* results queued now */
};

/* Starts the writer thread; it takes ownership of s (closed on stop).
 * Returns the writer, or NULL with err set (s is then closed too). */
struct collect_writer *collect_writer_start(struct store *s, size_t max_pending,
					    struct err *err);

/* Queues b's results (b is left empty, ready for reuse).  Waits up to 2 s
 * while max_pending results are already queued, then drops them (counted
 * as lost).  b with no results is a no-op. */
void collect_writer_push(struct collect_writer *w, struct datagram_batch *b);

/* Copies the counters. */
void collect_writer_get_stats(struct collect_writer *w, struct collect_writer_stats *out);

/* Stores everything queued (a few retries on failure), stops the thread,
 * closes the store and frees *w (set to NULL); the final counters go to
 * *final_out if not NULL.  Returns 0 if every result was stored, -1 if
 * some were lost.  NULL or *w == NULL is a no-op. */
int collect_writer_stop(struct collect_writer **w, struct collect_writer_stats *final_out);

#endif
