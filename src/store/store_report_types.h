/*
 * store_report_types: which failure result types each stored report names,
 * kept so that /api/reports?result_type= (store_report_search.h) reads its
 * reports from one index range in page order instead of joining every
 * failure detail of that type to its policy and report.
 *
 * report_types has, for each report with failure details:
 *   whole = 0: a row per (policy domain key, result type) the report's
 *              failure details name under that domain's policies (the
 *              search of one domain);
 *   whole = 1: a row per result type the report names anywhere, under the
 *              report's first domain key (the key report_domains marks
 *              first_domain = 1: the search of every domain counts a
 *              report once and applies the viewer scope to that key, as
 *              the search without a result type does);
 * each with the report's start and organization.  The result type is kept
 * as its 64-bit digest (store_report_types_key()): the text is free, and
 * PostgreSQL limits index entries to ~2.7 KB.  A failure detail without a
 * result type (or with an empty one) is in no row: no search finds it.
 * Rows are written in the transaction that stores the report; prune
 * deletes them with the report (store_prune.c).  Since schema step 16
 * each index covers only the rows its search reads (report_types_type
 * whole = 1, report_types_domain whole = 0), and on SQLite the table is
 * clustered on its primary key (store_report_types_index.c).
 */
#ifndef TLSRPT_STORE_STORE_REPORT_TYPES_H
#define TLSRPT_STORE_STORE_REPORT_TYPES_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "util/err.h"

/* The schema step (14) that adds report_types; its program
 * store_report_types_fill() fills it from the reports already stored. */
extern const char store_report_types_schema_sql[];

/* The key of result type `type` in report_types (a 64-bit digest). */
int64_t store_report_types_key(struct store *s, const char *type);

/* Writes the rows of report r, just stored as id, in the open
 * transaction; keys[i] is report_domain_key() of policy i's domain
 * (borrowed).  Returns 0 or -1 with err set. */
int store_report_types_put(struct store *s, int64_t id, const struct report *r,
			   char *const *keys, struct err *err);

/* Fills report_types from the stored reports' failure details (step 14's
 * program; a report that already has rows is skipped, so it can run
 * again).  Runs in the caller's transaction.  Returns 0 or -1 with err
 * set. */
int store_report_types_fill(struct store *s, struct err *err);

/* Schema step 16's program (store_report_types_index.c): the two indexes
 * become partial (each over the kind of row its search reads) and, on
 * SQLite, the table is rebuilt WITHOUT ROWID.  Can run again.  Returns 0
 * or -1 with err set. */
int store_report_types_partial(struct store *s, struct err *err);

#endif
