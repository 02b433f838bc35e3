/*
 * store_rollup: figures of stored reports summed ahead of time, so that a
 * dashboard view over a long period reads a few rows per group instead of
 * every report (store_views.c reads them).
 *
 * Five tables (and those below), written in the transaction that stores or deletes a report,
 * always equal to a recomputation from the report rows
 * (store_rollup_rebuild() is that recomputation):
 *   rollup_days      per (UTC day, organization): reports (each once, if
 *                    it has a policy), sessions, earliest start, latest
 *                    arrival; over all policy domains.
 *   rollup_domains   per (span, block, policy domain key, organization):
 *                    the same figures for one domain, over blocks of 16
 *                    days (span 16, block = day / 16) and of 256 days
 *                    (span 256): a period reads its whole blocks here and
 *                    its ends (less than a block) from report_domains.
 *   rollup_failures  per (day, domain key, organization, result-type,
 *                    receiving MX): failed sessions, reports naming it,
 *                    earliest start, latest end, the least non-empty
 *                    additional-information.
 *   rollup_failure_values  the distinct non-empty sending-mta-ip and
 *                    failure-reason-code values of each such group.
 *   rollup_day_types per (day, organization, result-type): failed
 *                    sessions over all domains.
 * And the all-time level (schema step 11, store_rollup_totals.c):
 *   rollup_domains span 0 (block 0): per (domain key, organization), all
 *                    time;
 *   rollup_failure_groups per (domain key, result-type, receiving MX), all
 *                    time, indexed by failed sessions;
 *   rollup_failure_group_values their distinct sending IPs,
 *                    organizations and failure-reason-codes.
 * And per policy (schema step 15, store_rollup_policies.h):
 *   rollup_policies  per (domain key, 16-day block or all time,
 *                    organization, policy): the policies list.
 * Free text (MX, result type, values) is keyed by a 64-bit digest, so no
 * index holds it (PostgreSQL limits index entries to ~2.7 KB).
 * Days are UTC day numbers, floor(start / 86400); sums stop at 2^53-1.
 */
#ifndef TLSRPT_STORE_STORE_ROLLUP_H
#define TLSRPT_STORE_STORE_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "util/err.h"

/* The spans (days) of rollup_domains blocks, finer first; span 0 is all
 * time (one block, 0). */
#define STORE_ROLLUP_SPAN1 16
#define STORE_ROLLUP_SPAN2 256
#define STORE_ROLLUP_SPAN_ALL 0

/* The schema step that adds the tables (store_schema.c); its program
 * store_rollup_rebuild() fills them from the reports already stored. */
extern const char store_rollup_schema_sql[];

/* Adds report r, just stored (arrived at received), to the roll-up rows
 * s has pending for its transaction (store_rollup_batch.h), written at
 * COMMIT; keys[i] is report_domain_key() of policy i's domain, strings[i]
 * its policy-string list as store_list_json() writes it (NULL: absent),
 * both borrowed.  Called by store_put_report() inside its transaction. */
void store_rollup_put_report(struct store *s, const struct report *r, char *const *keys,
			     char *const *strings, int64_t received);

/* Deletes at most batch reports whose period ended before `before` (with
 * their policies and failures) and updates the roll-ups, in one
 * transaction.  Sets *deleted.  Returns 0 or -1 with err set (rolled
 * back). */
int store_rollup_prune_batch(struct store *s, int64_t before, size_t batch, int64_t *deleted,
			     struct err *err);

/* The schema step (11) that adds the all-time failure tables. */
extern const char store_rollup_totals_schema_sql[];

/* Empties the roll-ups and computes them again from the report rows
 * (store_rollup_rebuild_blocks(), store_rollup_reporters_rebuild(),
 * store_rollup_policies_rebuild(), then store_rollup_rebuild_totals(); what
 * tests compare against).  Runs in the caller's transaction.  Returns 0
 * or -1 with err set. */
int store_rollup_rebuild(struct store *s, struct err *err);

/* The tables of schema step 10 (days, 16- and 256-day blocks, failure
 * days) computed again from the report rows: step 10's program.
 * Returns 0 or -1 with err set. */
int store_rollup_rebuild_blocks(struct store *s, struct err *err);

/* The all-time level (span 0, failure groups and their values) computed
 * again from the day and block roll-ups: step 11's program.  Returns 0 or
 * -1 with err set. */
int store_rollup_rebuild_totals(struct store *s, struct err *err);

/* On PostgreSQL, adds a covering index of rollup_domains by (span, block),
 * so that a period's 16- and 256-day blocks are read from index entries
 * only (its heap is in no order: rows move as they are updated); nothing
 * on SQLite, where the table itself is in that order (WITHOUT ROWID).
 * Schema step 12's second program.  Returns 0 or -1 with err set. */
int store_rollup_block_index(struct store *s, struct err *err);

/* The digest that keys an all-time failure group (domain key, result-type,
 * receiving MX; "" for an absent one). */
int64_t store_rollup_failure_group_digest(const char *domain, const char *type,
					  const char *mx);

/* Floor of t / 86400: the UTC day number of Unix time t. */
int64_t store_rollup_day(int64_t t);

#endif
