/*
 * store_summary: the GROUP BY queries behind store_summary.h.  Both run
 * over reports → report_policies (→ report_failures) in one statement, so
 * the sums are done by the database, not by walking reports in C.
 */
#include "store/store_summary.h"

#include <stdlib.h>

#include "store/store_private.h"

static const char sql_days[] =
	"SELECT r.start_time / 86400, p.domain_key, r.organization, p.policy_type,"
	" SUM(p.total_success), SUM(p.total_failure), COUNT(DISTINCT r.id)"
	" FROM reports r JOIN report_policies p ON p.report = r.id"
	" WHERE (r.start_time >= $1 OR $1 = 0) AND (r.start_time < $2 OR $2 = 0)"
	" AND (p.domain_key = $3 OR $3 = '')"
	" GROUP BY r.start_time / 86400, p.domain_key, r.organization, p.policy_type"
	" ORDER BY 2, 1, 3, 4";

static const char sql_failures[] =
	"SELECT p.domain_key, f.result_type, f.receiving_mx_hostname, f.receiving_ip,"
	" f.failure_reason_code, SUM(f.failed_session_count), COUNT(DISTINCT r.id)"
	" FROM reports r JOIN report_policies p ON p.report = r.id"
	" JOIN report_failures f ON f.policy = p.id"
	" WHERE (r.start_time >= $1 OR $1 = 0) AND (r.start_time < $2 OR $2 = 0)"
	" AND (p.domain_key = $3 OR $3 = '')"
	" GROUP BY p.domain_key, f.result_type, f.receiving_mx_hostname, f.receiving_ip,"
	" f.failure_reason_code"
	" ORDER BY 1, 6 DESC, 2, 3, 4, 5";

static struct db_stmt *
start(struct store *s, const char *sql, int64_t since, int64_t until, const char *domain,
      struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	char *key;

	if (st == NULL)
		return NULL;
	key = store_lower(domain);
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, key);
	free(key);
	return st;
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
			.policy_type = db_column_text(st, 3),
			.success = (uint64_t)db_column_int64(st, 4),
			.failure = (uint64_t)db_column_int64(st, 5),
			.reports = (uint64_t)db_column_int64(st, 6),
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
			.sessions = (uint64_t)db_column_int64(st, 5),
			.reports = (uint64_t)db_column_int64(st, 6),
		};

		if ((rc = cb(ctx, &f)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}
