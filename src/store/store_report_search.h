/*
 * store_report_search: one page of stored reports for /api/reports, the
 * selection and order of store_view_reports() (store_views.h), found the
 * cheap way round:
 *   - the page's reports are chosen from report_domains' indexes alone,
 *     and their figures (sessions, domains) computed for those rows only;
 *   - a page is found by its place in the list (offset) or, the keyset
 *     way, as the rows just after or just before one row (a cursor, the
 *     start and id of the row): a cursor page reads only its own index
 *     entries however deep it is;
 *   - a deep offset over every domain (no domain, no viewer scope, whole
 *     UTC days) skips whole days with the per-day report counts of
 *     rollup_days and walks index entries within one day only; any other
 *     offset walks the index entries it skips (cheap for one domain);
 *   - with a result type, the reports are read from one index range of
 *     report_types (store_report_types.h), in page order, not by looking
 *     for a failure detail of that type in every report of the period.
 */
#ifndef TLSRPT_STORE_STORE_REPORT_SEARCH_H
#define TLSRPT_STORE_STORE_REPORT_SEARCH_H

#include <stdint.h>

#include "store/store.h"
#include "store/store_reports.h"
#include "store/store_views.h"
#include "util/err.h"

/* Where a page is in the list (newest first: by the start of the
 * report's date range, then by id, both descending). */
enum report_page_from {
	REPORT_PAGE_OFFSET,     /* after `offset` rows */
	REPORT_PAGE_AFTER,      /* the rows after the row (key_start, key_id) */
	REPORT_PAGE_BEFORE,     /* the rows before it (the page before) */
};

struct report_page {
	enum report_page_from from;
	uint64_t offset;        /* REPORT_PAGE_OFFSET only */
	int64_t key_start, key_id;      /* AFTER / BEFORE: the cursor row */
	uint64_t limit;         /* at most this many rows */
};

/* What a page search found besides its rows. */
struct report_page_info {
	uint64_t total;         /* reports matching in all */
	uint64_t rows;          /* rows visited */
	int more_before;        /* rows precede the first visited one */
	int more_after;         /* rows follow the last visited one */
	int64_t first_start, first_id;  /* the first row visited (rows > 0) */
	int64_t last_start, last_id;    /* the last row visited (rows > 0) */
};

/*
 * Visits one page of q's reports, newest first, placed as pg says.  With
 * result_type set (not NULL, not ""), only the reports with a failure
 * detail of that result-type (in q->domain's policies when set).  Fills
 * *info.  The rows and figures are those of store_view_reports(); the
 * pages of one selection are the same rows whether reached by offset or
 * by cursor.  Returns 0 when every row of the page was visited, the
 * callback's non-zero value when it stopped, -1 on error (err set).
 */
int store_report_search(struct store *s, const struct report_query *q,
			const char *result_type, const struct report_page *pg,
			struct report_page_info *info, store_view_report_cb cb, void *ctx,
			struct err *err);

/* Writes the cursor of row (start, id) into out (size n, 48 is enough):
 * opaque text for after= / before=. */
void store_report_cursor_format(int64_t start, int64_t id, char *out, size_t n);

/* Reads a cursor written by store_report_cursor_format().  Returns 0, or
 * -1 when text is not one (err set). */
int store_report_cursor_parse(const char *text, int64_t *start, int64_t *id,
			      struct err *err);

#endif
