/*
 * store_report_search: one page of stored reports for /api/reports, the
 * selection and order of store_view_reports() (store_views.h), found the
 * cheap way round:
 *   - the page's reports are chosen from report_domains' indexes alone,
 *     and their figures (sessions, domains) computed for those rows only,
 *     so a page deep into the list costs a walk of index entries, not a
 *     per-report computation for every report skipped;
 *   - with a result type, the reports are found from the failure details
 *     of that type (report_failures, few), not by looking for one in
 *     every report of the period.
 */
#ifndef TLSRPT_STORE_STORE_REPORT_SEARCH_H
#define TLSRPT_STORE_STORE_REPORT_SEARCH_H

#include <stdint.h>

#include "store/store.h"
#include "store/store_reports.h"
#include "store/store_views.h"
#include "util/err.h"

/*
 * Visits one page of q's reports, newest first (by the start of their date
 * range, then by id): at most limit of them after skipping offset.  With
 * result_type set (not NULL, not ""), only the reports with a failure
 * detail of that result-type (in q->domain's policies when set).  Sets
 * *total to how many reports match in all.  The rows and figures are
 * those of store_view_reports().  Returns 0 when every row of the page was
 * visited, the callback's non-zero value when it stopped, -1 on error
 * (err set).
 */
int store_report_search(struct store *s, const struct report_query *q,
			const char *result_type, uint64_t offset, uint64_t limit,
			uint64_t *total, store_view_report_cb cb, void *ctx, struct err *err);

#endif
