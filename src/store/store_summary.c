/*
 * store_summary: the GROUP BY queries behind store_summary.h.  Each runs
 * over reports → report_policies (→ report_failures) in one statement, so
 * the sums are done by the database, not by walking reports in C.  The
 * session sums cannot overflow (STORE_SQL_SUM_COUNT: they stop at 2^53-1).
 * The selection (STORE_SQL_PERIOD, store_bind_filter()) is the one
 * store_query_reports() uses too, so the dashboard counts the same reports;
 * the viewer scope is a condition of the statement (store_scope_sql()).
 */
#include "store/store_summary.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/count.h"
#include "util/xalloc.h"

#define FROM_POLICIES " FROM reports r JOIN report_policies p ON p.report = r.id"
#define WHERE " WHERE " STORE_SQL_PERIOD " AND " STORE_SQL_DOMAIN

/* No policy_type in the key: a report naming one domain under two policy
 * types (Microsoft sends sts and tlsa) is still one report of that day. */
static const char sql_days[] =
	"SELECT r.start_time / 86400, p.domain_key, r.organization,"
	" " STORE_SQL_SUM_COUNT("p.total_success") ", " STORE_SQL_SUM_COUNT("p.total_failure") ","
	" COUNT(DISTINCT r.id)"
	FROM_POLICIES WHERE
	" GROUP BY r.start_time / 86400, p.domain_key, r.organization"
	" ORDER BY 2, 1, 3";

static const char sql_failures[] =
	"SELECT p.domain_key, f.result_type, f.receiving_mx_hostname, f.receiving_ip,"
	" f.failure_reason_code, " STORE_SQL_SUM_COUNT("f.failed_session_count") ","
	" COUNT(DISTINCT r.id)"
	FROM_POLICIES " JOIN report_failures f ON f.policy = p.id" WHERE
	" GROUP BY p.domain_key, f.result_type, f.receiving_mx_hostname, f.receiving_ip,"
	" f.failure_reason_code"
	" ORDER BY 1, 6 DESC, 2, 3, 4, 5";

static const char sql_reports[] = "SELECT COUNT(DISTINCT r.id)" FROM_POLICIES WHERE;

/* The statement sql with the viewer scope (store.h) added to its WHERE,
 * over p.domain_key, bound to the period and domain. */
static struct db_stmt *
start(struct store *s, const char *sql, int64_t since, int64_t until, const char *domain,
      struct err *err)
{
	char *scope = store_scope_sql(s->scope, "p.domain_key");
	const char *where = strstr(sql, " GROUP BY ");
	size_t head = where != NULL ? (size_t)(where - sql) : strlen(sql);
	char *text = xasprintf("%.*s AND %s%s", (int)head, sql, scope, sql + head);
	struct db_stmt *st = db_prepare(s->db, text, err);

	free(text);
	free(scope);
	if (st != NULL)
		store_bind_filter(st, since, until, domain);
	return st;
}

int
store_summary_reports(struct store *s, int64_t since, int64_t until, const char *domain,
		      uint64_t *reports, struct err *err)
{
	struct db_stmt *st = start(s, sql_reports, since, until, domain, err);
	int rc;

	*reports = 0;
	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	if (rc == 1)
		*reports = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_summary_days(struct store *s, int64_t since, int64_t until, const char *domain,
		   store_summary_row_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st = start(s, sql_days, since, until, domain, err);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st, err)) == 1) {
		struct store_summary_row row = {
			.day = db_column_int64(st, 0),
			.domain = db_column_text(st, 1),
			.organization = db_column_text(st, 2),
			.success = count_from_int64(db_column_int64(st, 3)),
			.failure = count_from_int64(db_column_int64(st, 4)),
			.reports = (uint64_t)db_column_int64(st, 5),
		};

		if ((rc = cb(ctx, &row)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}

int
store_summary_failures(struct store *s, int64_t since, int64_t until, const char *domain,
		       store_summary_failure_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st = start(s, sql_failures, since, until, domain, err);
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st, err)) == 1) {
		struct store_summary_failure f = {
			.domain = db_column_text(st, 0),
			.result_type = db_column_text(st, 1),
			.receiving_mx_hostname = db_column_text(st, 2),
			.receiving_ip = db_column_text(st, 3),
			.failure_reason_code = db_column_text(st, 4),
			.sessions = count_from_int64(db_column_int64(st, 5)),
			.reports = (uint64_t)db_column_int64(st, 6),
		};

		if ((rc = cb(ctx, &f)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}
