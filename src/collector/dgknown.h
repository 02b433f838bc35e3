/*
 * dgknown: what the collector keeps of one distinct datagram between
 * flush windows (the payload of its dgcount.h entry): its decoded
 * results, what decoding remarked, and the key of each result's store
 * row once a commit has made it (store_put_results_keyed()).  A datagram
 * seen again in a later window is then neither decoded again nor looked
 * up by digest: its counts go to its rows as deltas.
 */
#ifndef TLSRPT_COLLECTOR_DGKNOWN_H
#define TLSRPT_COLLECTOR_DGKNOWN_H

#include <stddef.h>
#include <stdint.h>

#include "collector/datagram.h"

/* One allocation holds the struct, v, keys and everything the results
 * point to: read-only results (never passed to result_clear()). */
struct dgknown {
	struct result *v;               /* n of them, in the same block */
	size_t n;
	int64_t *keys;                  /* row key of v[i], 0 until committed */
	struct datagram_info info;      /* the remarks (reason is DATAGRAM_OK) */
};

/* Decodes data[0..len) received on `day` (datagram_decode()) through
 * the caller's scratch batch (emptied; kept for reuse).  Returns the
 * decoded datagram, or NULL when it is dropped (info and err say why). */
struct dgknown *dgknown_decode(const char *data, size_t len, int32_t day,
			       struct datagram_batch *scratch, struct datagram_info *info,
			       struct err *err);

/* Frees a struct dgknown and all it holds (a dgcount_payload_free_fn);
 * NULL is a no-op. */
void dgknown_free(void *k);

#endif
