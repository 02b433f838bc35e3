/*
 * store_metrics: the all-time totals /metrics exposes, read from the
 * roll-ups (store_rollup.h) so the cost grows with the number of label
 * sets, not with the stored reports.  The figures are those of
 * store_summary.h over all time (the same reports, the same sums, capped
 * at 2^53-1); the viewer scope (store_set_scope()) applies.
 *
 * Rows are visited ordered by domain, then by the second label (byte
 * order); strings are borrowed for the call.  The callback returns 0 to go on, non-zero to stop (that value is
 * then returned).  Functions return 0 when every row was visited, -1 on
 * error (err set).
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

typedef int (*store_metrics_row_cb)(void *ctx, const struct store_metrics_row *row);

/* Visits each (policy domain key, organization) with its sessions over all
 * time: total-successful- and total-failure-session-count summed. */
int store_metrics_sessions(struct store *s, store_metrics_row_cb cb, void *ctx,
			   struct err *err);

/* Visits each (policy domain key, result-type) with its failed sessions
 * (failed-session-count summed) over all time. */
int store_metrics_failure_types(struct store *s, store_metrics_row_cb cb, void *ctx,
				struct err *err);

/* The rows of one read, kept: the visits' rows in the visits' order, their
 * strings alive until store_metrics_table_free(); equal domains share one
 * string (compare the pointers).  For a caller that keeps every row
 * anyway (/metrics), without copying each label. */
struct store_metrics_table {
	struct store_metrics_row *v;
	size_t n;
	void *text;                     /* the strings (a GStringChunk) */
};

/* Reads the rows store_metrics_sessions() visits into *t (emptied first).
 * Returns 0, or -1 on error (err set; *t empty). */
int store_metrics_sessions_table(struct store *s, struct store_metrics_table *t,
				 struct err *err);

/* Reads the rows store_metrics_failure_types() visits into *t, as above. */
int store_metrics_failure_types_table(struct store *s, struct store_metrics_table *t,
				      struct err *err);

/* Frees what *t holds and empties it; an empty table is fine. */
void store_metrics_table_free(struct store_metrics_table *t);

#endif
