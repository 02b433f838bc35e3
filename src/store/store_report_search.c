/*
 * store_report_search: the statements behind store_report_search.h.
 *
 * The selection is store_views.c's over report_domains d (since $1, until
 * $2, domain $3, organization $4, the viewer scope), one row per report:
 * its first domain's row, or its row of the domain asked for.  $5 is the
 * result type.  Without one, the page ($6 rows after $7) is chosen in a
 * subquery that reads index entries only, and the outer query joins
 * reports and sums the page's rows; with one, see sql_typed_keys.
 */
#include "store/store_report_search.h"

#include <stdlib.h>

#include "model/report.h"
#include "store/store_private.h"
#include "store/store_views_private.h"
#include "util/xalloc.h"

#define KEYS_WHERE " WHERE (d.start_time >= $1 OR $1 = 0) AND (d.start_time < $2 OR $2 = 0)" \
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)" \
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@" \
	" AND (d.first_domain = 1 OR CAST($3 AS TEXT) IS NOT NULL)"
/* A report's figures: id is its id, dom the domain key asked for (NULL:
 * all its domains). */
#define REPORT_SUM(col, id, dom) "(SELECT " STORE_SQL_SUM_COUNT("x." col) \
	" FROM report_domains x WHERE x.report = " id \
	" AND (CAST(" dom " AS TEXT) IS NULL OR x.domain_key = " dom "))"
#define FIGURES(id, dom) " r.id, r.organization, r.report_id, r.start_time, r.end_time," \
	" r.received, " REPORT_SUM("success", id, dom) ", " REPORT_SUM("failure", id, dom) "," \
	" (SELECT COUNT(*) FROM report_domains x WHERE x.report = " id "), r.quirks_json"

/* Without a result type: the page chosen in SQL from the index entries
 * ($5 is there because PostgreSQL wants every parameter up to the last). */
static const char sql_page[] = "SELECT" FIGURES("k.id", "$3") " FROM (SELECT d.report AS id,"
	" d.start_time AS st FROM report_domains d" KEYS_WHERE " AND $5 = ''"
	" ORDER BY d.start_time DESC, d.report DESC LIMIT $6 OFFSET $7) k"
	" JOIN reports r ON r.id = k.id ORDER BY k.st DESC, k.id DESC";
static const char sql_count[] = "SELECT COUNT(*) FROM report_domains d" KEYS_WHERE;
/* every domain, no scope, whole days: the count kept per day and organization */
static const char sql_count_days[] = "SELECT SUM(d.reports) FROM rollup_days d"
	" WHERE d.day >= $1 AND d.day < $2 AND CAST($3 AS TEXT) IS NULL"
	" AND ($4 = '' OR d.organization = $4)";

/*
 * With a result type $5: every matching report's key, newest first, read
 * once (the count is how many; the page is picked here), from the failure
 * details of that type.  Without a domain SQLite starts from the failure
 * rows (few; CROSS JOIN fixes its join order), with one from that
 * domain's policies (PostgreSQL plans both as inner joins).
 */
#define TYPED_KEYS(failures) "SELECT d.report FROM report_domains d" KEYS_WHERE \
	" AND d.report IN (SELECT p.report FROM " failures " WHERE p.id = f.policy" \
	" AND f.result_type = $5 AND (CAST($3 AS TEXT) IS NULL OR p.domain_key = $3))" \
	" ORDER BY d.start_time DESC, d.report DESC"
static const char sql_typed_keys[] =
	TYPED_KEYS("report_failures f CROSS JOIN report_policies p");
static const char sql_typed_keys_domain[] =
	TYPED_KEYS("report_policies p CROSS JOIN report_failures f");
/* one report of the page: $1 its id, $2 the domain key asked for */
static const char sql_one[] = "SELECT" FIGURES("r.id", "$2") " FROM reports r WHERE r.id = $1";

/* Sets *total for q without a result type. */
static int
count(struct store *s, const struct report_query *q, uint64_t *total, struct err *err)
{
	int64_t d0, d1;
	int days = (q == NULL || q->domain == NULL) && store_views_scoped_all(s) &&
		store_views_period_days(q, &d0, &d1);
	struct db_stmt *st = store_views_start(s, days ? sql_count_days : sql_count, q, err);
	int rc;

	if (st == NULL)
		return -1;
	if (days) {
		db_bind_int64(st, 1, d0);
		db_bind_int64(st, 2, d1);
	}
	rc = db_step(st, err);
	if (rc == 1)
		*total = store_views_count(st, 0);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Visits the rows of st (FIGURES columns) until the end or cb stops. */
static int
visit_rows(struct db_stmt *st, store_view_report_cb cb, void *ctx, struct err *err)
{
	int rc;

	while ((rc = db_step(st, err)) == 1) {
		struct store_view_report r = {
			.id = db_column_int64(st, 0),
			.organization = db_column_text(st, 1),
			.report_id = db_column_text(st, 2),
			.start = db_column_int64(st, 3),
			.end = db_column_int64(st, 4),
			.received = db_column_int64(st, 5),
			.success = store_views_count(st, 6),
			.failure = store_views_count(st, 7),
			.domains = store_views_count(st, 8),
			.quirks_json = db_column_text(st, 9),
		};

		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	return rc;
}

/* The page with result type `type`: keys read once, figures per report. */
static int
typed_page(struct store *s, const struct report_query *q, const char *type, uint64_t offset,
	   uint64_t limit, uint64_t *total, store_view_report_cb cb, void *ctx,
	   struct err *err)
{
	int one_domain = q != NULL && q->domain != NULL;
	struct db_stmt *st = store_views_start(s, one_domain ? sql_typed_keys_domain :
					       sql_typed_keys, q, err);
	char *key = one_domain ? report_domain_key(q->domain) : NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	if (st == NULL) {
		free(key);
		return -1;
	}
	db_bind_text(st, 5, type);
	while ((rc = db_step(st, err)) == 1) {
		if (*total >= offset && *total - offset < limit) {
			if (n == cap) {
				cap = cap != 0 ? 2 * cap : 64;
				ids = xreallocarray(ids, cap, sizeof(*ids));
			}
			ids[n++] = db_column_int64(st, 0);
		}
		(*total)++;
	}
	db_reset(st);
	for (i = 0; rc == 0 && i < n; i++) {
		if ((st = db_prepare(s->db, sql_one, err)) == NULL) {
			rc = -1;
			break;
		}
		db_bind_int64(st, 1, ids[i]);
		db_bind_text(st, 2, key);
		rc = visit_rows(st, cb, ctx, err);
		db_reset(st);
	}
	free(ids);
	free(key);
	return rc;
}

int
store_report_search(struct store *s, const struct report_query *q, const char *result_type,
		    uint64_t offset, uint64_t limit, uint64_t *total,
		    store_view_report_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st;
	int rc;

	*total = 0;
	if (result_type != NULL && *result_type != '\0')
		return typed_page(s, q, result_type, offset, limit, total, cb, ctx, err);
	if (count(s, q, total, err) != 0)
		return -1;
	if (offset >= *total)
		return 0;
	if ((st = store_views_start(s, sql_page, q, err)) == NULL)
		return -1;
	db_bind_text(st, 5, "");
	db_bind_int64(st, 6, (int64_t)limit);
	db_bind_int64(st, 7, (int64_t)offset);
	rc = visit_rows(st, cb, ctx, err);
	db_reset(st);
	return rc;
}
