/*
 * store_rollup_policies: the figures of each distinct policy of each
 * policy domain, summed ahead of time (schema step 15), so that the
 * policies list of a domain (STORE_VIEW_POLICY, the dashboard's "policies"
 * table) reads a few rows per policy instead of every report of the
 * domain.
 *
 *   rollup_policies  per (policy domain key, span, block, organization,
 *                    digest of (policy-type, policy-string list)): the
 *                    policy-type ("" when absent) and policy-string list
 *                    as report_policies keeps it ("[]" when absent), the
 *                    reports naming that policy (each once), the sums of
 *                    their sessions, earliest start, latest arrival.
 *                    Span 16: the 16-day block day / 16 (as rollup_domains);
 *                    span 0 (block 0): all time.
 *
 * There is no 256-day level: every stored report would pay a third upsert
 * per policy for it, and a domain's period of a few hundred days reads a
 * few dozen 16-day rows per policy either way.  A period reads its whole
 * 16-day blocks here and its ends (less than a block) from the report
 * rows; all time reads the span 0 rows.
 *
 * Kept like the other roll-ups (store_rollup.h): storing a report adds to
 * its rows through the transaction's batch (store_rollup_batch.h); prune
 * computes the (block, domain, organization) rows the deleted reports were
 * counted in again from the remaining report rows, then that pair's span 0
 * rows from its 16-day rows; store_rollup_rebuild() computes all of them.
 */
#ifndef TLSRPT_STORE_STORE_ROLLUP_POLICIES_H
#define TLSRPT_STORE_STORE_ROLLUP_POLICIES_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "util/err.h"

struct rollup_batch;

/* The schema step (15) that adds rollup_policies; its program
 * store_rollup_policies_rebuild() fills it from the stored reports. */
extern const char store_rollup_policies_schema_sql[];

/* One contribution to a row of rollup_policies. */
struct rollup_policy_add {
	int span;                       /* 16 or 0 */
	int64_t day;                    /* a day of the block (span 16) */
	const char *domain, *org;       /* domain key, organization ("" none) */
	const char *type, *strings;     /* policy-type, policy-string list text */
	uint64_t reports, ok, bad;
	int64_t first_start, last_received;
};

/* Adds report r (arrived at received; keys[i] is the domain key of its
 * policy i, strings[i] its policy-string list as store_list_json() writes
 * it, NULL when absent, org its organization, day the UTC day of its
 * start) to the rollup_policies rows pending in b.  A report counts once
 * per distinct (domain key, policy-type, policy-string list), its
 * sessions in each. */
void store_rollup_policies_put(struct rollup_batch *b, const struct report *r,
			       char *const *keys, char *const *strings, const char *org,
			       int64_t day, int64_t received);

/* Adds a to its row (an upsert; the digest is computed here).  Returns 0
 * or -1 with err set. */
int store_rollup_policies_add(struct store *s, const struct rollup_policy_add *a,
			      struct err *err);

/* Empties rollup_policies and computes it again from the report rows, in
 * the caller's transaction (step 15's program; part of
 * store_rollup_rebuild()).  Returns 0 or -1 with err set. */
int store_rollup_policies_rebuild(struct store *s, struct err *err);

/* After reports of (domain, org) starting in 16-day block `block` were
 * deleted: computes that block's rows of the pair again from the remaining
 * report rows, then the pair's span 0 rows from its 16-day rows.
 * Returns 0 or -1 with err set. */
int store_rollup_policies_refresh(struct store *s, int64_t block, const char *domain,
				  const char *org, struct err *err);

#endif
