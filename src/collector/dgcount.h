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
 * Entries outlive a window (dgcount_end_window() only zeroes the
 * counts), each with a payload slot the writer keeps the datagram's
 * decoded results and their store row keys in: a datagram seen in an
 * earlier window costs neither a decode nor a new row
 * (store_put_results_keyed()).  dgcount_clear() forgets them.
 *
 * Memory: one entry per distinct (day, datagram) of about 64 bytes plus
 * the datagram, and its payload (counted as twice the datagram); the
 * writer flushes at DGCOUNT_MAX_BYTES.
 */
#ifndef TLSRPT_COLLECTOR_DGCOUNT_H
#define TLSRPT_COLLECTOR_DGCOUNT_H

#include <stddef.h>
#include <stdint.h>

/* The writer flushes when the distinct datagrams held (with their decoded
 * results) take this much, and keeps them for the next window below half
 * of it: 100 000 distinct datagrams of ~290 bytes take ~95 MiB. */
#define DGCOUNT_MAX_BYTES ((size_t)128 << 20)

struct dgcount;

/* Frees an entry's payload. */
typedef void (*dgcount_payload_free_fn)(void *payload);

/* Returns a new, empty aggregate (never NULL); payload_free frees the
 * payloads (NULL: they are not freed). */
struct dgcount *dgcount_new(dgcount_payload_free_fn payload_free);

/* The hash dgcount_add() takes: XXH3-64 of data[0..len) seeded with the
 * day, the same as the journal's record check (journal_record_fn). */
uint64_t dgcount_hash(int32_t day, const char *data, size_t len);

/* Counts one datagram data[0..len) received on `day` whose
 * dgcount_hash() is `hash` (the bytes are copied on their first
 * sighting). */
void dgcount_add(struct dgcount *a, int32_t day, const char *data, size_t len, uint64_t hash);

/* Distinct (day, datagram) entries held (counted this window or not). */
size_t dgcount_distinct(const struct dgcount *a);

/* Datagrams counted since the last clear. */
uint64_t dgcount_total(const struct dgcount *a);

/* Bytes held (entries, datagrams and payloads). */
size_t dgcount_bytes(const struct dgcount *a);

/* Called once per entry counted this window, with its count (data
 * borrowed for the call) and its payload slot (NULL until the callback
 * sets it; owned by the aggregate then). */
typedef void (*dgcount_fn)(void *ctx, int32_t day, const char *data, size_t len,
			     uint64_t count, void **payload);

/* Visits every entry counted this window, in no particular order. */
void dgcount_foreach(struct dgcount *a, dgcount_fn fn, void *ctx);

/* Ends the window: every count is zero again, the entries and their
 * payloads stay. */
void dgcount_end_window(struct dgcount *a);

/* Forgets every entry (payloads freed). */
void dgcount_clear(struct dgcount *a);

/* Frees *a and sets it NULL; NULL or *a == NULL is a no-op. */
void dgcount_free(struct dgcount **a);

#endif
