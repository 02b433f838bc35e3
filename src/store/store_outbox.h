/*
 * store_outbox: reports we generated and their delivery state (sending
 * side, after aggregation).
 *
 * A report is stored once per report-id (a regenerated report is a
 * duplicate and changes nothing), with its canonical JSON and one delivery
 * row per destination (rua).  A delivery is claimed ("sending") and
 * committed BEFORE it is attempted, so a crash never leads to a second
 * delivery (at most once, SCHED-02); then it ends "sent", "failed", or
 * "pending" again with a later next_try (exponential backoff, §5.5).  A
 * report whose TLSRPT lookup failed temporarily waits with lookup state
 * "pending" and gets its deliveries once a lookup succeeds.  Destinations
 * on the suppression list until a date get state "suppressed" (SCHED-03).
 *
 * Delivery states: pending, sending, sent, failed, suppressed.
 * Lookup states:   done, pending, failed.
 */
#ifndef TLSRPT_STORE_STORE_OUTBOX_H
#define TLSRPT_STORE_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "model/strlist.h"
#include "store/store.h"
#include "util/err.h"

/* The schema step that adds the outbox tables (for store_schema.c). */
extern const char store_outbox_schema_sql[];

/* A due delivery (destination set) or a due lookup (destination NULL). */
struct outbox_item {
	int64_t id;             /* delivery id; 0 for a lookup */
	char *report_id;
	char *policy_domain;
	char *destination;      /* "mailto:ADDR" or an https URL; NULL for a lookup */
	int64_t day;
	int64_t attempts;       /* attempts made before this one */
	int64_t first_try;      /* first attempt (deliveries) or creation (lookups) */
};

/* Adds a generated report.  dests: its destinations (each gets a delivery,
 * next_try = now), or NULL when the lookup must be retried at next_lookup.
 * Returns 1 if added, 0 if report_id was already there (nothing changed),
 * -1 on error (nothing stored). */
int store_outbox_add(struct store *s, const char *report_id, int64_t day,
		     const char *policy_domain, const char *json, const struct strlist *dests,
		     int64_t now, int64_t next_lookup, struct err *err);

/* Sets *items to a new array (free with store_outbox_items_free()) of at most
 * max pending deliveries with next_try <= now, oldest first, and *n to its
 * length.  Returns 0 or -1. */
int store_outbox_due(struct store *s, int64_t now, size_t max, struct outbox_item **items,
		     size_t *n, struct err *err);

/* The same for reports whose lookup is pending and due. */
int store_outbox_lookups_due(struct store *s, int64_t now, size_t max,
			     struct outbox_item **items, size_t *n, struct err *err);

/* How long a claimed delivery may stay "sending" before it counts as
 * interrupted (the process died during the attempt): longer than any
 * SMTP or HTTPS attempt takes. */
#define STORE_OUTBOX_LEASE 3600

/* Marks delivery id as "sending" (attempts + 1; first_try set on the first
 * claim; next_try = now + STORE_OUTBOX_LEASE, the lease) and commits.
 * Returns 1 if claimed, 0 if it was no longer pending (another process has
 * it), -1 on error. */
int store_outbox_claim(struct store *s, int64_t id, int64_t now, struct err *err);

/* Deliveries still "sending" after their lease ran out at `now`: an
 * attempt that never ended (crash, kill -9, power loss), so the report may
 * or may not have arrived.  With requeue, they are made "pending" again,
 * due now.  Returns how many there are (were requeued), or -1 on error. */
int64_t store_outbox_interrupted(struct store *s, int64_t now, int requeue, struct err *err);

/* Ends an attempt on a claimed ("sending") delivery: state "sent",
 * "failed" or "pending" (then next_try is when to try again); error is the
 * last failure or NULL.  Returns 1, or 0 when the delivery was no longer
 * "sending" (requeued by store_outbox_interrupted() meanwhile: nothing is
 * changed), or -1 on error. */
int store_outbox_finish(struct store *s, int64_t id, const char *state, int64_t next_try,
			const char *error, struct err *err);

/* Postpones a pending (unclaimed) delivery to next_try with error as its
 * last error.  Returns 0 or -1. */
int store_outbox_defer(struct store *s, int64_t id, int64_t next_try, const char *error,
		       struct err *err);

/* Records a lookup outcome for report_id: dests != NULL → deliveries
 * created (lookup "done"); dests == NULL → state "pending" again at
 * next_lookup, or "failed" if next_lookup is 0.  Returns 0 or -1. */
int store_outbox_set_lookup(struct store *s, const char *report_id,
			    const struct strlist *dests, int64_t now, int64_t next_lookup,
			    const char *error, struct err *err);

/* Returns the report's JSON (caller frees), or NULL with err set. */
char *store_outbox_json(struct store *s, const char *report_id, struct err *err);

/* Earliest next_try of any pending delivery or lookup into *when.
 * Returns 1 if there is one, 0 if none, -1 on error. */
int store_outbox_next_due(struct store *s, int64_t *when, struct err *err);

/* Puts destination on the suppression list until `until` (Unix seconds);
 * a later call replaces the date.  Returns 0 or -1. */
int store_outbox_suppress(struct store *s, const char *destination, int64_t until,
			  const char *comment, struct err *err);

/* If destination is on the suppression list at `now`, sets *until to the
 * end of its suppression and returns 1; 0 if not; -1 on error. */
int store_outbox_suppressed_until(struct store *s, const char *destination, int64_t now,
				  int64_t *until, struct err *err);

/* Marks the pending delivery id "suppressed" (skipped, not sent).
 * Returns 0 or -1. */
int store_outbox_skip_suppressed(struct store *s, int64_t id, struct err *err);

/* Removes destination from the suppression list.  Returns 1 if it was
 * there, 0 if not, -1 on error.  Deliveries already "suppressed" stay so. */
int store_outbox_unsuppress(struct store *s, const char *destination, struct err *err);

/* One entry of the suppression list (borrowed for the callback). */
struct outbox_suppression {
	const char *destination;
	int64_t until;
	const char *comment;          /* or NULL */
};

/* Calls cb for every entry still in force at `now`, by destination.  cb
 * returns 0 to go on, non-zero to stop (that value is returned).  Returns
 * 0 when all were visited, -1 on error. */
typedef int (*store_outbox_suppression_cb)(void *ctx, const struct outbox_suppression *e);
int store_outbox_suppressions(struct store *s, int64_t now, store_outbox_suppression_cb cb,
			      void *ctx, struct err *err);

/* Counts deliveries of report_id in state (any report if NULL).  Returns
 * the count, or -1 on error. */
int64_t store_outbox_count(struct store *s, const char *report_id, const char *state,
			   struct err *err);

/* Deletes reports created before `before` whose lookup and deliveries are
 * all finished (their deliveries go with them).  Returns the number of
 * reports deleted, or -1 on error. */
int64_t store_outbox_prune(struct store *s, int64_t before, struct err *err);

/* One delivery as listed by store_outbox_list() (all borrowed for the call). */
struct outbox_row {
	const char *report_id;
	const char *policy_domain;
	const char *destination;      /* NULL: the report waits for its lookup */
	const char *state;            /* delivery state, or the lookup state */
	int64_t attempts;
	int64_t next_try;
	const char *last_error;       /* or NULL */
};

/* Calls cb for every delivery (and every report still waiting for its
 * lookup), by report-id.  cb returns 0 to go on, non-zero to stop (that
 * value is returned).  Returns 0 when all were visited, -1 on error. */
typedef int (*store_outbox_cb)(void *ctx, const struct outbox_row *row);
int store_outbox_list(struct store *s, store_outbox_cb cb, void *ctx, struct err *err);

/* Releases an array from store_outbox_due() / store_outbox_lookups_due(). */
void store_outbox_items_free(struct outbox_item *items, size_t n);

#endif
