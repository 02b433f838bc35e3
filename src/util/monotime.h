/*
 * monotime: the monotonic clock (CLOCK_MONOTONIC), for durations, batch
 * windows and deadlines that must not jump when the wall clock is set.
 * Its zero is arbitrary (boot, on Linux): compare two readings, never a
 * reading with a date.  Reading it is a vDSO call, no system call.
 */
#ifndef TLSRPT_UTIL_MONOTIME_H
#define TLSRPT_UTIL_MONOTIME_H

#include <stdint.h>

/* Returns the monotonic clock in whole milliseconds (truncated).  Cannot
 * fail. */
int64_t monotime_ms(void);

/* Returns the monotonic clock in seconds, with the nanoseconds as the
 * fraction.  Cannot fail. */
double monotime_s(void);

#endif
