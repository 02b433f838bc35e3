/*
 * store_views_private: what store_views.c shares with store_views_sql.c.
 * Never include from outside src/store/.
 */
#ifndef TLSRPT_STORE_STORE_VIEWS_PRIVATE_H
#define TLSRPT_STORE_STORE_VIEWS_PRIVATE_H

#include <stdint.h>

#include "store/db.h"
#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* The selection every view shares (store_summary.h: since $1, until $2,
 * domain $3, organization $4) over reports r and report_policies p, and
 * over the day roll-ups d (whole UTC days: $1 the first day, $2 the day
 * after the last; T_WHERE for rollup_days and rollup_day_types, which have
 * no domain, R_WHERE for the tables that have one). */
#define WHERE " WHERE " STORE_SQL_PERIOD " AND " STORE_SQL_DOMAIN \
	" AND ($4 = '' OR r.organization = $4) AND @SCOPE_P@"
/* Failure rows are few (a failure detail names failed sessions, about one
 * in a thousand): SQLite is made to start from them (CROSS JOIN fixes the
 * order there; PostgreSQL plans it as an inner join) instead of from every
 * report of the period. */
#define FROM_FAILURES " FROM report_failures f CROSS JOIN report_policies p" \
	" CROSS JOIN reports r"
#define WHERE_FAILURES WHERE " AND p.id = f.policy AND r.id = p.report"
#define T_WHERE " WHERE d.day >= $1 AND d.day < $2 AND CAST($3 AS TEXT) IS NULL" \
	" AND ($4 = '' OR d.organization = $4)"
#define R_WHERE " WHERE d.day >= $1 AND d.day < $2" \
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)" \
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@"

/* Prepares sql for q: "@SCOPE_D@" / "@SCOPE_P@" become the viewer scope
 * over d.domain_key / p.domain_key, a domain filter is written so that an
 * index serves it, "d.day >= $1 AND d.day < $2" is dropped for all time;
 * binds $1 since, $2 until, $3 the domain (store_bind_filter()), $4 the
 * organization ("" for all).  Returns the statement or NULL (err set). */
struct db_stmt *store_views_start(struct store *s, const char *sql,
				  const struct report_query *q, struct err *err);

/* Whether q selects whole UTC days (or is open): then sets [*d0, *d1),
 * day numbers, far past / far future for an open end. */
int store_views_period_days(const struct report_query *q, int64_t *d0, int64_t *d1);

/* Binds $1, $2 and $5..$12 of a statement reading report rows and
 * 16/256-day blocks (store_views.c, B_FROM) for q's period. */
void store_views_period_blocks(struct db_stmt *st, const struct report_query *q);

/* Binds $5..$8 of a statement reading whole days from a day table and
 * the rest of q's period from report rows (store_views.c, M_FROM): whole
 * days [$5, $6) (day numbers), report rows whose start is in [$1, $7) and
 * [$8, $2) (seconds; $1 and $2 as store_views_start() bound them).  Any
 * period: the whole days inside it, the part of a day at each end (a
 * period within one day is all report rows). */
void store_views_period_edges(struct db_stmt *st, const struct report_query *q);

/* Whether q's period is open at both ends (all time). */
int store_views_all_time(const struct report_query *q);

/* Whether s has no viewer scope (or one that allows every domain). */
int store_views_scoped_all(const struct store *s);

/* Column col as a count: clamped to 0..COUNT_MAX (util/count.h), as a sum
 * would be. */
uint64_t store_views_count(struct db_stmt *st, int col);

#endif
