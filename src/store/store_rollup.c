/*
 * store_rollup: the roll-up tables of store_rollup.h and how they are kept
 * equal to the report rows.
 *
 * Storing a report adds to them with upserts (sums, counts, MIN/MAX done
 * by the database so text compares as it does in a plain MIN()).
 * Deleting reports (prune) cannot subtract a MIN or a MAX: the rows a
 * deleted report touched are computed again from the remaining report
 * rows instead, which is cheap because each covers at most one day (days,
 * failures) or one 16-day block of one (domain, organization); a 256-day
 * row is then the sum of its sixteen 16-day rows.
 */
#include "store/store_rollup.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/xalloc.h"

/* 2^53-1: where every session sum stops (util/count.h) */
#define MAX_COUNT "9007199254740991"
#define CLAMP_ADD(a, b) "(CASE WHEN " a " + " b " >= " MAX_COUNT " THEN " MAX_COUNT \
	" ELSE " a " + " b " END)"
#define LEAST(a, b) "(CASE WHEN " b " < " a " THEN " b " ELSE " a " END)"
#define GREATEST(a, b) "(CASE WHEN " b " > " a " THEN " b " ELSE " a " END)"
/* floor(x / n) for n > 0 in both dialects (their "/" truncates) */
#define FLOOR_DIV(x, n) "(CASE WHEN " x " >= 0 THEN " x " / " n \
	" ELSE -((" n " - 1 - " x ") / " n ") END)"
#define DAY_OF(t) FLOOR_DIV(t, "86400")

/* what rollup_failure_values.kind says */
enum { VALUE_SENDING_IP = 0, VALUE_REASON_CODE = 2 };

const char store_rollup_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS rollup_days ("
	" day BIGINT NOT NULL, organization TEXT NOT NULL,"
	" reports BIGINT NOT NULL, success BIGINT NOT NULL, failure BIGINT NOT NULL,"
	" first_start BIGINT NOT NULL, last_received BIGINT NOT NULL,"
	" PRIMARY KEY (day, organization));"
	"CREATE TABLE IF NOT EXISTS rollup_domains ("
	" span INTEGER NOT NULL, block BIGINT NOT NULL, domain_key TEXT NOT NULL,"
	" organization TEXT NOT NULL,"
	" reports BIGINT NOT NULL, success BIGINT NOT NULL, failure BIGINT NOT NULL,"
	" first_start BIGINT NOT NULL, last_received BIGINT NOT NULL,"
	" PRIMARY KEY (span, block, domain_key, organization));"
	/* covering: a grouping reads index entries only */
	"CREATE INDEX IF NOT EXISTS rollup_domains_block ON rollup_domains (span, block,"
	" domain_key, organization, reports, success, failure, first_start, last_received);"
	"CREATE INDEX IF NOT EXISTS rollup_domains_domain ON rollup_domains (domain_key, span,"
	" block, organization, reports, success, failure, first_start, last_received);"
	"CREATE TABLE IF NOT EXISTS rollup_failures ("
	" day BIGINT NOT NULL, digest BIGINT NOT NULL, domain_key TEXT NOT NULL,"
	" organization TEXT NOT NULL, result_type TEXT NOT NULL, mx TEXT NOT NULL,"
	" sessions BIGINT NOT NULL, reports BIGINT NOT NULL, first_start BIGINT NOT NULL,"
	" last_end BIGINT NOT NULL, additional_information TEXT,"
	" PRIMARY KEY (day, digest));"
	"CREATE INDEX IF NOT EXISTS rollup_failures_domain ON rollup_failures (domain_key, day);"
	"CREATE TABLE IF NOT EXISTS rollup_failure_values ("
	" day BIGINT NOT NULL, digest BIGINT NOT NULL, kind INTEGER NOT NULL,"
	" value_digest BIGINT NOT NULL, domain_key TEXT NOT NULL, organization TEXT NOT NULL,"
	" result_type TEXT NOT NULL, mx TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (day, digest, kind, value_digest));"
	"CREATE INDEX IF NOT EXISTS rollup_failure_values_domain ON rollup_failure_values"
	" (domain_key, day);"
	"CREATE TABLE IF NOT EXISTS rollup_day_types ("
	" day BIGINT NOT NULL, organization TEXT NOT NULL, type_digest BIGINT NOT NULL,"
	" result_type TEXT NOT NULL, sessions BIGINT NOT NULL,"
	" PRIMARY KEY (day, organization, type_digest));";

static const char sql_add_type[] =
	"INSERT INTO rollup_day_types AS t (day, organization, type_digest, result_type, sessions)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day, organization, type_digest) DO UPDATE SET"
	" sessions = " CLAMP_ADD("t.sessions", "excluded.sessions");

static const char sql_add_day[] =
	"INSERT INTO rollup_days AS t (day, organization, reports, success, failure,"
	" first_start, last_received) VALUES ($1, $2, 1, $3, $4, $5, $6)"
	" ON CONFLICT (day, organization) DO UPDATE SET reports = t.reports + 1,"
	" success = " CLAMP_ADD("t.success", "excluded.success") ","
	" failure = " CLAMP_ADD("t.failure", "excluded.failure") ","
	" first_start = " LEAST("t.first_start", "excluded.first_start") ","
	" last_received = " GREATEST("t.last_received", "excluded.last_received");

static const char sql_add_domain[] =
	"INSERT INTO rollup_domains AS t (span, block, domain_key, organization, reports,"
	" success, failure, first_start, last_received) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8)"
	" ON CONFLICT (span, block, domain_key, organization) DO UPDATE SET"
	" reports = t.reports + 1,"
	" success = " CLAMP_ADD("t.success", "excluded.success") ","
	" failure = " CLAMP_ADD("t.failure", "excluded.failure") ","
	" first_start = " LEAST("t.first_start", "excluded.first_start") ","
	" last_received = " GREATEST("t.last_received", "excluded.last_received");

static const char sql_add_failure[] =
	"INSERT INTO rollup_failures AS t (day, digest, domain_key, organization, result_type,"
	" mx, sessions, reports, first_start, last_end, additional_information)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
	" ON CONFLICT (day, digest) DO UPDATE SET"
	" sessions = " CLAMP_ADD("t.sessions", "excluded.sessions") ","
	" reports = t.reports + excluded.reports,"
	" first_start = " LEAST("t.first_start", "excluded.first_start") ","
	" last_end = " GREATEST("t.last_end", "excluded.last_end") ","
	" additional_information = CASE WHEN t.additional_information IS NULL"
	" OR excluded.additional_information < t.additional_information"
	" THEN COALESCE(excluded.additional_information, t.additional_information)"
	" ELSE t.additional_information END";

static const char sql_add_value[] =
	"INSERT INTO rollup_failure_values (day, digest, kind, value_digest, domain_key,"
	" organization, result_type, mx, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (day, digest, kind, value_digest) DO NOTHING";

int64_t
store_rollup_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((86399 - t) / 86400);
}

static int64_t
floor_div(int64_t x, int64_t n)
{
	return x >= 0 ? x / n : -((n - 1 - x) / n);
}

static uint64_t
clamp_add(uint64_t a, uint64_t b)
{
	const uint64_t max = 9007199254740991u;

	return a >= max || b >= max - a ? max : a + b;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* The digest that keys a failure group of one day. */
static int64_t
group_digest(const char *domain, const char *org, const char *type, const char *mx)
{
	char *k = xasprintf("%s\x1f%s\x1f%s\x1f%s", domain, org, type, mx);
	int64_t d = store_digest64(k, strlen(k));

	free(k);
	return d;
}

static int
run(struct db_stmt *st, struct err *err)
{
	int rc = db_step(st, err);

	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int
add_domain(struct store *s, int span, int64_t day, const char *key, const char *org,
	   uint64_t ok, uint64_t bad, int64_t start, int64_t received, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_domain, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, span);
	db_bind_int64(st, 2, floor_div(day, span));
	db_bind_text(st, 3, key);
	db_bind_text(st, 4, org);
	db_bind_int64(st, 5, (int64_t)ok);
	db_bind_int64(st, 6, (int64_t)bad);
	db_bind_int64(st, 7, start);
	db_bind_int64(st, 8, received);
	return run(st, err);
}

/* One failure group row (or part of one) and its values. */
struct failure_add {
	int64_t day, digest;
	const char *domain, *org, *type, *mx;
	uint64_t sessions, reports;
	int64_t first_start, last_end;
	const char *info;       /* NULL: none */
};

static int
add_failure(struct store *s, const struct failure_add *a, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_failure, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_int64(st, 2, a->digest);
	db_bind_text(st, 3, a->domain);
	db_bind_text(st, 4, a->org);
	db_bind_text(st, 5, a->type);
	db_bind_text(st, 6, a->mx);
	db_bind_int64(st, 7, (int64_t)a->sessions);
	db_bind_int64(st, 8, (int64_t)a->reports);
	db_bind_int64(st, 9, a->first_start);
	db_bind_int64(st, 10, a->last_end);
	db_bind_text(st, 11, a->info != NULL && *a->info != '\0' ? a->info : NULL);
	return run(st, err);
}

/* Adds a->sessions to (a->day, a->org, a->type) of rollup_day_types. */
static int
add_type(struct store *s, const struct failure_add *a, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_type, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_text(st, 2, a->org);
	db_bind_int64(st, 3, store_digest64(a->type, strlen(a->type)));
	db_bind_text(st, 4, a->type);
	db_bind_int64(st, 5, (int64_t)a->sessions);
	return run(st, err);
}

static int
add_value(struct store *s, const struct failure_add *a, int kind, const char *value,
	  struct err *err)
{
	struct db_stmt *st;

	if (value == NULL || *value == '\0')
		return 0;
	if ((st = db_prepare(s->db, sql_add_value, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_int64(st, 2, a->digest);
	db_bind_int64(st, 3, kind);
	db_bind_int64(st, 4, store_digest64(value, strlen(value)));
	db_bind_text(st, 5, a->domain);
	db_bind_text(st, 6, a->org);
	db_bind_text(st, 7, a->type);
	db_bind_text(st, 8, a->mx);
	db_bind_text(st, 9, value);
	return run(st, err);
}

/* Whether failure detail (pi, fi) of r is the first of its group (domain
 * key, result type, MX) in r: the report counts once per group. */
static int
first_of_group(const struct report *r, char *const *keys, size_t pi, size_t fi)
{
	const struct failure_detail *f = &r->policies[pi].failure_details[fi];

	for (size_t i = 0; i <= pi; i++) {
		const struct policy *p = &r->policies[i];

		if (strcmp(keys[i], keys[pi]) != 0)
			continue;
		for (size_t k = 0; k < (i == pi ? fi : p->n_failure_details); k++)
			if (strcmp(nz(p->failure_details[k].result_type), nz(f->result_type)) == 0 &&
			    strcmp(nz(p->failure_details[k].receiving_mx_hostname),
				   nz(f->receiving_mx_hostname)) == 0)
				return 0;
	}
	return 1;
}

static int
put_failures(struct store *s, const struct report *r, char *const *keys, int64_t day,
	     const char *org, struct err *err)
{
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		for (size_t k = 0; k < p->n_failure_details; k++) {
			const struct failure_detail *f = &p->failure_details[k];
			struct failure_add a = {
				.day = day, .domain = keys[i], .org = org,
				.type = nz(f->result_type), .mx = nz(f->receiving_mx_hostname),
				.sessions = clamp_add(f->failed_session_count, 0),
				.reports = (uint64_t)first_of_group(r, keys, i, k),
				.first_start = r->start, .last_end = r->end,
				.info = f->additional_information,
			};

			a.digest = group_digest(a.domain, a.org, a.type, a.mx);
			if (add_failure(s, &a, err) < 0 || add_type(s, &a, err) < 0 ||
			    add_value(s, &a, VALUE_SENDING_IP, f->sending_mta_ip, err) < 0 ||
			    add_value(s, &a, VALUE_REASON_CODE, f->failure_reason_code, err) < 0)
				return -1;
		}
	}
	return 0;
}

int
store_rollup_put_report(struct store *s, const struct report *r, int64_t received,
			struct err *err)
{
	const char *org = nz(r->organization_name);
	int64_t day = store_rollup_day(r->start);
	char **keys;
	uint64_t ok = 0, bad = 0;
	struct db_stmt *st;
	size_t i, k;
	int rc = -1;

	if (r->n_policies == 0)
		return 0;       /* in no view (report_domains has no row for it) */
	keys = xcalloc(r->n_policies, sizeof(*keys));
	for (i = 0; i < r->n_policies; i++) {
		keys[i] = report_domain_key(r->policies[i].policy_domain);
		ok = clamp_add(ok, r->policies[i].total_successful_session_count);
		bad = clamp_add(bad, r->policies[i].total_failure_session_count);
	}
	if ((st = db_prepare(s->db, sql_add_day, err)) == NULL)
		goto out;
	db_bind_int64(st, 1, day);
	db_bind_text(st, 2, org);
	db_bind_int64(st, 3, (int64_t)ok);
	db_bind_int64(st, 4, (int64_t)bad);
	db_bind_int64(st, 5, r->start);
	db_bind_int64(st, 6, received);
	if (run(st, err) < 0)
		goto out;
	/* per domain key: its policies' sums, added once per key */
	for (i = 0; i < r->n_policies; i++) {
		uint64_t dok = 0, dbad = 0;

		for (k = 0; k < i && strcmp(keys[k], keys[i]) != 0; k++)
			;
		if (k < i)
			continue;       /* added with its first policy */
		for (k = i; k < r->n_policies; k++)
			if (strcmp(keys[k], keys[i]) == 0) {
				dok = clamp_add(dok, r->policies[k].total_successful_session_count);
				dbad = clamp_add(dbad, r->policies[k].total_failure_session_count);
			}
		if (add_domain(s, STORE_ROLLUP_SPAN1, day, keys[i], org, dok, dbad, r->start,
			       received, err) < 0 ||
		    add_domain(s, STORE_ROLLUP_SPAN2, day, keys[i], org, dok, dbad, r->start,
			       received, err) < 0)
			goto out;
	}
	rc = put_failures(s, r, keys, day, org, err);
out:
	for (i = 0; i < r->n_policies; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

/* ---- computing them again from the report rows -------------------------- */

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
			v->text[v->n * 6 + i] = xstrdup(nz(db_column_text(st, 1 + (int)i)));
		v->text[v->n * 6 + 4] = NULL;
		v->text[v->n * 6 + 5] = NULL;
		v->num[v->n * 5] = db_column_int64(st, 0);
		if (figures) {
			for (i = 1; i < 5; i++)
				v->num[v->n * 5 + i] = db_column_int64(st, 4 + (int)i);
			if (db_column_text(st, 9) != NULL)
				v->text[v->n * 6 + 4] = xstrdup(db_column_text(st, 9));
		} else {
			v->text[v->n * 6 + 5] = xstrdup(nz(db_column_text(st, 5)));
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

	a.digest = group_digest(a.domain, a.org, a.type, a.mx);
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
	return run(st, err);
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

		if (add_failure(s, &a, err) < 0)
			goto fail;
	}
	rows_free(&v);
	if (exec_days(s, sql_types_clear, lo, hi, err) < 0 ||
	    read_rows(s, sql_types_read, lo, hi, 1, &v, err) < 0)
		goto fail;
	for (i = 0; i < v.n; i++) {
		struct failure_add a = row_add(&v, i);

		if (add_type(s, &a, err) < 0)
			goto fail;
	}
	for (kind = VALUE_SENDING_IP; kind <= VALUE_REASON_CODE; kind += 2) {
		rows_free(&v);
		if (read_rows(s, sql_values_read[kind], lo, hi, 0, &v, err) < 0)
			goto fail;
		for (i = 0; i < v.n; i++) {
			struct failure_add a = row_add(&v, i);

			if (add_value(s, &a, kind, v.text[i * 6 + 5], err) < 0)
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
	" failure, first_start, last_received) SELECT " SPAN1 ", " block ", d.domain_key, d.organization, COUNT(*)," \
	" " SUM_COUNT("d.success") ", " SUM_COUNT("d.failure") ", MIN(d.start_time)," \
	" MAX(d.received) FROM report_domains d" where " GROUP BY " group
#define SPAN2_FROM_SPAN1(block, where, group) \
	"INSERT INTO rollup_domains (span, block, domain_key, organization, reports, success," \
	" failure, first_start, last_received) SELECT " SPAN2 ", " block ", x.domain_key, x.organization, " \
	DOMAIN_FIGURES " FROM rollup_domains x WHERE x.span = " SPAN1 where " GROUP BY " group

static const char *const sql_domains_all[] = {
	"DELETE FROM rollup_domains",
	SPAN1_FROM_REPORTS(FLOOR_DIV(DAY_OF("d.start_time"), SPAN1), "", FLOOR_DIV(DAY_OF("d.start_time"), SPAN1)
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
	SPAN2_FROM_SPAN1(FLOOR_DIV(B1, "16"), " AND x.domain_key = $2 AND x.organization = $3 AND x.block >= "
			 FLOOR_DIV(B1, "16") " * 16 AND x.block < " FLOOR_DIV(B1, "16")
			 " * 16 + 16", "x.domain_key, x.organization"),
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
		if (run(st, err) < 0)
			return -1;
	}
	return 0;
}

int
store_rollup_rebuild(struct store *s, struct err *err)
{
	/* every day a start time can fall on */
	const int64_t lo = -((int64_t)1 << 40), hi = (int64_t)1 << 40;

	if (rebuild_days(s, lo, hi, err) < 0 || run_all(s, sql_domains_all, NULL, NULL, NULL,
							  err) < 0) {
		err_prefix(err, "computing the roll-ups");
		return -1;
	}
	return 0;
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
			v->text[v->n * 6 + 1] = xstrdup(nz(db_column_text(st, 2)));
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
	struct rows days = { 0 }, keys = { 0 };
	struct db_stmt *st;
	size_t i;
	int rc;

	*deleted = 0;
	if (store_begin(s, err) < 0)
		return -1;
	if (read_keys(s, "SELECT DISTINCT " DAY_OF("start_time") ", NULL, NULL FROM reports"
		      " WHERE id IN " OLD_REPORTS, before, batch, &days, err) < 0 ||
	    read_keys(s, "SELECT DISTINCT " FLOOR_DIV(DAY_OF("start_time"), SPAN1) ","
		      " domain_key, organization FROM report_domains WHERE report IN "
		      OLD_REPORTS, before, batch, &keys, err) < 0)
		goto fail;
	st = db_prepare(s->db, "DELETE FROM reports WHERE id IN " OLD_REPORTS " RETURNING id", err);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, (int64_t)batch);
	while ((rc = db_step(st, err)) == 1)
		(*deleted)++;
	db_reset(st);
	if (rc < 0)
		goto fail;
	for (i = 0; i < days.n; i++)
		if (rebuild_days(s, days.num[i * 5], days.num[i * 5] + 1, err) < 0)
			goto fail;
	for (i = 0; i < keys.n; i++)
		if (run_all(s, sql_domain_key, &keys.num[i * 5], keys.text[i * 6],
			    keys.text[i * 6 + 1], err) < 0)
			goto fail;
	rows_free(&days);
	rows_free(&keys);
	return store_commit(s, err);
fail:
	rows_free(&days);
	rows_free(&keys);
	store_rollback(s);
	return -1;
}
