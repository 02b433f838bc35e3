/*
 * store_rollup_totals: the all-time level of the roll-ups (schema step 11),
 * so that a view of every stored report reads one row per group instead
 * of every day or block of it:
 *   rollup_domains, span 0 (block 0): per (domain key, organization) over
 *                    all time; kept like the 16- and 256-day rows.
 *   rollup_failure_groups  per (domain key, result-type, receiving MX),
 *                    keyed by their digest: failed sessions, reports
 *                    naming it, earliest start, latest end, the least
 *                    non-empty additional-information; indexed by failed
 *                    sessions, so the largest groups are read first.
 *   rollup_failure_group_values  the distinct non-empty sending-mta-ip,
 *                    organization-name and failure-reason-code of each.
 * Storing a report adds to them (upserts); prune computes the rows the
 * deleted reports touched again from the day and block roll-ups (which
 * prune has recomputed just before), as store_rollup_rebuild_totals()
 * does for all of them.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_rollup_private.h"
#include "util/xalloc.h"

const char store_rollup_totals_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS rollup_failure_groups ("
	" digest BIGINT NOT NULL PRIMARY KEY, domain_key TEXT NOT NULL,"
	" result_type TEXT NOT NULL, mx TEXT NOT NULL,"
	" sessions BIGINT NOT NULL, reports BIGINT NOT NULL, first_start BIGINT NOT NULL,"
	" last_end BIGINT NOT NULL, additional_information TEXT);"
	"CREATE INDEX IF NOT EXISTS rollup_failure_groups_sessions ON rollup_failure_groups"
	" (sessions);"
	"CREATE INDEX IF NOT EXISTS rollup_failure_groups_domain ON rollup_failure_groups"
	" (domain_key);"
	"CREATE TABLE IF NOT EXISTS rollup_failure_group_values ("
	" digest BIGINT NOT NULL, kind INTEGER NOT NULL, value_digest BIGINT NOT NULL,"
	" value TEXT NOT NULL,"
	" PRIMARY KEY (digest, kind, value_digest))@CLUSTERED@;";

static const char sql_add_group[] =
	"INSERT INTO rollup_failure_groups AS t (digest, domain_key, result_type, mx, sessions,"
	" reports, first_start, last_end, additional_information)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (digest) DO UPDATE SET"
	" sessions = " CLAMP_ADD("t.sessions", "excluded.sessions") ","
	" reports = t.reports + excluded.reports,"
	" first_start = " LEAST("t.first_start", "excluded.first_start") ","
	" last_end = " GREATEST("t.last_end", "excluded.last_end") ","
	" additional_information = CASE WHEN t.additional_information IS NULL"
	" OR excluded.additional_information < t.additional_information"
	" THEN COALESCE(excluded.additional_information, t.additional_information)"
	" ELSE t.additional_information END";

static const char sql_add_group_value[] =
	"INSERT INTO rollup_failure_group_values (digest, kind, value_digest, value)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (digest, kind, value_digest) DO NOTHING";

int64_t
store_rollup_failure_group_digest(const char *domain, const char *type, const char *mx)
{
	char *k = xasprintf("%s\x1f%s\x1f%s", domain, type, mx);
	int64_t d = store_digest64(k, strlen(k));

	free(k);
	return d;
}

/* Adds the figures of a (its day, organization ignored) to its all-time
 * group. */
static int
add_group(struct store *s, const struct failure_add *a, int64_t digest, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_group, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, digest);
	db_bind_text(st, 2, a->domain);
	db_bind_text(st, 3, a->type);
	db_bind_text(st, 4, a->mx);
	db_bind_int64(st, 5, (int64_t)a->sessions);
	db_bind_int64(st, 6, (int64_t)a->reports);
	db_bind_int64(st, 7, a->first_start);
	db_bind_int64(st, 8, a->last_end);
	db_bind_text(st, 9, a->info != NULL && *a->info != '\0' ? a->info : NULL);
	return store_rollup_run(st, err);
}

/* Adds value (nothing when empty) of kind to the group digest. */
static int
add_group_value(struct store *s, int64_t digest, int kind, const char *value, struct err *err)
{
	struct db_stmt *st;

	if (value == NULL || *value == '\0')
		return 0;
	if ((st = db_prepare(s->db, sql_add_group_value, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, digest);
	db_bind_int64(st, 2, kind);
	db_bind_int64(st, 3, store_digest64(value, strlen(value)));
	db_bind_text(st, 4, value);
	return store_rollup_run(st, err);
}

int
store_rollup_totals_add_failure(struct store *s, const struct failure_add *a,
				const char *sending_ip, const char *reason_code, struct err *err)
{
	int64_t g = store_rollup_failure_group_digest(a->domain, a->type, a->mx);

	if (add_group(s, a, g, err) < 0 || add_group_value(s, g, VALUE_SENDING_IP, sending_ip,
							   err) < 0 ||
	    add_group_value(s, g, VALUE_REPORTER, a->org, err) < 0 ||
	    add_group_value(s, g, VALUE_REASON_CODE, reason_code, err) < 0)
		return -1;
	return 0;
}

/* ---- recomputation -------------------------------------------------------- */

/* Text rows read before they are written (a PostgreSQL connection runs
 * one statement at a time). */
struct text_rows {
	size_t ncol, n, cap;
	char **cell;            /* ncol per row; NULL for SQL NULL */
};

static void
text_rows_free(struct text_rows *v)
{
	for (size_t i = 0; i < v->n * v->ncol; i++)
		free(v->cell[i]);
	free(v->cell);
	v->cell = NULL;
	v->n = v->cap = 0;
}

/* Reads every row of sql (with $1..$3 bound to key[0..2] when key is not
 * NULL) into v (v->ncol columns). */
static int
read_text_rows(struct store *s, const char *sql, char *const *key, struct text_rows *v,
	       struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	for (int i = 0; key != NULL && i < 3; i++)
		db_bind_text(st, i + 1, key[i]);
	while ((rc = db_step(st, err)) == 1) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 256;
			v->cell = xreallocarray(v->cell, v->cap * v->ncol, sizeof(*v->cell));
		}
		for (size_t c = 0; c < v->ncol; c++) {
			const char *t = db_column_text(st, (int)c);

			v->cell[v->n * v->ncol + c] = t != NULL ? xstrdup(t) : NULL;
		}
		v->n++;
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

static int64_t
num(const char *t)
{
	return t != NULL ? strtoll(t, NULL, 10) : 0;
}

#define GROUP_FIGURES "d.domain_key, d.result_type, d.mx, " \
	STORE_SQL_SUM_COUNT("d.sessions") ", SUM(d.reports), MIN(d.first_start)," \
	" MAX(d.last_end), MIN(d.additional_information)"
#define ONE_GROUP " WHERE d.domain_key = $1 AND d.result_type = $2 AND d.mx = $3"
#define GROUP_KEYS " GROUP BY d.domain_key, d.result_type, d.mx"
/* groups from the day rows: all, or one ($1 domain, $2 type, $3 MX) */
static const char *const sql_groups_read[] = {
	"SELECT " GROUP_FIGURES " FROM rollup_failures d" GROUP_KEYS,
	"SELECT " GROUP_FIGURES " FROM rollup_failures d" ONE_GROUP GROUP_KEYS,
};
/* their values: domain, type, MX, kind, value */
#define VALUES_READ(where) \
	"SELECT DISTINCT d.domain_key, d.result_type, d.mx, d.kind, d.value" \
	" FROM rollup_failure_values d" where \
	" UNION SELECT DISTINCT d.domain_key, d.result_type, d.mx, 1, d.organization" \
	" FROM rollup_failures d" where
static const char *const sql_values_read[] = {
	VALUES_READ(" WHERE 1 = 1"),
	"SELECT DISTINCT d.domain_key, d.result_type, d.mx, d.kind, d.value"
	" FROM rollup_failure_values d" ONE_GROUP
	" UNION SELECT DISTINCT d.domain_key, d.result_type, d.mx, 1, d.organization"
	" FROM rollup_failures d WHERE d.domain_key = $1 AND d.result_type = $2 AND d.mx = $3",
};

/* Writes the all-time failure groups (and their values) computed from the
 * day rows: all of them (key NULL) or the one of key (domain, type, MX),
 * whose rows are deleted first. */
static int
fill_groups(struct store *s, char *const *key, struct err *err)
{
	struct text_rows v = { .ncol = 8 };
	size_t i;

	if (read_text_rows(s, sql_groups_read[key != NULL], key, &v, err) < 0)
		goto fail;
	for (i = 0; i < v.n; i++) {
		char *const *c = &v.cell[i * v.ncol];
		struct failure_add a = {
			.domain = store_rollup_nz(c[0]), .type = store_rollup_nz(c[1]),
			.mx = store_rollup_nz(c[2]), .sessions = (uint64_t)num(c[3]),
			.reports = (uint64_t)num(c[4]), .first_start = num(c[5]),
			.last_end = num(c[6]), .info = c[7],
		};

		if (add_group(s, &a, store_rollup_failure_group_digest(a.domain, a.type, a.mx),
			      err) < 0)
			goto fail;
	}
	text_rows_free(&v);
	v.ncol = 5;
	if (read_text_rows(s, sql_values_read[key != NULL], key, &v, err) < 0)
		goto fail;
	for (i = 0; i < v.n; i++) {
		char *const *c = &v.cell[i * v.ncol];
		int64_t g = store_rollup_failure_group_digest(store_rollup_nz(c[0]),
							      store_rollup_nz(c[1]),
							      store_rollup_nz(c[2]));

		if (add_group_value(s, g, (int)num(c[3]), c[4], err) < 0)
			goto fail;
	}
	text_rows_free(&v);
	return 0;
fail:
	text_rows_free(&v);
	return -1;
}

static int
exec_bound(struct store *s, const char *sql, int64_t digest, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, digest);
	return store_rollup_run(st, err);
}

int
store_rollup_totals_refresh_group(struct store *s, const char *domain, const char *type,
				  const char *mx, struct err *err)
{
	int64_t g = store_rollup_failure_group_digest(domain, type, mx);
	char *key[3] = { (char *)domain, (char *)type, (char *)mx };

	if (exec_bound(s, "DELETE FROM rollup_failure_groups WHERE digest = $1", g, err) < 0 ||
	    exec_bound(s, "DELETE FROM rollup_failure_group_values WHERE digest = $1", g,
		       err) < 0)
		return -1;
	return fill_groups(s, key, err);
}

/* The all-time groups some reports name. */
struct rollup_group_list {
	struct text_rows rows;  /* domain, type, MX */
};

struct rollup_group_list *
store_rollup_totals_groups_named(struct store *s, const char *reports_sql, int64_t before,
				 size_t batch, struct err *err)
{
	struct rollup_group_list *l = xcalloc(1, sizeof(*l));
	char *sql = xasprintf("SELECT DISTINCT p.domain_key, COALESCE(f.result_type, ''),"
			      " COALESCE(f.receiving_mx_hostname, '') FROM report_failures f"
			      " JOIN report_policies p ON p.id = f.policy WHERE p.report IN %s",
			      reports_sql);
	struct db_stmt *st = db_prepare(s->db, sql, err);
	struct text_rows *v = &l->rows;
	int rc = -1;

	free(sql);
	v->ncol = 3;
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, (int64_t)batch);
	while ((rc = db_step(st, err)) == 1) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 64;
			v->cell = xreallocarray(v->cell, v->cap * v->ncol, sizeof(*v->cell));
		}
		for (size_t c = 0; c < v->ncol; c++)
			v->cell[v->n * v->ncol + c] =
				xstrdup(store_rollup_nz(db_column_text(st, (int)c)));
		v->n++;
	}
	db_reset(st);
out:
	if (rc < 0) {
		store_rollup_group_list_free(l);
		return NULL;
	}
	return l;
}

int
store_rollup_totals_refresh_groups(struct store *s, const struct rollup_group_list *l,
				   struct err *err)
{
	for (size_t i = 0; i < l->rows.n; i++) {
		char *const *c = &l->rows.cell[i * 3];

		if (store_rollup_totals_refresh_group(s, c[0], c[1], c[2], err) < 0)
			return -1;
	}
	return 0;
}

void
store_rollup_group_list_free(struct rollup_group_list *l)
{
	if (l == NULL)
		return;
	text_rows_free(&l->rows);
	free(l);
}

/* span 0 from the 256-day rows: all (domain, organization), or one */
#define SPAN_ALL_FROM_SPAN2(where) \
	"INSERT INTO rollup_domains (span, block, domain_key, organization, reports, success," \
	" failure, first_start, last_received) SELECT 0, 0, x.domain_key, x.organization," \
	" SUM(x.reports), " STORE_SQL_SUM_COUNT("x.success") ", " \
	STORE_SQL_SUM_COUNT("x.failure") ", MIN(x.first_start), MAX(x.last_received)" \
	" FROM rollup_domains x WHERE x.span = 256" where \
	" GROUP BY x.domain_key, x.organization"

const char store_rollup_totals_domain_delete_sql[] =
	"DELETE FROM rollup_domains WHERE span = 0 AND block = 0 AND domain_key = $2"
	" AND organization = $3 AND CAST($1 AS BIGINT) IS NOT NULL";
const char store_rollup_totals_domain_fill_sql[] =
	SPAN_ALL_FROM_SPAN2(" AND x.domain_key = $2 AND x.organization = $3"
			    " AND CAST($1 AS BIGINT) IS NOT NULL");

int
store_rollup_rebuild_totals(struct store *s, struct err *err)
{
	static const char *const sql[] = {
		"DELETE FROM rollup_domains WHERE span = 0",
		SPAN_ALL_FROM_SPAN2(""),
		"DELETE FROM rollup_failure_groups",
		"DELETE FROM rollup_failure_group_values",
	};

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct db_stmt *st = db_prepare(s->db, sql[i], err);

		if (st == NULL || store_rollup_run(st, err) < 0)
			goto fail;
	}
	if (fill_groups(s, NULL, err) < 0)
		goto fail;
	return 0;
fail:
	err_prefix(err, "computing the all-time roll-ups");
	return -1;
}
