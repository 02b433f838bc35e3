/*
 * core: policyd's shared state: the cache of entries, the resolver job
 * queue and threads, the store and reporter handles and the counters.
 * Used by server.c (connections) and policyd_query(); see policyd.h.
 */
#ifndef TLSRPT_POLICYD_CORE_H
#define TLSRPT_POLICYD_CORE_H

#include <stdint.h>

#include "policyd/policyd.h"

struct policyd_core;

/* Counters (monotonic since start). */
struct policyd_stats {
	uint64_t requests, lookups, skipped, cache_hits, waits, wait_timeouts;
	uint64_t resolves, fetches, fetch_failures, store_loads, dane_answers;
	uint64_t reported, report_errors, bad_requests, connections, refused;
};

/* Creates the core: opens the store (loading the policies it holds), the
 * reporter, and starts c->workers resolver threads (0: none; the caller
 * then drives policyd_core_resolve_now()).  now_fn (NULL: time()) is the
 * clock.  Returns NULL with err set on failure. */
struct policyd_core *policyd_core_new(const struct policyd_config *c, int64_t (*now_fn)(void),
    struct err *err);

/* Stops the resolver threads and releases *core; NULL is fine. */
void policyd_core_free(struct policyd_core **core);

/*
 * Answers one request payload ("name key", len bytes): appends the reply
 * payload (without netstring framing) to out, waiting for a resolver at
 * most the answer timeout.  Thread-safe.
 */
void policyd_core_answer(struct policyd_core *core, const char *req, size_t len, struct buf *out);

/* Resolves domain on the calling thread (as a resolver thread would),
 * updating the cache.  For --query and tests. */
void policyd_core_resolve_now(struct policyd_core *core, const char *domain);

/* Writes the entry of domain to out in human form (--query). */
void policyd_core_describe(struct policyd_core *core, const char *domain, FILE *out);

/* Queues proactive refreshes of cached policies that are due, and drops
 * entries unused for long.  Called about once a second by the server. */
void policyd_core_tick(struct policyd_core *core);

/* A copy of the counters; and the counters as one log line. */
void policyd_core_stats(struct policyd_core *core, struct policyd_stats *out);
void policyd_core_log_stats(struct policyd_core *core);

/* Counts a connection (accepted: 1, refused: 0) or a malformed request. */
void policyd_core_count_connection(struct policyd_core *core, int accepted);
void policyd_core_count_bad_request(struct policyd_core *core);

#endif
