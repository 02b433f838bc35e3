/*
 * store_views_failures: the failure groupings of store_views.h (groups,
 * their values, how many, failed sessions per day) over the report rows,
 * the day roll-ups (rollup_failures / rollup_failure_values /
 * rollup_day_types, whole days), the all-time groups
 * (rollup_failure_groups), or whole days and report rows together for a
 * period that is not whole days.
 */
#include "store/store_views.h"

#include "store/store_private.h"
#include "store/store_rollup_private.h"
#include "store/store_views_private.h"

#define FAILURE_KEYS "p.domain_key, COALESCE(f.result_type, ''), " \
	"COALESCE(f.receiving_mx_hostname, '')"
#define LIMIT_ROWS " LIMIT " STORE_VIEW_MAX_FAILURES_TEXT

/* What a failure statement's columns are (after the group keys). */
enum failure_cols {
	COLS_FIGURES,           /* sessions, reports, first, last, additional info */
	COLS_VALUE,             /* one value (in additional_information) */
	COLS_DAY,               /* day, result type, sessions; no group keys */
	COLS_COUNT,             /* how many groups (sessions), no keys */
};

/* A key the database does not read in index order (SQLite would walk an
 * index for the order and look every row up in the table; a scan is
 * cheaper for all days). */
#define NO_ORDER(col) "(" col " || '')"

/* Each failure statement over the report rows and over the roll-ups
 * (rollup_failures / rollup_failure_values d, whole days). */
struct failure_sql {
	enum failure_cols cols;
	const char *reports, *rollup;
	const char *rollup_all;         /* NULL, or for every domain, no scope */
	const char *all_time;           /* NULL, or for all time and every
					 * organization (rollup_failure_groups) */
	const char *mixed;              /* a period not of whole days: its
					 * whole days from the roll-ups, the
					 * rest from report rows (E_ROWS) */
};

/*
 * A period that is not whole days (an API client's since=30d): the day
 * roll-ups for its whole days [$5, $6) and the failure details of the
 * reports whose start is in [$1, $7) or [$8, $2) (store_views_period_edges()),
 * in one UNION ALL.  The edge rows are found from the reports by start
 * (few: less than a day at each end), not from every failure detail.  An
 * empty edge (an open end: [$8, $2) is then [far future, 0)) says so in a
 * test of the bounds alone, which PostgreSQL's per-run plan folds to false
 * and drops; without it PostgreSQL planned that empty range as a parallel
 * scan, 40-60 ms of starting workers in each of the four statements.
 */
#define M_WHERE " WHERE d.day >= $5 AND d.day < $6" \
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)" \
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@"
#define E_FROM(lo, hi) " FROM reports r CROSS JOIN report_policies p" \
	" CROSS JOIN report_failures f WHERE CAST(" lo " AS BIGINT) < " hi \
	" AND r.start_time >= " lo " AND r.start_time < " hi \
	" AND p.report = r.id AND f.policy = p.id AND " STORE_SQL_DOMAIN \
	" AND ($4 = '' OR r.organization = $4) AND @SCOPE_P@"
/* the edges' rows of one grouping (sel: its columns, tail: GROUP BY ...) */
#define E_ROWS(sel, tail) " UNION ALL SELECT " sel E_FROM("$1", "$7") tail \
	" UNION ALL SELECT " sel E_FROM("$8", "$2") tail
#define E_FIGURES FAILURE_KEYS ", " STORE_SQL_SUM_COUNT("f.failed_session_count") "," \
	" COUNT(DISTINCT r.id), MIN(r.start_time), MAX(r.end_time)," \
	" MIN(NULLIF(f.additional_information, ''))"
/* the groups (domain, result type, MX) of the period, keys only */
#define M_KEYS "SELECT d.domain_key AS k, d.result_type AS t, d.mx AS m" \
	" FROM rollup_failures d" M_WHERE E_ROWS(FAILURE_KEYS, " GROUP BY " FAILURE_KEYS)
#define M_VALUES(kind, v) "SELECT DISTINCT x.k, x.t, x.m, x.v FROM (SELECT" \
	" d.domain_key AS k, d.result_type AS t, d.mx AS m, d.value AS v" \
	" FROM rollup_failure_values d" M_WHERE " AND d.kind = " kind \
	E_ROWS(FAILURE_KEYS ", " v, " AND COALESCE(" v ", '') <> ''") ") x ORDER BY 1, 2, 3, 4"

/* All time, every organization: the all-time groups (store_rollup.h), the
 * largest first through their index, at most STORE_VIEW_MAX_FAILURES. */
#define G_WHERE " WHERE $1 = 0 AND $2 = 0 AND $4 = ''" \
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3) AND @SCOPE_D@"
#define G_ORDER " ORDER BY d.sessions DESC, d.domain_key, d.result_type, d.mx" LIMIT_ROWS
/* the values of those groups only, each group's together in value order
 * (by digest: a shorter sort key than the group's text) */
#define G_VALUES_SQL(kind) "SELECT g.domain_key, g.result_type, g.mx, v.value FROM" \
	" (SELECT d.digest, d.domain_key, d.result_type, d.mx FROM rollup_failure_groups d" \
	G_WHERE G_ORDER ") g JOIN rollup_failure_group_values v ON v.digest = g.digest" \
	" AND v.kind = " kind " ORDER BY g.digest, v.value"

#define VALUES_SQL(v) "SELECT DISTINCT " FAILURE_KEYS ", " v FROM_FAILURES WHERE_FAILURES \
	" AND COALESCE(" v ", '') <> '' ORDER BY 1, 2, 3, 4"
#define ROLLUP_VALUES_SQL(kind) "SELECT DISTINCT " NO_ORDER("d.domain_key") \
	", d.result_type, d.mx, d.value" \
	" FROM rollup_failure_values d" R_WHERE " AND d.kind = " kind " ORDER BY 1, 2, 3, 4"

static const struct failure_sql sql_failures = { COLS_FIGURES,
	"SELECT " FAILURE_KEYS ", " STORE_SQL_SUM_COUNT("f.failed_session_count") ","
	" COUNT(DISTINCT r.id), MIN(r.start_time), MAX(r.end_time),"
	" MIN(NULLIF(f.additional_information, ''))"
	FROM_FAILURES WHERE_FAILURES " GROUP BY " FAILURE_KEYS
	" ORDER BY 4 DESC, 1, 2, 3" LIMIT_ROWS,
	"SELECT " NO_ORDER("d.domain_key") ", d.result_type, d.mx, "
	STORE_SQL_SUM_COUNT("d.sessions") ", SUM(d.reports), MIN(d.first_start),"
	" MAX(d.last_end), MIN(d.additional_information)"
	" FROM rollup_failures d" R_WHERE " GROUP BY 1, d.result_type, d.mx"
	" ORDER BY 4 DESC, 1, 2, 3" LIMIT_ROWS, NULL,
	"SELECT d.domain_key, d.result_type, d.mx, d.sessions, d.reports, d.first_start,"
	" d.last_end, d.additional_information FROM rollup_failure_groups d" G_WHERE G_ORDER,
	"SELECT x.k, x.t, x.m, " STORE_SQL_SUM_COUNT("x.s") ", SUM(x.n), MIN(x.f0),"
	" MAX(x.f1), MIN(x.ai) FROM (SELECT d.domain_key AS k, d.result_type AS t,"
	" d.mx AS m, d.sessions AS s, d.reports AS n, d.first_start AS f0, d.last_end AS f1,"
	" d.additional_information AS ai FROM rollup_failures d" M_WHERE
	E_ROWS(E_FIGURES, " GROUP BY " FAILURE_KEYS) ") x GROUP BY x.k, x.t, x.m"
	" ORDER BY 4 DESC, 1, 2, 3" LIMIT_ROWS,
};

/* by enum store_view_value; the kinds are store_rollup.c's */
static const struct failure_sql sql_values[] = {
	[STORE_VIEW_SENDING_IP] = { COLS_VALUE, VALUES_SQL("f.sending_mta_ip"),
		ROLLUP_VALUES_SQL("0"), NULL, G_VALUES_SQL("0"),
		M_VALUES("0", "f.sending_mta_ip") },
	[STORE_VIEW_REPORTER] = { COLS_VALUE, VALUES_SQL("r.organization"),
		"SELECT DISTINCT " NO_ORDER("d.domain_key") ", d.result_type, d.mx, d.organization"
		" FROM rollup_failures d" R_WHERE " AND d.organization <> '' ORDER BY 1, 2, 3, 4",
		NULL, G_VALUES_SQL("1"),
		"SELECT DISTINCT x.k, x.t, x.m, x.v FROM (SELECT d.domain_key AS k,"
		" d.result_type AS t, d.mx AS m, d.organization AS v FROM rollup_failures d"
		M_WHERE " AND d.organization <> ''"
		E_ROWS(FAILURE_KEYS ", r.organization", " AND COALESCE(r.organization, '') <> ''")
		") x ORDER BY 1, 2, 3, 4" },
	[STORE_VIEW_REASON_CODE] = { COLS_VALUE, VALUES_SQL("f.failure_reason_code"),
		ROLLUP_VALUES_SQL("2"), NULL, G_VALUES_SQL("2"),
		M_VALUES("2", "f.failure_reason_code") },
};

/* All time, every organization: every value of every kind of the groups
 * store_view_failures() visits, in one statement and in no order (the
 * caller sorts them in byte order, which PostgreSQL's collation need not
 * be). */
static const char sql_all_time_sets[] =
	"SELECT g.domain_key, g.result_type, g.mx, v.kind, v.value FROM"
	" (SELECT d.digest, d.domain_key, d.result_type, d.mx FROM rollup_failure_groups d"
	G_WHERE G_ORDER ") g JOIN rollup_failure_group_values v ON v.digest = g.digest";

static const struct failure_sql sql_failure_count = { COLS_COUNT,
	"SELECT COUNT(*) FROM (SELECT 1" FROM_FAILURES WHERE_FAILURES " GROUP BY " FAILURE_KEYS
	LIMIT_ROWS ") c",
	"SELECT COUNT(*) FROM (SELECT 1 FROM rollup_failures d" R_WHERE
	" GROUP BY " NO_ORDER("d.domain_key") ", d.result_type, d.mx" LIMIT_ROWS ") c", NULL,
	"SELECT COUNT(*) FROM (SELECT 1 FROM rollup_failure_groups d" G_WHERE LIMIT_ROWS ") c",
	"SELECT COUNT(*) FROM (SELECT 1 FROM (" M_KEYS ") x GROUP BY x.k, x.t, x.m"
	LIMIT_ROWS ") c",
};

static const struct failure_sql sql_failure_days = { COLS_DAY,
	"SELECT r.start_time / 86400, COALESCE(f.result_type, ''), "
	STORE_SQL_SUM_COUNT("f.failed_session_count")
	FROM_FAILURES WHERE_FAILURES
	" GROUP BY r.start_time / 86400, COALESCE(f.result_type, '') ORDER BY 1, 2",
	"SELECT d.day + 0, d.result_type, " STORE_SQL_SUM_COUNT("d.sessions")
	" FROM rollup_failures d" R_WHERE " GROUP BY 1, d.result_type ORDER BY 1, 2",
	/* every domain without a scope: by day and type alone */
	"SELECT d.day, d.result_type, " STORE_SQL_SUM_COUNT("d.sessions")
	" FROM rollup_day_types d" T_WHERE " GROUP BY d.day, d.result_type ORDER BY 1, 2", NULL,
	"SELECT x.day, x.t, " STORE_SQL_SUM_COUNT("x.s") " FROM (SELECT d.day + 0 AS day,"
	" d.result_type AS t, d.sessions AS s FROM rollup_failures d" M_WHERE
	E_ROWS("r.start_time / 86400, COALESCE(f.result_type, ''), "
	       STORE_SQL_SUM_COUNT("f.failed_session_count"),
	       " GROUP BY r.start_time / 86400, COALESCE(f.result_type, '')")
	") x GROUP BY x.day, x.t ORDER BY 1, 2",
};

/* Runs one failure statement for q (from the roll-ups when q is whole
 * days) and visits its rows: the one reader of every failure grouping. */
static int
visit_failures(struct store *s, const struct report_query *q, const struct failure_sql *sql,
	       store_view_failure_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st;
	int64_t d0, d1;
	int rc;

	if (sql->all_time != NULL && store_views_all_time(q) &&
	    (q == NULL || q->organization == NULL)) {
		if ((st = store_views_start(s, sql->all_time, q, err)) == NULL)
			return -1;
	} else if (store_views_period_days(q, &d0, &d1)) {
		int all = sql->rollup_all != NULL && (q == NULL || q->domain == NULL) &&
			store_views_scoped_all(s);

		if ((st = store_views_start(s, all ? sql->rollup_all : sql->rollup, q, err)) == NULL)
			return -1;
		db_bind_int64(st, 1, d0);
		db_bind_int64(st, 2, d1);
	} else if (sql->mixed != NULL) {
		if ((st = store_views_start(s, sql->mixed, q, err)) == NULL)
			return -1;
		store_views_period_edges(st, q);
	} else if ((st = store_views_start(s, sql->reports, q, err)) == NULL) {
		return -1;
	}
	while ((rc = db_step(st, err)) == 1) {
		struct store_view_failure f = { .domain = "", .mx = "" };

		if (sql->cols == COLS_COUNT) {
			f.sessions = store_views_count(st, 0);
		} else if (sql->cols == COLS_DAY) {
			f.first_seen = db_column_int64(st, 0);
			f.result_type = db_column_text(st, 1);
			f.sessions = store_views_count(st, 2);
		} else {
			f.domain = db_column_text(st, 0);
			f.result_type = db_column_text(st, 1);
			f.mx = db_column_text(st, 2);
		}
		if (sql->cols == COLS_VALUE) {
			f.additional_information = db_column_text(st, 3);
		} else if (sql->cols == COLS_FIGURES) {
			f.sessions = store_views_count(st, 3);
			f.reports = store_views_count(st, 4);
			f.first_seen = db_column_int64(st, 5);
			f.last_seen = db_column_int64(st, 6);
			f.additional_information = db_column_text(st, 7);
		}
		if ((rc = cb(ctx, &f)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}

static int
failure_count_cb(void *ctx, const struct store_view_failure *f)
{
	*(uint64_t *)ctx = f->sessions;
	return 0;
}

int
store_view_failures(struct store *s, const struct report_query *q,
		    store_view_failure_cb cb, void *ctx, struct err *err)
{
	return visit_failures(s, q, &sql_failures, cb, ctx, err);
}

int
store_view_failure_count(struct store *s, const struct report_query *q, uint64_t *n,
			 struct err *err)
{
	*n = 0;
	return visit_failures(s, q, &sql_failure_count, failure_count_cb, n, err);
}

int
store_view_failure_values(struct store *s, const struct report_query *q,
			  enum store_view_value which, store_view_failure_cb cb, void *ctx,
			  struct err *err)
{
	if ((size_t)which >= sizeof(sql_values) / sizeof(sql_values[0])) {
		err_set(err, "store_view_failure_values: no such value %d", (int)which);
		return -1;
	}
	return visit_failures(s, q, &sql_values[which], cb, ctx, err);
}

int
store_view_failure_days(struct store *s, const struct report_query *q,
			store_view_failure_cb cb, void *ctx, struct err *err)
{
	return visit_failures(s, q, &sql_failure_days, cb, ctx, err);
}

/* One kind's values handed on as struct store_view_failure_value. */
struct sets_ctx {
	store_view_failure_value_cb cb;
	void *ctx;
	enum store_view_value which;
};

static int
on_set_value(void *vctx, const struct store_view_failure *f)
{
	struct sets_ctx *c = vctx;
	struct store_view_failure_value v = { f->domain, f->result_type, f->mx, c->which,
		f->additional_information };

	return c->cb(c->ctx, &v);
}

/* The kinds of rollup_failure_group_values (store_rollup_private.h) as
 * enum store_view_value. */
static int
which_of_kind(int64_t kind, enum store_view_value *which)
{
	switch (kind) {
	case VALUE_SENDING_IP:
		*which = STORE_VIEW_SENDING_IP;
		return 0;
	case VALUE_REPORTER:
		*which = STORE_VIEW_REPORTER;
		return 0;
	case VALUE_REASON_CODE:
		*which = STORE_VIEW_REASON_CODE;
		return 0;
	default:
		return -1;
	}
}

int
store_view_failure_sets(struct store *s, const struct report_query *q,
			store_view_failure_value_cb cb, void *ctx, struct err *err)
{
	struct sets_ctx c = { cb, ctx, STORE_VIEW_SENDING_IP };
	struct db_stmt *st;
	int rc;

	if (!store_views_all_time(q) || (q != NULL && q->organization != NULL)) {
		static const enum store_view_value kinds[] = { STORE_VIEW_SENDING_IP,
			STORE_VIEW_REPORTER, STORE_VIEW_REASON_CODE };
		size_t i;

		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			c.which = kinds[i];
			if ((rc = visit_failures(s, q, &sql_values[c.which], on_set_value, &c,
						 err)) != 0)
				return rc;
		}
		return 0;
	}
	if ((st = store_views_start(s, sql_all_time_sets, q, err)) == NULL)
		return -1;
	while ((rc = db_step(st, err)) == 1) {
		struct store_view_failure_value v = { db_column_text(st, 0), db_column_text(st, 1),
			db_column_text(st, 2), STORE_VIEW_SENDING_IP, db_column_text(st, 4) };

		if (which_of_kind(db_column_int64(st, 3), &v.which) != 0 || v.value == NULL ||
		    *v.value == '\0')
			continue;
		if ((rc = cb(ctx, &v)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}
