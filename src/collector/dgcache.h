/*
 * dgcache: remembers recently decoded datagrams, so that a datagram whose
 * bytes were seen before is not parsed again.
 *
 * MTAs repeat themselves: every successful delivery to a domain under the
 * same policy produces the same bytes.  The cache is two-way set
 * associative (DGCACHE_SLOTS slots, datagrams up to DGCACHE_MAX_BYTES), keyed by the
 * exact bytes (compared in full on a hit), and holds a decoded copy of the
 * results.  Only datagrams that decoded without any remark (dpv present
 * and right, valid UTF-8, "t" matching) are cached, so a hit needs no
 * counters beyond "received".  When both ways of its set are taken, a
 * datagram is admitted on its second sighting only (the first leaves a
 * ghost: hash and length), so a stream of distinct datagrams (many
 * domains) pays no copies.  At most about 4 MiB.
 */
#ifndef TLSRPT_COLLECTOR_DGCACHE_H
#define TLSRPT_COLLECTOR_DGCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "collector/datagram.h"

#define DGCACHE_SLOTS 1024
#define DGCACHE_MAX_BYTES 2048

struct dgcache_slot {
	uint64_t hash;
	size_t len;                     /* 0: empty */
	char *bytes;                    /* owned; NULL with len > 0: a ghost */
	struct result *v;               /* owned decoded results */
	size_t n;
	uint64_t used;                  /* clock of the last use (LRU) */
};

struct dgcache {
	struct dgcache_slot slot[DGCACHE_SLOTS];
	uint64_t hits, misses;
	uint64_t clock;
};

/* Looks data[0..len) up.  On a hit appends copies of its results, with
 * `day` set, to b and returns their number; returns -1 on a miss. */
int dgcache_get(struct dgcache *c, const char *data, size_t len, int64_t day,
		struct datagram_batch *b);

/* Remembers that data[0..len) decoded to b->v[from..b->n) with `info`
 * (ignored unless it is small and had no remark). */
void dgcache_put(struct dgcache *c, const char *data, size_t len,
		 const struct datagram_info *info, const struct datagram_batch *b, size_t from);

/* datagram_decode() through the cache: a hit appends the cached results
 * (info all zero), a miss decodes and remembers.  Same contract as
 * datagram_decode(). */
int dgcache_decode(struct dgcache *c, const char *data, size_t len, int64_t day,
		   struct datagram_batch *b, struct datagram_info *info, struct err *err);

/* Frees every slot; c is empty afterwards. */
void dgcache_clear(struct dgcache *c);

#endif
