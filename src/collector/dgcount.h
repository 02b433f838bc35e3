/*
 * dgcount: the collector's in-memory count of received datagrams, by
 * (UTC day, exact datagram bytes).
 *
 * An MTA sends the same bytes for every delivery under the same policy,
 * so between two flushes the writer (collect_writer.h) only counts: a
 * datagram seen before costs a hash and a comparison, no decode and no
 * database work.  At a flush each distinct datagram is decoded once and
 * stored with its count as the weight (store_put_results_counted()).  The
 * journal segments the aggregate covers are removed only after that
 * commit, so a crash before it loses nothing (the segments are replayed)
 * and counts nothing twice (nothing was committed).
 *
 * Memory: one entry per distinct (day, datagram) of about 64 bytes plus
 * the datagram; the writer flushes at DGCOUNT_MAX_BYTES.
 */
#ifndef TLSRPT_COLLECTOR_DGCOUNT_H
#define TLSRPT_COLLECTOR_DGCOUNT_H

#include <stddef.h>
#include <stdint.h>

/* The writer flushes when the distinct datagrams held take this much. */
#define DGCOUNT_MAX_BYTES ((size_t)64 << 20)

struct dgcount;

/* Returns a new, empty aggregate (never NULL). */
struct dgcount *dgcount_new(void);

/* Counts one datagram data[0..len) received on `day` (the bytes are
 * copied on their first sighting). */
void dgcount_add(struct dgcount *a, int32_t day, const char *data, size_t len);

/* Distinct (day, datagram) entries held. */
size_t dgcount_distinct(const struct dgcount *a);

/* Datagrams counted since the last clear. */
uint64_t dgcount_total(const struct dgcount *a);

/* Bytes held (datagrams and entries). */
size_t dgcount_bytes(const struct dgcount *a);

/* Called once per distinct entry with its count (data borrowed for the
 * call). */
typedef void (*dgcount_fn)(void *ctx, int32_t day, const char *data, size_t len,
			     uint64_t count);

/* Visits every entry, in no particular order. */
void dgcount_foreach(struct dgcount *a, dgcount_fn fn, void *ctx);

/* Forgets every entry. */
void dgcount_clear(struct dgcount *a);

/* Frees *a and sets it NULL; NULL or *a == NULL is a no-op. */
void dgcount_free(struct dgcount **a);

#endif
