/*
 * schedule: when the reporter does things — the daily run after 00:00 UTC
 * plus a random delay (RFC 8460 §4.1 suggests up to 4 h), and the
 * exponential backoff of retries that stop 24 h after the first attempt
 * (§5.5).  Time comes through a clock seam so tests run a day at once.
 */
#ifndef TLSRPT_REPORT_SCHEDULE_H
#define TLSRPT_REPORT_SCHEDULE_H

#include <stdint.h>

/* Retries stop this long after the first attempt (RFC 8460 §5.5). */
#define SCHEDULE_RETRY_FOR 86400
/* First retry delay; each further one doubles, up to SCHEDULE_BACKOFF_MAX. */
#define SCHEDULE_BACKOFF_FIRST 300
#define SCHEDULE_BACKOFF_MAX 21600

/* The clock the daemon uses: now() in Unix seconds; sleep_until() returns
 * 1 once `until` is reached, or 0 early when the process is asked to stop. */
struct schedule_clock {
	int64_t (*now)(void *ctx);
	int (*sleep_until)(void *ctx, int64_t until);
	void *ctx;
};

/* The real clock: time(2); sleeping is sigtimedwait(2) on SIGTERM and
 * SIGINT, which the caller must have blocked (so a stop request that
 * arrives while working is seen at the next sleep; no signal handler and
 * no global flag). */
extern const struct schedule_clock schedule_real_clock;

/* Delay before retry number `attempts` (1 = after the first failure). */
int64_t schedule_backoff(int64_t attempts);

/* When to try again after a failure at `now`, given the first attempt at
 * first_try: now + backoff, or 0 if that is past first_try + retry_for
 * (give up). */
int64_t schedule_next_try(int64_t now, int64_t first_try, int64_t attempts, int64_t retry_for);

/* The time of the daily run for UTC day `day` (its reports are made after
 * the day ends): the next midnight plus `jitter` seconds. */
int64_t schedule_daily_run(int64_t day, int64_t jitter);

/* A random delay in [0, max] seconds (max <= 0 gives 0). */
int64_t schedule_jitter(int64_t max);

#endif
