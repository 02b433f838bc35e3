/*
 * store_rollup_reporters: when each organization last reported each policy
 * domain, and on which of the days before it (schema step 12), so that the
 * stale-reporter check (store_view_stale_reporters()) reads one row per
 * (domain, organization) instead of a month of report rows.
 *
 *   rollup_reporters  per (domain key, organization): last_day, the UTC
 *                     day number of its latest report's start, and days,
 *                     a bit set: bit i is set when it has a report starting
 *                     on day last_day - i (i < STORE_ROLLUP_REPORTER_DAYS).
 *
 * Storing a report merges its (domain, organization, day) into the row
 * (summed per transaction by store_rollup_batch.c, like the other roll-ups);
 * prune computes the rows the deleted reports could change again from the
 * remaining report rows; store_rollup_rebuild() computes all of them.
 */
#ifndef TLSRPT_STORE_STORE_ROLLUP_REPORTERS_H
#define TLSRPT_STORE_STORE_ROLLUP_REPORTERS_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* How many days (ending with last_day) the bit set covers: 62, so every
 * bit stays clear of the sign bit in both dialects. */
#define STORE_ROLLUP_REPORTER_DAYS 62

/* The schema step (12) that adds rollup_reporters; its program
 * store_rollup_reporters_rebuild() fills it from the stored reports. */
extern const char store_rollup_reporters_schema_sql[];

/* Merges the day set (last_b, days_b) into (*last, *days): the later last
 * day wins and both sets are shifted to it (days older than the window
 * fall off).  What the upsert of store_rollup_reporters_add() does in SQL. */
void store_rollup_reporters_merge(int64_t *last, int64_t *days, int64_t last_b, int64_t days_b);

/* Merges (last_day, days) into the row of (domain, org) (an upsert).
 * Returns 0 or -1 with err set. */
int store_rollup_reporters_add(struct store *s, const char *domain, const char *org,
			       int64_t last_day, int64_t days, struct err *err);

/* Empties rollup_reporters and computes it again from report_domains, in
 * the caller's transaction (step 12's program; part of
 * store_rollup_rebuild()).  Returns 0 or -1 with err set. */
int store_rollup_reporters_rebuild(struct store *s, struct err *err);

/* After reports of (domain, org) starting on days up to max_day were
 * deleted: computes its row again from the remaining report rows, unless
 * those days lie before its bit set (then the row cannot have changed).
 * Returns 0 or -1 with err set. */
int store_rollup_reporters_refresh(struct store *s, const char *domain, const char *org,
				   int64_t max_day, struct err *err);

#endif
