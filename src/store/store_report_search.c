/*
 * store_report_search: the statements behind store_report_search.h.
 *
 * The selection is store_views.c's over report_domains d (since $1, until
 * $2, domain $3, organization $4, the viewer scope), one row per report:
 * its first domain's row, or its row of the domain asked for.  $5 is the
 * result type.  Without one, the page ($6 rows after $7, from the row
 * ($8, $9) on) is chosen in a subquery that reads index entries only, and
 * the outer query joins reports and sums the page's rows; with one, see
 * sql_typed_keys.  A page reads one row more than it shows, to know
 * whether more follow.
 */
#include "store/store_report_search.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/report.h"
#include "store/store_private.h"
#include "store/store_report_types.h"
#include "store/store_rollup.h"
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
 * ($5 is there because PostgreSQL wants every parameter up to the last).
 * Newest first from the row ($8, $9) on, excluding it (an offset page
 * binds a row after every one); the start bound is written so that an
 * index range serves it. */
static const char sql_page[] = "SELECT" FIGURES("k.id", "$3") " FROM (SELECT d.report AS id,"
	" d.start_time AS st FROM report_domains d" KEYS_WHERE " AND $5 = ''"
	" AND d.start_time <= $8 AND (d.start_time < $8 OR d.report < $9)"
	" ORDER BY d.start_time DESC, d.report DESC LIMIT $6 OFFSET $7) k"
	" JOIN reports r ON r.id = k.id ORDER BY k.st DESC, k.id DESC";
/* The page before the row ($8, $9): the rows just newer than it, read
 * oldest first, shown newest first. */
static const char sql_page_before[] = "SELECT" FIGURES("k.id", "$3") " FROM (SELECT"
	" d.report AS id, d.start_time AS st FROM report_domains d" KEYS_WHERE " AND $5 = ''"
	" AND d.start_time >= $8 AND (d.start_time > $8 OR d.report > $9)"
	" ORDER BY d.start_time, d.report LIMIT $6 OFFSET $7) k"
	" JOIN reports r ON r.id = k.id ORDER BY k.st DESC, k.id DESC";
/* How many of those there are, up to $6 (one more than a page: whether
 * the page before has rows before it). */
static const char sql_before_count[] = "SELECT COUNT(*) FROM (SELECT d.report"
	" FROM report_domains d" KEYS_WHERE " AND $5 = ''"
	" AND d.start_time >= $8 AND (d.start_time > $8 OR d.report > $9)"
	" ORDER BY d.start_time, d.report LIMIT $6 OFFSET $7) k";
static const char sql_count[] = "SELECT COUNT(*) FROM report_domains d" KEYS_WHERE;
/* every domain, no scope, whole days: the count kept per day and organization */
static const char sql_count_days[] = "SELECT SUM(d.reports) FROM rollup_days d"
	" WHERE d.day >= $1 AND d.day < $2 AND CAST($3 AS TEXT) IS NULL"
	" AND ($4 = '' OR d.organization = $4)";
/* the same per day, newest first: where a deep offset lands */
static const char sql_day_counts[] = "SELECT d.day, SUM(d.reports) FROM rollup_days d"
	" WHERE d.day >= $1 AND d.day < $2 AND CAST($3 AS TEXT) IS NULL"
	" AND ($4 = '' OR d.organization = $4) GROUP BY d.day ORDER BY d.day DESC";

/*
 * With a result type ($5, its key: store_report_types_key()): every
 * matching report's key, newest first, read once (the count is how many;
 * the page is picked here) from one index range of report_types
 * (store_report_types.h): without a domain its rows of whole reports,
 * under the report's first domain key (a report once; the viewer scope
 * applies to that key, as KEYS_WHERE's first_domain = 1), with one the
 * rows of that domain.
 */
#define TYPED_KEYS(which) "SELECT d.report, d.start_time FROM report_types d" \
	" WHERE d.type_key = $5 AND " which " AND (d.start_time >= $1 OR $1 = 0)" \
	" AND (d.start_time < $2 OR $2 = 0) AND ($4 = '' OR d.organization = $4)" \
	" AND @SCOPE_D@ ORDER BY d.start_time DESC, d.report DESC"
static const char sql_typed_keys[] =
	TYPED_KEYS("d.whole = 1 AND CAST($3 AS TEXT) IS NULL");
static const char sql_typed_keys_domain[] =
	TYPED_KEYS("d.whole = 0 AND d.domain_key = $3");
/* one report of the page: $1 its id, $2 the domain key asked for */
static const char sql_one[] = "SELECT" FIGURES("r.id", "$2") " FROM reports r WHERE r.id = $1";

void
store_report_cursor_format(int64_t start, int64_t id, char *out, size_t n)
{
	snprintf(out, n, "%" PRId64 "_%" PRId64, start, id);
}

int
store_report_cursor_parse(const char *text, int64_t *start, int64_t *id, struct err *err)
{
	char *end;
	long long a, b;

	errno = 0;
	a = strtoll(text, &end, 10);
	if (end == text || *end != '_' || errno != 0)
		goto fail;
	text = end + 1;
	b = strtoll(text, &end, 10);
	if (end == text || *end != '\0' || errno != 0 || b <= 0)
		goto fail;
	*start = a;
	*id = b;
	return 0;
fail:
	err_set(err, "not a cursor of /api/reports (use its \"next\" or \"prev\")");
	return -1;
}

/* Whether q selects every domain over whole UTC days with no viewer scope:
 * then rollup_days counts its reports, and [*d0, *d1) are its days. */
static int
by_days(struct store *s, const struct report_query *q, int64_t *d0, int64_t *d1)
{
	return (q == NULL || q->domain == NULL) && store_views_scoped_all(s) &&
		store_views_period_days(q, d0, d1);
}

/* Sets *total for q without a result type. */
static int
count(struct store *s, const struct report_query *q, uint64_t *total, struct err *err)
{
	int64_t d0, d1;
	int days = by_days(s, q, &d0, &d1);
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

/*
 * For an offset page over whole days (by_days()): turns "skip *offset
 * rows" into "skip the rows of the newer days, then *offset rows": sets
 * *key_start to the last second of the day the page starts in and lowers
 * *offset by the rows of the days after it.  Leaves both alone when the
 * offset is past the end.  Returns 0 or -1 (err set).
 */
static int
skip_days(struct store *s, const struct report_query *q, int64_t d0, int64_t d1,
	  uint64_t *offset, int64_t *key_start, struct err *err)
{
	struct db_stmt *st = store_views_start(s, sql_day_counts, q, err);
	uint64_t before = 0;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, d0);
	db_bind_int64(st, 2, d1);
	while ((rc = db_step(st, err)) == 1) {
		uint64_t n = store_views_count(st, 1);

		if (before + n > *offset) {
			*key_start = (db_column_int64(st, 0) + 1) * 86400 - 1;
			*offset -= before;
			break;
		}
		before += n;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The caller's callback with the rows of a page that are shown: skips
 * the first `skip` rows and shows `limit` at most, noting the first and
 * last shown in info. */
struct shown {
	store_view_report_cb cb;
	void *ctx;
	uint64_t skip, limit;
	uint64_t seen;          /* rows offered, shown or not */
	struct report_page_info *info;
};

static int
on_shown(struct shown *w, const struct store_view_report *r)
{
	struct report_page_info *info = w->info;

	if (w->seen++ < w->skip || info->rows >= w->limit)
		return 0;
	if (info->rows == 0) {
		info->first_start = r->start;
		info->first_id = r->id;
	}
	info->last_start = r->start;
	info->last_id = r->id;
	info->rows++;
	return w->cb(w->ctx, r);
}

/* Prepares a page statement (sql_page, sql_page_before, sql_before_count)
 * for q: limit + 1 rows after offset, from the row (key_start, key_id). */
static struct db_stmt *
page_start(struct store *s, const struct report_query *q, const char *sql, uint64_t limit,
	   uint64_t offset, int64_t key_start, int64_t key_id, struct err *err)
{
	struct db_stmt *st = store_views_start(s, sql, q, err);

	if (st == NULL)
		return NULL;
	db_bind_text(st, 5, "");
	db_bind_int64(st, 6, (int64_t)limit + 1);
	db_bind_int64(st, 7, (int64_t)offset);
	db_bind_int64(st, 8, key_start);
	db_bind_int64(st, 9, key_id);
	return st;
}

/* Visits the rows of st (FIGURES columns) until the end or cb stops. */
static int
visit_rows(struct db_stmt *st, struct shown *w, struct err *err)
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

		if ((rc = on_shown(w, &r)) != 0)
			break;
	}
	return rc;
}

/* A matching report's key. */
struct key {
	int64_t id, start;
};

/* Whether key k comes after the row (start, id) in the list. */
static int
key_after(const struct key *k, int64_t start, int64_t id)
{
	return k->start < start || (k->start == start && k->id < id);
}

/* Reads the keys of every report with a failure detail of type `type`,
 * newest first, into *keys (*n of them). */
static int
typed_keys(struct store *s, const struct report_query *q, const char *type,
	   struct key **keys, size_t *n, struct err *err)
{
	int one_domain = q != NULL && q->domain != NULL;
	struct db_stmt *st = store_views_start(s, one_domain ? sql_typed_keys_domain :
					       sql_typed_keys, q, err);
	size_t cap = 0;
	int rc;

	*keys = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 5, store_report_types_key(s, type));
	while ((rc = db_step(st, err)) == 1) {
		if (*n == cap) {
			cap = cap != 0 ? 2 * cap : 64;
			*keys = xreallocarray(*keys, cap, sizeof(**keys));
		}
		(*keys)[(*n)++] = (struct key){ db_column_int64(st, 0), db_column_int64(st, 1) };
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* The page with result type `type`: keys read once, figures per report. */
static int
typed_page(struct store *s, const struct report_query *q, const char *type,
	   const struct report_page *pg, struct shown *w, struct err *err)
{
	struct report_page_info *info = w->info;
	char *key = q != NULL && q->domain != NULL ? report_domain_key(q->domain) : NULL;
	struct key *keys;
	size_t n, lo = 0, hi, i;
	int rc;

	if (typed_keys(s, q, type, &keys, &n, err) != 0) {
		free(key);
		return -1;
	}
	info->total = n;
	if (pg->from == REPORT_PAGE_OFFSET) {
		lo = pg->offset < n ? (size_t)pg->offset : n;
	} else {
		while (lo < n && !key_after(&keys[lo], pg->key_start, pg->key_id))
			lo++;
		if (pg->from == REPORT_PAGE_BEFORE) {
			/* the rows before the cursor row are keys[0 .. lo) minus it */
			hi = lo;
			if (hi > 0 && keys[hi - 1].start == pg->key_start &&
			    keys[hi - 1].id == pg->key_id)
				hi--;
			lo = hi > pg->limit ? hi - (size_t)pg->limit : 0;
		}
	}
	hi = n - lo > pg->limit ? lo + (size_t)pg->limit : n;
	info->more_before = lo > 0;
	info->more_after = hi < n;
	if (pg->from == REPORT_PAGE_BEFORE)
		info->more_after = 1;
	rc = 0;
	for (i = lo; rc == 0 && i < hi; i++) {
		struct db_stmt *st = db_prepare(s->db, sql_one, err);

		if (st == NULL) {
			rc = -1;
			break;
		}
		db_bind_int64(st, 1, keys[i].id);
		db_bind_text(st, 2, key);
		rc = visit_rows(st, w, err);
		db_reset(st);
	}
	free(keys);
	free(key);
	return rc;
}

int
store_report_search(struct store *s, const struct report_query *q, const char *result_type,
		    const struct report_page *pg, struct report_page_info *info,
		    store_view_report_cb cb, void *ctx, struct err *err)
{
	struct shown w = { .cb = cb, .ctx = ctx, .limit = pg->limit, .info = info };
	uint64_t offset = pg->from == REPORT_PAGE_OFFSET ? pg->offset : 0;
	int64_t key_start = INT64_MAX, key_id = INT64_MAX, d0, d1;
	struct db_stmt *st;
	int rc;

	*info = (struct report_page_info){ 0 };
	if (pg->limit == 0)
		return count(s, q, &info->total, err);
	if (result_type != NULL && *result_type != '\0')
		return typed_page(s, q, result_type, pg, &w, err);
	if (count(s, q, &info->total, err) != 0)
		return -1;
	if (pg->from == REPORT_PAGE_OFFSET && offset >= info->total) {
		info->more_before = info->total > 0;
		return 0;
	}
	if (pg->from != REPORT_PAGE_OFFSET) {
		key_start = pg->key_start;
		key_id = pg->key_id;
	} else if (offset > 0 && by_days(s, q, &d0, &d1) &&
		   skip_days(s, q, d0, d1, &offset, &key_start, err) != 0) {
		return -1;
	}
	/* one row more than shown: the newest of a page before (skipped when
	 * there is one), else the oldest (never reached) */
	if (pg->from == REPORT_PAGE_BEFORE) {
		uint64_t n = 0;

		if ((st = page_start(s, q, sql_before_count, pg->limit, 0, key_start, key_id,
				     err)) == NULL)
			return -1;
		rc = db_step(st, err);
		if (rc == 1)
			n = store_views_count(st, 0);
		db_reset(st);
		if (rc < 0)
			return -1;
		w.skip = n > pg->limit;
		info->more_before = n > pg->limit;
	}
	st = page_start(s, q, pg->from == REPORT_PAGE_BEFORE ? sql_page_before : sql_page,
			pg->limit, offset, key_start, key_id, err);
	if (st == NULL)
		return -1;
	rc = visit_rows(st, &w, err);
	db_reset(st);
	if (rc < 0)
		return -1;
	if (pg->from == REPORT_PAGE_BEFORE) {
		info->more_after = 1;
	} else {
		info->more_before = pg->from == REPORT_PAGE_AFTER || pg->offset > 0;
		info->more_after = w.seen > pg->limit;
	}
	return rc;
}
