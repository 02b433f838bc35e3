/*
 * datagram: decodes one libtlsrpt datagram (sys4 protocol "dpv" 1, the
 * JSON written by lib/ or by sys4's library; research/sys4.md §2) into
 * results, one per policy.
 *
 * Lenient where sys4's collector is (missing dpv, wrong dpv: processed
 * and reported; bytes that are not UTF-8: repaired to U+FFFD), strict
 * where a result would be meaningless (no "d", no "policies", no "f", an
 * unknown policy type, wrong JSON types): the datagram is then dropped as
 * a whole with a reason and a message.  Never fatal.
 */
#ifndef TLSRPT_COLLECTOR_DATAGRAM_H
#define TLSRPT_COLLECTOR_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "model/result.h"
#include "util/err.h"

/* The largest datagram accepted (sys4's collector reads up to 16 MiB). */
#define DATAGRAM_MAX (16u << 20)

/* Why a datagram was dropped. */
enum datagram_reason {
	DATAGRAM_OK = 0,
	DATAGRAM_BAD_JSON,      /* not JSON, or not an object */
	DATAGRAM_MISSING_KEY,   /* "d", "policies", "f", "policy-type" or "c" absent */
	DATAGRAM_BAD_VALUE,     /* a member of the wrong type or out of range */
	DATAGRAM_TOO_BIG,       /* over DATAGRAM_MAX (set by the receiver) */
	DATAGRAM_REASON_COUNT
};

/* Returns a short name for r ("bad-json", …), never NULL. */
const char *datagram_reason_name(enum datagram_reason r);

/* What decoding noticed besides the results. */
struct datagram_info {
	enum datagram_reason reason;    /* DATAGRAM_OK unless dropped */
	int utf8_repaired;              /* invalid UTF-8 was replaced */
	int dpv_missing;                /* no "dpv" (pre-0.5 library) */
	int dpv_bad;                    /* "dpv" present but not "1" (still processed) */
	int t_mismatch;                 /* some "t" differs from the failure count */
};

/* A growable array of results.  Owns every result; datagram_batch_clear()
 * frees them (and keeps the array for reuse). */
struct datagram_batch {
	struct result *v;
	size_t n;
	size_t cap;
};

/* Frees the results (not the array); the batch is empty afterwards. */
void datagram_batch_clear(struct datagram_batch *b);

/* Frees the results and the array. */
void datagram_batch_free(struct datagram_batch *b);

/* Decodes data[0..len) (not NUL-terminated; at most DATAGRAM_MAX bytes)
 * received on UTC day `day` and appends one result per policy to b.
 * Returns the number of results appended, or -1 when the datagram is
 * dropped: info->reason and err say why (nothing appended).  info is
 * always filled. */
int datagram_decode(const char *data, size_t len, int64_t day, struct datagram_batch *b,
		    struct datagram_info *info, struct err *err);

#endif
