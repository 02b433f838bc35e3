/*
 * store_results: delivery results from MTAs (sending side).
 *
 * The collector puts results in batches; they are kept pre-aggregated per
 * (day, domain, TLSRPT record, policy) with session counters, and per
 * failure tuple with a count, so storage grows with distinct policies, not
 * with sessions.  The reporter reads one day back as aggregated policies.
 */
#ifndef TLSRPT_STORE_STORE_RESULTS_H
#define TLSRPT_STORE_STORE_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"
#include "model/result.h"
#include "store/store.h"
#include "util/err.h"

/* Adds n results in one transaction (all or nothing). Returns 0 or -1. */
int store_put_results(struct store *s, const struct result *results, size_t n,
		      struct err *err);

/* The same, where results[i] stands for counts[i] sessions (counts NULL:
 * one each): its policy's counter and each of its failure rows grow by
 * counts[i].  The collector's aggregate flushes through this. */
int store_put_results_counted(struct store *s, const struct result *results,
			      const uint64_t *counts, size_t n, struct err *err);

/* store_put_results_counted(), keeping the identity of each result's row
 * between calls (the collector's flushes): keys[i] != 0 says the row of
 * results[i]'s policy tuple exists with that key (a key this function
 * gave back earlier for the same tuple and day, its row not deleted
 * since): only its counters are added, no digest, no insert.  keys[i] ==
 * 0: the key is computed and the row made if needed.  After a commit
 * (return 0) every keys[i] holds its row's key; on failure keys is
 * unchanged.  Inside a caller's transaction (store_begin()) the keys
 * name rows only once the caller commits.  Returns 0 or -1. */
int store_put_results_keyed(struct store *s, const struct result *results,
			    const uint64_t *counts, int64_t *keys, size_t n, struct err *err);

/* Sets *days to a new array (caller frees) of the UTC day numbers before
 * `before_day` that still hold results, ascending, and *n to its length.
 * Returns 0 or -1. */
int store_result_days(struct store *s, int64_t before_day, int64_t **days, size_t *n,
		      struct err *err);

/* Calls cb once per aggregated policy of `day`, ordered by domain: the
 * recipient domain, the TLSRPT record the MTA saw (may be NULL) and a policy
 * whose counters and failure details are the sums over the day (all borrowed
 * for the call).  cb returns 0 to go on, non-zero to stop (returned).
 * Returns 0 when all were visited, -1 on error. */
typedef int (*store_result_cb)(void *ctx, const char *domain, const char *tlsrpt_record,
			       const struct policy *p);
int store_get_day_results(struct store *s, int64_t day, store_result_cb cb, void *ctx,
			  struct err *err);

/* Deletes the results of `day` for `domain` (all domains if NULL).
 * Returns 0 or -1. */
int store_delete_day_results(struct store *s, int64_t day, const char *domain,
			     struct err *err);

#endif
