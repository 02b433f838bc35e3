/*
 * store_views: the GROUP BY statements behind store_views.h.
 *
 * Most groupings read the roll-ups (store_rollup.h), so their cost grows
 * with the groups and the length of the period, not with the reports:
 *   - totals, days and organizations of every domain (no domain filter,
 *     no viewer scope): rollup_days, a row per (day, organization); for a
 *     period that is not whole days, its whole days from there and the
 *     part of a day at each end from report_domains;
 *   - per domain (and organization, and reporters per domain), any
 *     period: the whole 16- and 256-day blocks of rollup_domains and, for
 *     the rest of the period (less than a block at each end), the report
 *     rows of report_domains, in one UNION ALL;
 *   - policies (per domain key, policy-type and policy-string list), any
 *     period: the whole 16-day blocks of rollup_policies and the rest
 *     from report_domains joined to report_policies, in one UNION ALL;
 *     all time from its span 0 rows;
 *   - failure groups, their values and failed sessions per day:
 *     store_views_failures.c (rollup_failures / rollup_failure_values for
 *     whole days, and for the whole days of any other period).
 * The rest reads report_domains (one row per (report, policy domain key)
 * with the report's start, organization and arrival and that domain's
 * session sums, covered by two indexes: a report counts once per domain by
 * construction, and once overall through `first_domain`): the grouping by
 * (domain, organization, day).  group_sql[] keeps every grouping over the
 * report rows (the definition; tests compare the roll-ups with it).
 * The selection is the one every view shares (store_summary.h): since $1,
 * until $2, domain $3, organization $4.
 */
#include "store/store_views.h"

#include <stdlib.h>
#include <string.h>

#include "model/domain_scope.h"
#include "model/report.h"
#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_views_private.h"
#include "util/buf.h"
#include "util/xalloc.h"

#ifndef STORE_SQL_SUM_COUNT
/* A sum of session counts that can neither fail nor wrap: done in double
 * precision (exact below 2^53), clamped to 2^53-1, in both dialects. */
#define STORE_SQL_SUM_COUNT(col) \
	"(CASE WHEN SUM(CAST(" col " AS DOUBLE PRECISION)) >= 9007199254740991" \
	" THEN 9007199254740991" \
	" ELSE CAST(SUM(CAST(" col " AS DOUBLE PRECISION)) AS BIGINT) END)"
#endif

const char store_views_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS report_domains ("
	" report BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" domain_key TEXT NOT NULL,"
	" first_domain INTEGER NOT NULL,"
	" start_time BIGINT NOT NULL,"
	" organization TEXT NOT NULL,"
	" received BIGINT NOT NULL,"
	" success BIGINT NOT NULL,"
	" failure BIGINT NOT NULL,"
	" PRIMARY KEY (report, domain_key));"
	"CREATE INDEX IF NOT EXISTS report_domains_domain ON report_domains"
	" (domain_key, start_time, organization, first_domain, success, failure, received);"
	"CREATE INDEX IF NOT EXISTS report_domains_start ON report_domains"
	" (start_time, domain_key, organization, first_domain, success, failure, received);"
	/* the reports stored before this step (the step can run again: the
	 * upgrade tests replay steps) */
	"INSERT INTO report_domains (report, domain_key, first_domain, start_time, organization,"
	" received, success, failure)"
	" SELECT r.id, p.domain_key, 0, MIN(r.start_time), MIN(r.organization), MIN(r.received),"
	" " STORE_SQL_SUM_COUNT("p.total_success") ", " STORE_SQL_SUM_COUNT("p.total_failure")
	" FROM reports r JOIN report_policies p ON p.report = r.id GROUP BY r.id, p.domain_key"
	" ON CONFLICT (report, domain_key) DO NOTHING;"
	"UPDATE report_domains SET first_domain = 1 WHERE domain_key ="
	" (SELECT MIN(d.domain_key) FROM report_domains d WHERE d.report = report_domains.report);";

static const char sql_put_domain[] =
	"INSERT INTO report_domains (report, domain_key, first_domain, start_time, organization,"
	" received, success, failure) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/* Sessions of one domain key of a report being stored. */
struct domain_sum {
	const char *key;        /* borrowed */
	uint64_t success, failure;
};

static uint64_t
clamp_add(uint64_t a, uint64_t b)
{
	const uint64_t max = 9007199254740991u;     /* 2^53-1 */

	return a >= max || b >= max - a ? max : a + b;
}

int
store_views_put_report(struct store *s, int64_t id, const struct report *r,
		       char *const *keys, int64_t received, struct err *err)
{
	struct domain_sum *v = xcalloc(r->n_policies + 1, sizeof(*v));
	struct db_stmt *st = NULL;
	size_t n = 0, i, k;
	int rc = 0;

	for (i = 0; i < r->n_policies; i++) {
		for (k = 0; k < n && strcmp(v[k].key, keys[i]) != 0; k++)
			;
		if (k == n)
			v[n++].key = keys[i];
		v[k].success = clamp_add(v[k].success, r->policies[i].total_successful_session_count);
		v[k].failure = clamp_add(v[k].failure, r->policies[i].total_failure_session_count);
	}
	if (n > 0 && (st = db_prepare(s->db, sql_put_domain, err)) == NULL)
		rc = -1;
	for (k = 0; rc == 0 && k < n; k++) {
		db_bind_int64(st, 1, id);
		db_bind_text_static(st, 2, v[k].key);
		db_bind_int64(st, 3, k == 0);
		db_bind_int64(st, 4, r->start);
		db_bind_text_static(st, 5, r->organization_name != NULL ? r->organization_name : "");
		db_bind_int64(st, 6, received);
		db_bind_int64(st, 7, (int64_t)v[k].success);
		db_bind_int64(st, 8, (int64_t)v[k].failure);
		rc = db_run(st, err);
	}
	free(v);
	return rc;
}


#define FROM " FROM reports r JOIN report_policies p ON p.report = r.id"
#define FIGURES " COUNT(DISTINCT r.id), " STORE_SQL_SUM_COUNT("p.total_success") ", " \
	STORE_SQL_SUM_COUNT("p.total_failure") ", MIN(r.start_time), MAX(r.received)"

/* The same selection over report_domains d. */
#define D_FROM " FROM report_domains d"
#define D_WHERE " WHERE (d.start_time >= $1 OR $1 = 0) AND (d.start_time < $2 OR $2 = 0)" \
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)" \
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@"
/* reports: one row per report and domain; a report once over all domains */
#define D_FIGURES " SUM(CASE WHEN CAST($3 AS TEXT) IS NULL THEN d.first_domain ELSE 1 END), " \
	STORE_SQL_SUM_COUNT("d.success") ", " STORE_SQL_SUM_COUNT("d.failure") ", " \
	"MIN(d.start_time), MAX(d.received)"
#define D_DOMAIN_FIGURES " COUNT(*), " STORE_SQL_SUM_COUNT("d.success") ", " \
	STORE_SQL_SUM_COUNT("d.failure") ", MIN(d.start_time), MAX(d.received)"
#define D_DAY "CAST(d.start_time / 86400 AS TEXT)"

/* One statement per enum store_view_by; keys first, then the figures. */
static const struct {
	int keys;
	const char *sql;
} group_sql[] = {
	[STORE_VIEW_TOTAL] = { 0, "SELECT" D_FIGURES D_FROM D_WHERE },
	[STORE_VIEW_DAY] = { 1, "SELECT " D_DAY "," D_FIGURES D_FROM D_WHERE
		" GROUP BY d.start_time / 86400 ORDER BY MIN(d.start_time)" },
	[STORE_VIEW_ORG] = { 1, "SELECT d.organization," D_FIGURES D_FROM D_WHERE
		" GROUP BY d.organization" },
	[STORE_VIEW_DOMAIN] = { 1, "SELECT d.domain_key," D_DOMAIN_FIGURES D_FROM D_WHERE
		" GROUP BY d.domain_key" },
	[STORE_VIEW_DOMAIN_ORG] = { 2, "SELECT d.domain_key, d.organization," D_DOMAIN_FIGURES
		D_FROM D_WHERE " GROUP BY d.domain_key, d.organization" },
	[STORE_VIEW_POLICY] = { 3, "SELECT p.domain_key, COALESCE(p.policy_type, ''),"
		" COALESCE(p.policy_strings, '[]')," FIGURES FROM WHERE
		" GROUP BY p.domain_key, COALESCE(p.policy_type, ''),"
		" COALESCE(p.policy_strings, '[]')" },
	[STORE_VIEW_DOMAIN_ORG_DAY] = { 3, "SELECT d.domain_key, d.organization, " D_DAY ","
		D_DOMAIN_FIGURES D_FROM D_WHERE
		" GROUP BY d.domain_key, d.organization, d.start_time / 86400"
		" ORDER BY d.domain_key, d.organization, MIN(d.start_time)" },
	[STORE_VIEW_DOMAIN_REPORTERS] = { 1, "SELECT d.domain_key, COUNT(DISTINCT d.organization),"
		" 0, 0, 0, 0" D_FROM D_WHERE " GROUP BY d.domain_key" },
};

/*
 * The same groupings over the roll-ups (store_rollup.h).  Day tables
 * (rollup_days, rollup_failures, rollup_failure_values) serve periods of
 * whole UTC days: $1 the first day, $2 the day after the last.
 * rollup_days has no domain: it serves only the selections of every
 * domain ($3 NULL) seen without a viewer scope.
 */
#define T_FIGURES " SUM(d.reports), " STORE_SQL_SUM_COUNT("d.success") ", " \
	STORE_SQL_SUM_COUNT("d.failure") ", MIN(d.first_start), MAX(d.last_received)"

/*
 * rollup_domains serves any period: its whole 16- and 256-day blocks from
 * there, the rest (less than a block at each end) from report_domains.
 * $1 since, $2 until (seconds; far past / far future when open); report
 * rows in [$1, $5) and [$6, $2); 16-day blocks [$7, $8) and [$9, $10);
 * 256-day blocks [$11, $12) (see store_views_period_blocks()).
 */
#define B_FILTER " AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)" \
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@"
#define B_RAW(lo, hi) "SELECT d.domain_key, d.organization, 1 AS reports, d.success," \
	" d.failure, d.start_time AS first_start, d.received AS last_received" \
	" FROM report_domains d WHERE d.start_time >= " lo " AND d.start_time < " hi B_FILTER
#define B_ROLLUP(span, lo, hi) "SELECT d.domain_key, d.organization, d.reports, d.success," \
	" d.failure, d.first_start, d.last_received FROM rollup_domains d" \
	" WHERE d.span = " span " AND d.block >= " lo " AND d.block < " hi B_FILTER
#define B_FROM " FROM (" B_RAW("$1", "$5") " UNION ALL " B_RAW("$6", "$2") \
	" UNION ALL " B_ROLLUP("16", "$7", "$8") " UNION ALL " B_ROLLUP("16", "$9", "$10") \
	" UNION ALL " B_ROLLUP("256", "$11", "$12") ") x"
#define B_FIGURES " SUM(x.reports), " STORE_SQL_SUM_COUNT("x.success") ", " \
	STORE_SQL_SUM_COUNT("x.failure") ", MIN(x.first_start), MAX(x.last_received)"

/* All time (since and until open) from the span 0 rows, one per (domain,
 * organization); the organization filter applies there too. */
#define A_FROM " FROM rollup_domains d WHERE d.span = 0 AND d.block = 0" \
	" AND $1 = 0 AND $2 = 0" B_FILTER
#define A_FIGURES " SUM(d.reports), " STORE_SQL_SUM_COUNT("d.success") ", " \
	STORE_SQL_SUM_COUNT("d.failure") ", MIN(d.first_start), MAX(d.last_received)"

/*
 * rollup_days for a period that is not whole days (an API client's
 * `since=30d`, `summary --since 7d`): its whole days from rollup_days,
 * the part of a day at each end from report_domains, in one UNION ALL.
 * $5, $6 the whole days; report rows in [$1, $7) and [$8, $2) (see
 * store_views_period_edges()).  Every domain, no viewer scope.
 */
#define M_RAW(lo, hi) " SELECT CAST(d.start_time / 86400 AS BIGINT) AS day, d.organization," \
	" d.first_domain AS reports, d.success, d.failure, d.start_time AS first_start," \
	" d.received AS last_received FROM report_domains d" \
	" WHERE d.start_time >= " lo " AND d.start_time < " hi \
	" AND CAST($3 AS TEXT) IS NULL AND ($4 = '' OR d.organization = $4)"
#define M_FROM " FROM (SELECT d.day, d.organization, d.reports, d.success, d.failure," \
	" d.first_start, d.last_received FROM rollup_days d" \
	" WHERE d.day >= $5 AND d.day < $6 AND CAST($3 AS TEXT) IS NULL" \
	" AND ($4 = '' OR d.organization = $4)" \
	" UNION ALL" M_RAW("$1", "$7") " UNION ALL" M_RAW("$8", "$2") ") x"
#define M_FIGURES " SUM(x.reports), " STORE_SQL_SUM_COUNT("x.success") ", " \
	STORE_SQL_SUM_COUNT("x.failure") ", MIN(x.first_start), MAX(x.last_received)"

/*
 * rollup_policies (store_rollup_policies.h) serves the policies list of
 * any period: its whole 16-day blocks there (those store_views_period_blocks()
 * binds as 16-day ranges [$7, $8), [$9, $10) and as the 256-day range
 * [$11, $12), which is [$11 * 16, $12 * 16) in 16-day blocks), the rest
 * from report_domains joined to the domain's policies, each end grouped
 * on its own (a report counts once per policy in either; its policies
 * looked up by report, "|| ''" keeps SQLite from using the index by
 * domain for that); all time from the span 0 rows.
 */
#define P_KEYS "x.domain_key, x.policy_type, x.policy_strings"
#define P_RAW(lo, hi) "SELECT d.domain_key, COALESCE(p.policy_type, '') AS policy_type," \
	" COALESCE(p.policy_strings, '[]') AS policy_strings, COUNT(DISTINCT d.report) AS reports," \
	" " STORE_SQL_SUM_COUNT("p.total_success") " AS success," \
	" " STORE_SQL_SUM_COUNT("p.total_failure") " AS failure," \
	" MIN(d.start_time) AS first_start, MAX(d.received) AS last_received" \
	" FROM report_domains d JOIN report_policies p ON p.report = d.report" \
	" AND p.domain_key || '' = d.domain_key" \
	" WHERE d.start_time >= " lo " AND d.start_time < " hi B_FILTER \
	" GROUP BY d.domain_key, COALESCE(p.policy_type, ''), COALESCE(p.policy_strings, '[]')"
#define P_ROLLUP(where) "SELECT d.domain_key, d.policy_type, d.policy_strings, d.reports," \
	" d.success, d.failure, d.first_start, d.last_received FROM rollup_policies d" \
	" WHERE " where B_FILTER
#define P_FROM " FROM (" P_RAW("$1", "$5") " UNION ALL " P_RAW("$6", "$2") \
	" UNION ALL " P_ROLLUP("d.span = 16 AND d.block >= $7 AND d.block < $8") \
	" UNION ALL " P_ROLLUP("d.span = 16 AND d.block >= $9 AND d.block < $10") \
	" UNION ALL " P_ROLLUP("d.span = 16 AND d.block >= CAST($11 AS BIGINT) * 16 AND d.block < CAST($12 AS BIGINT) * 16") \
	") x"
#define P_ALL_FROM " FROM (" P_ROLLUP("d.span = 0 AND d.block = 0 AND $1 = 0 AND $2 = 0") ") x"

/* How a grouping is read from the roll-ups: days, blocks or not at all. */
enum rollup_use { USE_REPORTS, USE_DAYS, USE_BLOCKS };

static const struct {
	enum rollup_use use;
	const char *sql;
	const char *all_time;   /* USE_BLOCKS: the same for all time;
				 * USE_DAYS: a period not of whole days */
} rollup_sql[] = {
	[STORE_VIEW_TOTAL] = { USE_DAYS, "SELECT" T_FIGURES " FROM rollup_days d" T_WHERE,
		"SELECT" M_FIGURES M_FROM },
	[STORE_VIEW_DAY] = { USE_DAYS, "SELECT CAST(d.day AS TEXT)," T_FIGURES
		" FROM rollup_days d" T_WHERE " GROUP BY d.day ORDER BY d.day",
		"SELECT CAST(x.day AS TEXT)," M_FIGURES M_FROM " GROUP BY x.day ORDER BY x.day" },
	[STORE_VIEW_ORG] = { USE_DAYS, "SELECT d.organization," T_FIGURES " FROM rollup_days d"
		T_WHERE " GROUP BY d.organization",
		"SELECT x.organization," M_FIGURES M_FROM " GROUP BY x.organization" },
	[STORE_VIEW_DOMAIN] = { USE_BLOCKS, "SELECT x.domain_key," B_FIGURES B_FROM
		" GROUP BY x.domain_key",
		"SELECT d.domain_key," A_FIGURES A_FROM " GROUP BY d.domain_key" },
	[STORE_VIEW_DOMAIN_ORG] = { USE_BLOCKS, "SELECT x.domain_key, x.organization," B_FIGURES
		B_FROM " GROUP BY x.domain_key, x.organization",
		"SELECT d.domain_key, d.organization, d.reports, d.success, d.failure,"
		" d.first_start, d.last_received" A_FROM },
	[STORE_VIEW_POLICY] = { USE_BLOCKS, "SELECT " P_KEYS "," B_FIGURES P_FROM
		" GROUP BY " P_KEYS, "SELECT " P_KEYS "," B_FIGURES P_ALL_FROM " GROUP BY " P_KEYS },
	[STORE_VIEW_DOMAIN_ORG_DAY] = { USE_REPORTS, NULL },
	[STORE_VIEW_DOMAIN_REPORTERS] = { USE_BLOCKS, "SELECT x.domain_key,"
		" COUNT(DISTINCT x.organization), 0, 0, 0, 0" B_FROM " GROUP BY x.domain_key",
		/* a span 0 row per organization */
		"SELECT d.domain_key, COUNT(*), 0, 0, 0, 0" A_FROM " GROUP BY d.domain_key" },
};


int
store_view_groups(struct store *s, const struct report_query *q, enum store_view_by by,
		  store_view_row_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st;
	int64_t d0, d1;
	int rc, k;

	if ((size_t)by >= sizeof(group_sql) / sizeof(group_sql[0])) {
		err_set(err, "store_view_groups: no such grouping %d", (int)by);
		return -1;
	}
	if (rollup_sql[by].use == USE_DAYS && (q == NULL || q->domain == NULL) &&
	    store_views_scoped_all(s) && store_views_period_days(q, &d0, &d1)) {
		st = store_views_start(s, rollup_sql[by].sql, q, err);
		if (st != NULL) {
			db_bind_int64(st, 1, d0);
			db_bind_int64(st, 2, d1);
		}
	} else if (rollup_sql[by].use == USE_DAYS && (q == NULL || q->domain == NULL) &&
		   store_views_scoped_all(s)) {
		st = store_views_start(s, rollup_sql[by].all_time, q, err);
		if (st != NULL)
			store_views_period_edges(st, q);
	} else if (rollup_sql[by].use == USE_BLOCKS && store_views_all_time(q)) {
		st = store_views_start(s, rollup_sql[by].all_time, q, err);
	} else if (rollup_sql[by].use == USE_BLOCKS) {
		st = store_views_start(s, rollup_sql[by].sql, q, err);
		if (st != NULL)
			store_views_period_blocks(st, q);
	} else {
		st = store_views_start(s, group_sql[by].sql, q, err);
	}
	if (st == NULL)
		return -1;
	k = group_sql[by].keys;
	while ((rc = db_step(st, err)) == 1) {
		struct store_view_row row = {
			.k1 = k > 0 ? db_column_text(st, 0) : NULL,
			.k2 = k > 1 ? db_column_text(st, 1) : NULL,
			.k3 = k > 2 ? db_column_text(st, 2) : NULL,
			.reports = store_views_count(st, k),
			.success = store_views_count(st, k + 1),
			.failure = store_views_count(st, k + 2),
			.first_start = db_column_int64(st, k + 3),
			.last_received = db_column_int64(st, k + 4),
		};

		/* no row matched: SQL still gives the one total row, of zeros */
		if (by == STORE_VIEW_TOTAL && row.reports == 0)
			row.first_start = row.last_received = 0;
		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}

/* One row per report: its first domain's row, or its row of q->domain. */
#define REPORTS_WHERE D_WHERE " AND (d.first_domain = 1 OR CAST($3 AS TEXT) IS NOT NULL)" \
	" AND ($5 = '' OR EXISTS (SELECT 1 FROM report_policies p" \
	" JOIN report_failures f ON f.policy = p.id WHERE p.report = d.report" \
	" AND f.result_type = $5 AND (CAST($3 AS TEXT) IS NULL OR p.domain_key = $3)))"
#define REPORT_SUM(col) "(SELECT " STORE_SQL_SUM_COUNT("x." col) " FROM report_domains x" \
	" WHERE x.report = d.report AND (CAST($3 AS TEXT) IS NULL OR x.domain_key = $3))"

static const char sql_reports_page[] =
	"SELECT r.id, r.organization, r.report_id, r.start_time, r.end_time, r.received, "
	REPORT_SUM("success") ", " REPORT_SUM("failure") ","
	" (SELECT COUNT(*) FROM report_domains x WHERE x.report = d.report), r.quirks_json"
	" FROM report_domains d JOIN reports r ON r.id = d.report" REPORTS_WHERE
	" ORDER BY d.start_time DESC, d.report DESC LIMIT $6 OFFSET $7";

static const char sql_reports_count[] =
	"SELECT COUNT(*) FROM report_domains d" REPORTS_WHERE;
/* the same count without a domain, result type or scope, whole days */
static const char sql_reports_count_days[] = "SELECT SUM(d.reports) FROM rollup_days d" T_WHERE;

int
store_view_reports(struct store *s, const struct report_query *q, const char *result_type,
		   uint64_t offset, uint64_t limit, uint64_t *total,
		   store_view_report_cb cb, void *ctx, struct err *err)
{
	int use_days = (result_type == NULL || *result_type == '\0') &&
		(q == NULL || q->domain == NULL) &&
		store_views_scoped_all(s);
	int64_t d0, d1;
	struct db_stmt *st;
	int rc;

	*total = 0;
	use_days = use_days && store_views_period_days(q, &d0, &d1);
	st = store_views_start(s, use_days ? sql_reports_count_days : sql_reports_count, q, err);
	if (st == NULL)
		return -1;
	if (use_days) {
		db_bind_int64(st, 1, d0);
		db_bind_int64(st, 2, d1);
	} else {
		db_bind_text(st, 5, result_type != NULL ? result_type : "");
	}
	rc = db_step(st, err);
	if (rc == 1)
		*total = store_views_count(st, 0);
	db_reset(st);
	if (rc < 0 || (st = store_views_start(s, sql_reports_page, q, err)) == NULL)
		return -1;
	db_bind_text(st, 5, result_type != NULL ? result_type : "");
	db_bind_int64(st, 6, (int64_t)limit);
	db_bind_int64(st, 7, (int64_t)offset);
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
	db_reset(st);
	return rc;
}
