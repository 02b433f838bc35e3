/*
 * store_report_types: the report_types rows of store_report_types.h,
 * written when a report is stored and, once, for the reports stored
 * before the table existed.
 */
#include "store/store_report_types.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/xalloc.h"

const char store_report_types_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS report_types ("
	" report BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" whole INTEGER NOT NULL,"
	" domain_key TEXT NOT NULL,"
	" type_key BIGINT NOT NULL,"
	" start_time BIGINT NOT NULL,"
	" organization TEXT NOT NULL,"
	" PRIMARY KEY (report, whole, domain_key, type_key));"
	/* every domain: one range per type, newest first */
	"CREATE INDEX IF NOT EXISTS report_types_type ON report_types"
	" (type_key, whole, start_time, report, organization, domain_key);"
	/* one domain */
	"CREATE INDEX IF NOT EXISTS report_types_domain ON report_types"
	" (domain_key, type_key, whole, start_time, report, organization);";

static const char sql_put[] =
	"INSERT INTO report_types (report, whole, domain_key, type_key, start_time, organization)"
	" VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

int64_t
store_report_types_key(struct store *s, const char *type)
{
	return store_handle_digest64(s, type, strlen(type));
}

/* One row (type_key the result type's key); the same row twice is one
 * row (ON CONFLICT). */
static int
put_row(struct db_stmt *st, int64_t id, int whole, const char *key, int64_t type_key,
	int64_t start, const char *org, struct err *err)
{
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, whole);
	db_bind_text_static(st, 3, key);
	db_bind_int64(st, 4, type_key);
	db_bind_int64(st, 5, start);
	db_bind_text_static(st, 6, org);
	return db_run(st, err);
}

static int
has_type(const struct failure_detail *f)
{
	return f->result_type != NULL && *f->result_type != '\0';
}

int
store_report_types_put(struct store *s, int64_t id, const struct report *r,
		       char *const *keys, struct err *err)
{
	const char *org = r->organization_name != NULL ? r->organization_name : "";
	struct db_stmt *st = NULL;
	size_t i, j;
	int any = 0;

	for (i = 0; !any && i < r->n_policies; i++)
		for (j = 0; !any && j < r->policies[i].n_failure_details; j++)
			any = has_type(&r->policies[i].failure_details[j]);
	if (!any)
		return 0;       /* most reports: nothing to find them by */
	if ((st = db_prepare(s->db, sql_put, err)) == NULL)
		return -1;
	/* report_domains' first_domain = 1 row is the key of the first policy,
	 * keys[0] */
	for (i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		for (j = 0; j < p->n_failure_details; j++) {
			int64_t type_key;

			if (!has_type(&p->failure_details[j]))
				continue;
			type_key = store_report_types_key(s, p->failure_details[j].result_type);
			if (put_row(st, id, 0, keys[i], type_key, r->start, org, err) < 0 ||
			    put_row(st, id, 1, keys[0], type_key, r->start, org, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* A row of the fill: one failure detail's (report, domain key, type) with
 * the report's start, organization and first domain key. */
struct fill_row {
	int64_t report, start;
	char *key, *type, *org, *first;
};

/* The failure details of reports in (lo, hi] that have no rows yet. */
static const char sql_fill_select[] =
	"SELECT p.report, p.domain_key, f.result_type, r.start_time, r.organization,"
	" d.domain_key FROM report_failures f JOIN report_policies p ON p.id = f.policy"
	" JOIN reports r ON r.id = p.report"
	" JOIN report_domains d ON d.report = p.report AND d.first_domain = 1"
	" WHERE p.report > $1 AND p.report <= $2 AND f.result_type IS NOT NULL"
	" AND f.result_type <> ''"
	" AND NOT EXISTS (SELECT 1 FROM report_types t WHERE t.report = p.report)";

/* Reads the rows of reports (lo, hi] into *v (collected first: the rows
 * are written on the same connection). */
static int
fill_read(struct store *s, int64_t lo, int64_t hi, struct fill_row **v, size_t *n,
	  struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_fill_select, err);
	size_t cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, lo);
	db_bind_int64(st, 2, hi);
	while ((rc = db_step(st, err)) == 1) {
		if (*n == cap) {
			cap = cap != 0 ? 2 * cap : 256;
			*v = xreallocarray(*v, cap, sizeof(**v));
		}
		(*v)[(*n)++] = (struct fill_row){
			.report = db_column_int64(st, 0),
			.key = xstrdup(db_column_text(st, 1) != NULL ? db_column_text(st, 1) : ""),
			.type = xstrdup(db_column_text(st, 2)),
			.start = db_column_int64(st, 3),
			.org = xstrdup(db_column_text(st, 4) != NULL ? db_column_text(st, 4) : ""),
			.first = xstrdup(db_column_text(st, 5) != NULL ? db_column_text(st, 5) : ""),
		};
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Frees the strings of v[0..n).  Returns 0. */
static size_t
fill_free(struct fill_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].type);
		free(v[i].org);
		free(v[i].first);
	}
	return 0;
}

/* Writes v[0..n) and frees their strings. */
static int
fill_write(struct store *s, struct fill_row *v, size_t n, struct err *err)
{
	struct db_stmt *st = n > 0 ? db_prepare(s->db, sql_put, err) : NULL;
	int rc = n > 0 && st == NULL ? -1 : 0;

	for (size_t i = 0; i < n; i++) {
		int64_t type_key = store_report_types_key(s, v[i].type);

		if (rc == 0)
			rc = put_row(st, v[i].report, 0, v[i].key, type_key, v[i].start, v[i].org,
				     err);
		if (rc == 0)
			rc = put_row(st, v[i].report, 1, v[i].first, type_key, v[i].start,
				     v[i].org, err);
	}
	fill_free(v, n);
	return rc;
}

int
store_report_types_fill(struct store *s, struct err *err)
{
	/* in ranges of report ids, so a big store is not held in memory */
	const int64_t step = 20000;
	struct db_stmt *st = db_prepare(s->db, "SELECT COALESCE(MAX(id), 0) FROM reports", err);
	struct fill_row *v = NULL;
	int64_t max = 0, lo;
	int rc;

	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	if (rc == 1)
		max = db_column_int64(st, 0);
	db_reset(st);
	if (rc < 0)
		return -1;
	for (lo = 0; lo < max; lo += step) {
		size_t n = 0;

		rc = fill_read(s, lo, lo + step, &v, &n, err);
		if (rc < 0)
			n = fill_free(v, n);
		if (fill_write(s, v, n, err) < 0 || rc < 0) {
			free(v);
			return -1;
		}
	}
	free(v);
	return 0;
}
