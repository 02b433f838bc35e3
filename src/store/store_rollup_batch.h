/*
 * store_rollup_batch: the roll-up rows (store_rollup.h) that the reports
 * stored in one transaction add, summed in memory and written once per
 * row at COMMIT instead of once per report.
 *
 * A group of reports from one organization about one day touches the same
 * rollup_days, rollup_domains and rollup_failures rows again and again;
 * each upsert costs about as much as a new row.  While a handle stores
 * reports (store_rollup_put_report() called from the insert path), the
 * adders of store_rollup.c hand their row to the handle's batch,
 * which merges it with the pending row of the same key:
 *   day      (day, organization): sums, reports, MIN start, MAX received
 *   domain   (span, block, domain key, organization): the same
 *   failure  (day, group: domain key, organization, result-type, MX;
 *            additional-information): sums, MIN/MAX;
 *            the text is part of the key, so the database still picks the
 *            least one with its own collation when the rows are written
 *   type     (day, organization, result-type): sessions
 *   value    (day, group digest, kind, value): present or not
 *   reporter (domain key, organization): last day and the days before it
 *   policy   (domain key, span, block, organization, policy-type,
 *            policy-string list): as a domain row
 * Sums stop at 2^53-1 as in SQL (clamping twice gives what clamping once
 * does).  store_rollup_batch_flush() writes the rows in key order (so
 * that several serve hosts on one PostgreSQL lock shared rows in one
 * order) through the same adders, i.e. the same SQL as before.
 *
 * Transactions (store.c): what is pending always belongs to the innermost
 * open level.  store_begin() of a savepoint writes what is pending first;
 * store_commit() of the outermost level writes it before COMMIT;
 * store_rollback() and store_close() drop it.  So a roll-back never
 * leaves a row of a report it undid, and a commit never loses one.
 * Readers of the roll-ups on the same handle inside the transaction do
 * not see pending rows (no such reader exists: views read committed data).
 */
#ifndef TLSRPT_STORE_STORE_ROLLUP_BATCH_H
#define TLSRPT_STORE_STORE_ROLLUP_BATCH_H

#include <stdint.h>

#include "store/store.h"
#include "store/store_rollup_policies.h"
#include "store/store_rollup_private.h"
#include "util/err.h"

struct rollup_batch;

/* A new, empty batch.  Never NULL (aborts when out of memory). */
struct rollup_batch *rollup_batch_new(void);

/* Frees *bp with what it holds (NULL is a no-op) and clears *bp. */
void rollup_batch_free(struct rollup_batch **bp);

/* How many distinct rows are pending. */
size_t rollup_batch_rows(const struct rollup_batch *b);

/* Adds to the pending row of its key (see above); copies every string.
 * reports counts the reports, 1 per report for day and domain rows. */
void rollup_batch_day(struct rollup_batch *b, int64_t day, const char *org, uint64_t reports,
		      uint64_t ok, uint64_t bad, int64_t start, int64_t received);
void rollup_batch_domain(struct rollup_batch *b, int span, int64_t day, const char *key,
			 const char *org, uint64_t reports, uint64_t ok, uint64_t bad,
			 int64_t start, int64_t received);
/* rollup_batch_failure() ignores a->digest and returns the group's digest
 * (store_rollup_group_digest(), computed once per pending row), which the
 * type and value rows of the same failure then take in a->digest. */
int64_t rollup_batch_failure(struct rollup_batch *b, const struct failure_add *a);
void rollup_batch_type(struct rollup_batch *b, const struct failure_add *a);
void rollup_batch_value(struct rollup_batch *b, const struct failure_add *a, int kind,
			const char *value);
/* The all-time failure group of a (schema step 11, store_rollup_totals.c)
 * with its sending IP and reason code (NULL or "": none); written through
 * store_rollup_totals_add_failure(). */
void rollup_batch_totals(struct rollup_batch *b, const struct failure_add *a,
			 const char *sending_ip, const char *reason_code);

/* The (domain key, organization) of a report starting on day: its
 * rollup_reporters row (store_rollup_reporters.h). */
void rollup_batch_reporter(struct rollup_batch *b, const char *key, const char *org,
			   int64_t day);

/* The rollup_policies row of a (store_rollup_policies.h), written through
 * store_rollup_policies_add(). */
void rollup_batch_policy(struct rollup_batch *b, const struct rollup_policy_add *a);

/* Writes what s has pending (if anything) in the open transaction, in
 * key order, and empties it.  Returns 0 or -1 with err set (the
 * transaction then holds part of it: the caller rolls back). */
int store_rollup_batch_flush(struct store *s, struct err *err);

/* Drops what s has pending (the transaction level it belongs to was
 * rolled back). */
void store_rollup_batch_discard(struct store *s);

#endif
