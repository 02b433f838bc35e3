/*
 * store_metrics: the all-time totals /metrics exposes, read from the
 * roll-ups (store_rollup.h) so the cost grows with the number of label
 * sets, not with the stored reports.  The figures are those of
 * store_summary.h over all time (the same reports, the same sums, capped
 * at 2^53-1); the viewer scope (store_set_scope()) applies.
 *
 * The rows are read whole into a table the caller keeps (/metrics writes
 * them while it sends its answer).
 */
#ifndef TLSRPT_STORE_STORE_METRICS_H
#define TLSRPT_STORE_STORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* One label set: (domain key, organization) for sessions, (domain key,
 * result-type) for failures. */
struct store_metrics_row {
	const char *domain;             /* report_domain_key(); "" if none given */
	const char *key;                /* organization-name, or result-type ("" if absent) */
	uint64_t a;                     /* successful sessions, or failed sessions */
	uint64_t b;                     /* failed sessions (sessions rows only), else 0 */
	int64_t first_start;            /* earliest report start (sessions rows only) */
};

/* The rows of one read, ordered by domain, then by the second label (byte
 * order); their strings alive until store_metrics_table_free(); equal
 * domains share one string (compare the pointers). */
struct store_metrics_table {
	struct store_metrics_row *v;
	size_t n;
	void *text;                     /* the strings (a GStringChunk) */
};

/* Reads each (policy domain key, organization) with its sessions over all
 * time (total-successful- and total-failure-session-count summed) into *t
 * (emptied first).  Returns 0, or -1 on error (err set; *t empty). */
int store_metrics_sessions_table(struct store *s, struct store_metrics_table *t,
				 struct err *err);

/* Reads each (policy domain key, result-type) with its failed sessions
 * (failed-session-count summed) over all time into *t, as above. */
int store_metrics_failure_types_table(struct store *s, struct store_metrics_table *t,
				      struct err *err);

/* Frees what *t holds and empties it; an empty table is fine. */
void store_metrics_table_free(struct store_metrics_table *t);

#endif
