/*
 * count: session counts as the views add them up.  A figure never wraps:
 * sums stop at COUNT_MAX (2^53-1, the largest integer every JSON reader,
 * the dashboard's JavaScript included, keeps exact), whatever the stored
 * reports say.  The SQL side of the same rule is STORE_SQL_SUM_COUNT
 * (store_private.h).
 */
#ifndef TLSRPT_UTIL_COUNT_H
#define TLSRPT_UTIL_COUNT_H

#include <stdint.h>

/* The largest figure a view shows: sums saturate here. */
#define COUNT_MAX 9007199254740991ULL

/* Returns a + b, or COUNT_MAX when that is larger (or either is). */
static inline uint64_t
count_add(uint64_t a, uint64_t b)
{
	if (a >= COUNT_MAX || b >= COUNT_MAX || a > COUNT_MAX - b)
		return COUNT_MAX;
	return a + b;
}

/* Returns n clamped to 0..COUNT_MAX (a negative stored value reads as 0). */
static inline uint64_t
count_from_int64(int64_t n)
{
	if (n < 0)
		return 0;
	return (uint64_t)n > COUNT_MAX ? COUNT_MAX : (uint64_t)n;
}

#endif
