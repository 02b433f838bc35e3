/*
 * store_rollup_rebuild: the roll-ups computed again from the report rows
 * (store_rollup_rebuild(): all of them; prune: the rows the deleted
 * reports were counted in).  See store_rollup.c for why deleting is a
 * recomputation and not a subtraction.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_rollup_batch.h"
#include "store/store_rollup_policies.h"
#include "store/store_rollup_private.h"
#include "store/store_rollup_reporters.h"
#include "util/xalloc.h"

#define SUM_COUNT STORE_SQL_SUM_COUNT

/* rollup_days of days [$1, $2) */
static const char sql_days_clear[] = "DELETE FROM rollup_days WHERE day >= $1 AND day < $2";
static const char sql_days_fill[] =
	"INSERT INTO rollup_days (day, organization, reports, success, failure, first_start,"
	" last_received) SELECT " DAY_OF("d.start_time") ", d.organization, SUM(d.first_domain),"
	" " SUM_COUNT("d.success") ", " SUM_COUNT("d.failure") ", MIN(d.start_time),"
	" MAX(d.received) FROM report_domains d"
	" WHERE d.start_time >= CAST($1 AS BIGINT) * 86400 AND d.start_time < CAST($2 AS BIGINT) * 86400"
	" GROUP BY " DAY_OF("d.start_time") ", d.organization";
static const char sql_failures_clear[] =
	"DELETE FROM rollup_failures WHERE day >= $1 AND day < $2";
static const char sql_types_clear[] =
	"DELETE FROM rollup_day_types WHERE day >= $1 AND day < $2";
/* read in the shape of sql_failures_read: day, 4 keys, sessions, 0, 0, 0, NULL */
static const char sql_types_read[] =
	"SELECT d.day, '', d.organization, d.result_type, '', " SUM_COUNT("d.sessions") ","
	" 0, 0, 0, NULL FROM rollup_failures d WHERE d.day >= $1 AND d.day < $2"
	" GROUP BY d.day, d.organization, d.result_type";
static const char sql_values_clear[] =
	"DELETE FROM rollup_failure_values WHERE day >= $1 AND day < $2";
#define FAILURE_ROWS " FROM reports r JOIN report_policies p ON p.report = r.id" \
	" JOIN report_failures f ON f.policy = p.id" \
	" WHERE r.start_time >= CAST($1 AS BIGINT) * 86400" \
	" AND r.start_time < CAST($2 AS BIGINT) * 86400"
#define FAILURE_GROUP DAY_OF("r.start_time") ", p.domain_key, r.organization," \
	" COALESCE(f.result_type, ''), COALESCE(f.receiving_mx_hostname, '')"
static const char sql_failures_read[] =
	"SELECT " FAILURE_GROUP ", " SUM_COUNT("f.failed_session_count") ","
	" COUNT(DISTINCT r.id), MIN(r.start_time), MAX(r.end_time),"
	" MIN(NULLIF(f.additional_information, ''))" FAILURE_ROWS
	" GROUP BY " FAILURE_GROUP;
static const char *const sql_values_read[] = {
	[VALUE_SENDING_IP] = "SELECT DISTINCT " FAILURE_GROUP ", f.sending_mta_ip" FAILURE_ROWS
		" AND COALESCE(f.sending_mta_ip, '') <> ''",
	[VALUE_REASON_CODE] = "SELECT DISTINCT " FAILURE_GROUP ", f.failure_reason_code"
		FAILURE_ROWS " AND COALESCE(f.failure_reason_code, '') <> ''",
};

/* Rows read before they are written (a PostgreSQL connection does one
 * statement at a time). */
struct rows {
	char **text;            /* 5 + 1 text columns per row */
	int64_t *num;           /* 5 numbers per row */
	size_t n, cap;
};

static void
rows_free(struct rows *v)
{
	for (size_t i = 0; i < v->n * 6; i++)
		free(v->text[i]);
	free(v->text);
	free(v->num);
	memset(v, 0, sizeof(*v));
}

/* Reads sql (bound to days [lo, hi)): columns 0 (day) and 1-4 (keys) and
 * then either the failure figures (figures != 0) or one value. */
static int
read_rows(struct store *s, const char *sql, int64_t lo, int64_t hi, int figures,
	  struct rows *v, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	while ((rc = db_step(st, err)) == 1) {
		size_t i;

		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 256;
			v->text = xreallocarray(v->text, v->cap * 6, sizeof(*v->text));
			v->num = xreallocarray(v->num, v->cap * 5, sizeof(*v->num));
		}
		for (i = 0; i < 4; i++)
			v->text[v->n * 6 + i] = xstrdup(store_rollup_nz(db_column_text(st, 1 + (int)i)));
		v->text[v->n * 6 + 4] = NULL;
		v->text[v->n * 6 + 5] = NULL;
		v->num[v->n * 5] = db_column_int64(st, 0);
		if (figures) {
			for (i = 1; i < 5; i++)
				v->num[v->n * 5 + i] = db_column_int64(st, 4 + (int)i);
			if (db_column_text(st, 9) != NULL)
				v->text[v->n * 6 + 4] = xstrdup(db_column_text(st, 9));
		} else {
			v->text[v->n * 6 + 5] = xstrdup(store_rollup_nz(db_column_text(st, 5)));
		}
		v->n++;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static struct failure_add
row_add(const struct rows *v, size_t i)
{
	char *const *t = &v->text[i * 6];
	const int64_t *n = &v->num[i * 5];
	struct failure_add a = {
		.day = n[0], .domain = t[0], .org = t[1], .type = t[2], .mx = t[3],
		.sessions = (uint64_t)n[1], .reports = (uint64_t)n[2],
		.first_start = n[3], .last_end = n[4], .info = t[4],
	};

	a.digest = store_rollup_group_digest(a.domain, a.org, a.type, a.mx);
	return a;
}

static int
exec_days(struct store *s, const char *sql, int64_t lo, int64_t hi, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	return store_rollup_run(st, err);
}

/* Computes rollup_days, rollup_failures and rollup_failure_values of days
 * [lo, hi) again from the report rows. */
static int
rebuild_days(struct store *s, int64_t lo, int64_t hi, struct err *err)
{
	struct rows v = { 0 };
	size_t i;
	int kind;

	if (exec_days(s, sql_days_clear, lo, hi, err) < 0 ||
	    exec_days(s, sql_days_fill, lo, hi, err) < 0 ||
	    exec_days(s, sql_failures_clear, lo, hi, err) < 0 ||
	    exec_days(s, sql_values_clear, lo, hi, err) < 0 ||
	    read_rows(s, sql_failures_read, lo, hi, 1, &v, err) < 0)
		goto fail;
	for (i = 0; i < v.n; i++) {
		struct failure_add a = row_add(&v, i);

		if (store_rollup_add_failure(s, &a, err) < 0)
			goto fail;
	}
	rows_free(&v);
	if (exec_days(s, sql_types_clear, lo, hi, err) < 0 ||
	    read_rows(s, sql_types_read, lo, hi, 1, &v, err) < 0)
		goto fail;
	for (i = 0; i < v.n; i++) {
		struct failure_add a = row_add(&v, i);

		if (store_rollup_add_type(s, &a, err) < 0)
			goto fail;
	}
	for (kind = VALUE_SENDING_IP; kind <= VALUE_REASON_CODE; kind += 2) {
		rows_free(&v);
		if (read_rows(s, sql_values_read[kind], lo, hi, 0, &v, err) < 0)
			goto fail;
		for (i = 0; i < v.n; i++) {
			struct failure_add a = row_add(&v, i);

			if (store_rollup_add_value(s, &a, kind, v.text[i * 6 + 5], err) < 0)
				goto fail;
		}
	}
	rows_free(&v);
	return 0;
fail:
	rows_free(&v);
	return -1;
}

#define SPAN1 "16"
#define SPAN2 "256"
#define DOMAIN_FIGURES "SUM(x.reports), " SUM_COUNT("x.success") ", " SUM_COUNT("x.failure") \
	", MIN(x.first_start), MAX(x.last_received)"
/* the 16-day rows, from report_domains; optionally of one key ($1 block,
 * $2 domain, $3 organization) */
#define SPAN1_FROM_REPORTS(block, where, group) \
	"INSERT INTO rollup_domains (span, block, domain_key, organization, reports, success," \
	" failure, first_start, last_received) SELECT " SPAN1 ", " block ", d.domain_key," \
	" d.organization, COUNT(*)," \
	" " SUM_COUNT("d.success") ", " SUM_COUNT("d.failure") ", MIN(d.start_time)," \
	" MAX(d.received) FROM report_domains d" where " GROUP BY " group
#define SPAN2_FROM_SPAN1(block, where, group) \
	"INSERT INTO rollup_domains (span, block, domain_key, organization, reports, success," \
	" failure, first_start, last_received) SELECT " SPAN2 ", " block ", x.domain_key," \
	" x.organization, " \
	DOMAIN_FIGURES " FROM rollup_domains x WHERE x.span = " SPAN1 where " GROUP BY " group

static const char *const sql_domains_all[] = {
	"DELETE FROM rollup_domains",
	SPAN1_FROM_REPORTS(FLOOR_DIV(DAY_OF("d.start_time"), SPAN1), "",
			   FLOOR_DIV(DAY_OF("d.start_time"), SPAN1)
			   ", d.domain_key, d.organization"),
	SPAN2_FROM_SPAN1(FLOOR_DIV("x.block", "16"), "", FLOOR_DIV("x.block", "16")
			 ", x.domain_key, x.organization"),
	NULL,
};

/* one (16-day block, domain, organization): $1 the block */
#define B1 "CAST($1 AS BIGINT)"
static const char *const sql_domain_key[] = {
	"DELETE FROM rollup_domains WHERE span = " SPAN1 " AND block = " B1 " AND domain_key = $2"
	" AND organization = $3",
	SPAN1_FROM_REPORTS(B1, " WHERE d.domain_key = $2 AND d.organization = $3"
			   " AND d.start_time >= " B1 " * " SPAN1 " * 86400"
			   " AND d.start_time < (" B1 " + 1) * " SPAN1 " * 86400",
			   "d.domain_key, d.organization"),
	"DELETE FROM rollup_domains WHERE span = " SPAN2 " AND block = " FLOOR_DIV(B1, "16")
	" AND domain_key = $2 AND organization = $3",
	SPAN2_FROM_SPAN1(FLOOR_DIV(B1, "16"),
			 " AND x.domain_key = $2 AND x.organization = $3 AND x.block >= "
			 FLOOR_DIV(B1, "16") " * 16 AND x.block < " FLOOR_DIV(B1, "16")
			 " * 16 + 16", "x.domain_key, x.organization"),
	store_rollup_totals_domain_delete_sql,  /* all time, from the 256-day rows */
	store_rollup_totals_domain_fill_sql,
	NULL,
};

/* Runs each statement of sql[] once, with $1..$3 bound when given. */
static int
run_all(struct store *s, const char *const *sql, const int64_t *block, const char *domain,
	const char *org, struct err *err)
{
	for (size_t i = 0; sql[i] != NULL; i++) {
		struct db_stmt *st = db_prepare(s->db, sql[i], err);

		if (st == NULL)
			return -1;
		if (block != NULL) {
			db_bind_int64(st, 1, *block);
			db_bind_text(st, 2, domain);
			db_bind_text(st, 3, org);
		}
		if (store_rollup_run(st, err) < 0)
			return -1;
	}
	return 0;
}

int
store_rollup_rebuild_blocks(struct store *s, struct err *err)
{
	/* every day a start time can fall on */
	const int64_t lo = -((int64_t)1 << 40), hi = (int64_t)1 << 40;

	/* rows pending for reports of this transaction: written first, so
	 * that what follows sees every report as it would after COMMIT */
	if (store_rollup_batch_flush(s, err) < 0)
		return -1;
	if (rebuild_days(s, lo, hi, err) < 0 || run_all(s, sql_domains_all, NULL, NULL, NULL,
							  err) < 0) {
		err_prefix(err, "computing the roll-ups");
		return -1;
	}
	return 0;
}

int
store_rollup_rebuild(struct store *s, struct err *err)
{
	if (store_rollup_rebuild_blocks(s, err) < 0 || store_rollup_reporters_rebuild(s, err) < 0 ||
	    store_rollup_policies_rebuild(s, err) < 0)
		return -1;
	return store_rollup_rebuild_totals(s, err);
}

/* ---- prune ---------------------------------------------------------------- */

#define OLD_REPORTS "(SELECT id FROM reports WHERE end_time < $1 ORDER BY id LIMIT $2)"

/* Collects the distinct text of column 1.. and number of column 0 of sql. */
static int
read_keys(struct store *s, const char *sql, int64_t before, size_t batch, struct rows *v,
	  struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, (int64_t)batch);
	while ((rc = db_step(st, err)) == 1) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 256;
			v->text = xreallocarray(v->text, v->cap * 6, sizeof(*v->text));
			v->num = xreallocarray(v->num, v->cap * 5, sizeof(*v->num));
		}
		memset(&v->text[v->n * 6], 0, 6 * sizeof(*v->text));
		v->num[v->n * 5] = db_column_int64(st, 0);
		if (db_column_text(st, 1) != NULL) {
			v->text[v->n * 6] = xstrdup(db_column_text(st, 1));
			v->text[v->n * 6 + 1] = xstrdup(store_rollup_nz(db_column_text(st, 2)));
		}
		v->n++;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_rollup_prune_batch(struct store *s, int64_t before, size_t batch, int64_t *deleted,
			 struct err *err)
{
	struct rows days = { 0 }, keys = { 0 }, pairs = { 0 };
	struct rollup_group_list *groups = NULL;
	size_t i;

	*deleted = 0;
	if (store_begin(s, err) < 0)
		return -1;
	if (read_keys(s, "SELECT DISTINCT " DAY_OF("start_time") ", NULL, NULL FROM reports"
		      " WHERE id IN " OLD_REPORTS, before, batch, &days, err) < 0 ||
	    read_keys(s, "SELECT DISTINCT " FLOOR_DIV(DAY_OF("start_time"), SPAN1) ","
		      " domain_key, organization FROM report_domains WHERE report IN "
		      OLD_REPORTS, before, batch, &keys, err) < 0 ||
	    read_keys(s, "SELECT " DAY_OF("MAX(start_time)") ", domain_key, organization"
		      " FROM report_domains WHERE report IN " OLD_REPORTS
		      " GROUP BY domain_key, organization", before, batch, &pairs, err) < 0 ||
	    (groups = store_rollup_totals_groups_named(s, OLD_REPORTS, before, batch,
						       err)) == NULL)
		goto fail;
	if (store_prune_old_reports(s, before, batch, deleted, err) < 0)
		goto fail;
	for (i = 0; i < days.n; i++)
		if (rebuild_days(s, days.num[i * 5], days.num[i * 5] + 1, err) < 0)
			goto fail;
	for (i = 0; i < keys.n; i++)
		if (run_all(s, sql_domain_key, &keys.num[i * 5], keys.text[i * 6],
			    keys.text[i * 6 + 1], err) < 0 ||
		    store_rollup_policies_refresh(s, keys.num[i * 5], keys.text[i * 6],
						  keys.text[i * 6 + 1], err) < 0)
			goto fail;
	for (i = 0; i < pairs.n; i++)
		if (store_rollup_reporters_refresh(s, pairs.text[i * 6], pairs.text[i * 6 + 1],
						   pairs.num[i * 5], err) < 0)
			goto fail;
	if (store_rollup_totals_refresh_groups(s, groups, err) < 0)
		goto fail;
	rows_free(&days);
	rows_free(&keys);
	rows_free(&pairs);
	store_rollup_group_list_free(groups);
	return store_commit(s, err);
fail:
	rows_free(&days);
	rows_free(&keys);
	rows_free(&pairs);
	store_rollup_group_list_free(groups);
	store_rollback(s);
	return -1;
}
