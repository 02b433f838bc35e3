/*
 * store_rollup_policies: rollup_policies (store_rollup_policies.h), its
 * upsert, what a stored report adds to it, its recomputation from the
 * report rows and prune's refresh of one (block, domain, organization).
 *
 * The digest that keys a policy is computed in C (SHA-256, as every
 * digest of the store), so the recomputation reads its groups from the
 * database and writes them row by row; only the span 0 rows are summed by
 * the database, from the 16-day rows, by digest.
 */
#include "store/store_rollup_policies.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_rollup_batch.h"
#include "store/store_rollup_private.h"
#include "util/xalloc.h"

#define SPAN1 "16"

const char store_rollup_policies_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS rollup_policies ("
	" domain_key TEXT NOT NULL, span INTEGER NOT NULL, block BIGINT NOT NULL,"
	" organization TEXT NOT NULL, digest BIGINT NOT NULL,"
	" policy_type TEXT NOT NULL, policy_strings TEXT NOT NULL,"
	" reports BIGINT NOT NULL, success BIGINT NOT NULL, failure BIGINT NOT NULL,"
	" first_start BIGINT NOT NULL, last_received BIGINT NOT NULL,"
	/* a domain's rows first: the policies list reads one domain */
	" PRIMARY KEY (domain_key, span, block, organization, digest))@CLUSTERED@;";

static const char sql_add[] =
	"INSERT INTO rollup_policies AS t (domain_key, span, block, organization, digest,"
	" policy_type, policy_strings, reports, success, failure, first_start, last_received)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
	" ON CONFLICT (domain_key, span, block, organization, digest) DO UPDATE SET"
	ROLLUP_ADD_SUMS;

/* The groups of the report rows starting in 16-day block $1 (a report's
 * policies found by report: "|| ''" keeps SQLite from looking them up by
 * domain, every policy of the domain for each report), of domain $2
 * and organization $3 with `where`: keys, then the figures. */
#define GROUPS(where) \
	"SELECT d.domain_key, d.organization, COALESCE(p.policy_type, '')," \
	" COALESCE(p.policy_strings, '[]'), COUNT(DISTINCT d.report)," \
	" " STORE_SQL_SUM_COUNT("p.total_success") ", " STORE_SQL_SUM_COUNT("p.total_failure") \
	", MIN(d.start_time), MAX(d.received) FROM report_domains d" \
	" JOIN report_policies p ON p.report = d.report" \
	" AND p.domain_key || '' = d.domain_key" \
	" WHERE d.start_time >= CAST($1 AS BIGINT) * " SPAN1 " * 86400" \
	" AND d.start_time < (CAST($1 AS BIGINT) + 1) * " SPAN1 " * 86400" where \
	" GROUP BY d.domain_key, d.organization, COALESCE(p.policy_type, '')," \
	" COALESCE(p.policy_strings, '[]')"
static const char sql_groups_all[] = GROUPS(" AND CAST($2 AS TEXT) IS NULL AND $3 = ''");
static const char sql_groups_pair[] = GROUPS(" AND d.domain_key = $2 AND d.organization = $3");

/* span 0 from the 16-day rows (of one pair with `where`) */
#define SPAN_ALL(where) \
	"INSERT INTO rollup_policies (domain_key, span, block, organization, digest," \
	" policy_type, policy_strings, reports, success, failure, first_start," \
	" last_received) SELECT x.domain_key, 0, 0, x.organization, x.digest," \
	" MIN(x.policy_type), MIN(x.policy_strings), SUM(x.reports)," \
	" " STORE_SQL_SUM_COUNT("x.success") ", " STORE_SQL_SUM_COUNT("x.failure") "," \
	" MIN(x.first_start), MAX(x.last_received) FROM rollup_policies x" \
	" WHERE x.span = " SPAN1 where " GROUP BY x.domain_key, x.organization, x.digest"

static const char sql_blocks[] =
	"SELECT DISTINCT " FLOOR_DIV(DAY_OF("start_time"), SPAN1) " FROM report_domains";
static const char *const sql_rebuild_all[] = {
	SPAN_ALL(""),
	NULL,
};
static const char *const sql_pair_clear[] = {
	"DELETE FROM rollup_policies WHERE domain_key = $2 AND span = " SPAN1
	" AND block = $1 AND organization = $3",
	NULL,
};
static const char *const sql_pair_total[] = {
	"DELETE FROM rollup_policies WHERE domain_key = $2 AND span = 0 AND block = 0"
	" AND organization = $3 AND CAST($1 AS BIGINT) IS NOT NULL",
	SPAN_ALL(" AND x.domain_key = $2 AND x.organization = $3"
		 " AND CAST($1 AS BIGINT) IS NOT NULL"),
	NULL,
};

/* One group read before it is written (a PostgreSQL connection runs one
 * statement at a time). */
struct group {
	char *domain, *org, *type, *strings;
	int64_t num[5];         /* reports, ok, bad, first start, last received */
};

static void
group_free(gpointer p)
{
	struct group *g = p;

	free(g->domain);
	free(g->org);
	free(g->type);
	free(g->strings);
	free(g);
}

static int64_t
floor_div(int64_t x, int64_t n)
{
	return x >= 0 ? x / n : -((n - 1 - x) / n);
}

static int
policy_equal(const struct policy *a, const struct policy *b)
{
	if (strcmp(store_rollup_nz(a->policy_type), store_rollup_nz(b->policy_type)) != 0 ||
	    a->policy_string.n != b->policy_string.n)
		return 0;
	for (size_t i = 0; i < a->policy_string.n; i++)
		if (strcmp(a->policy_string.v[i], b->policy_string.v[i]) != 0)
			return 0;
	return 1;
}

void
store_rollup_policies_put(struct rollup_batch *b, const struct report *r, char *const *keys,
			  char *const *strings, const char *org, int64_t day, int64_t received)
{
	static const int spans[] = { STORE_ROLLUP_SPAN1, STORE_ROLLUP_SPAN_ALL };

	for (size_t i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];
		struct rollup_policy_add a = {
			.day = day, .domain = keys[i], .org = org,
			.type = store_rollup_nz(p->policy_type),
			.strings = strings[i] != NULL ? strings[i] : "[]",
			.reports = 1, .ok = p->total_successful_session_count,
			.bad = p->total_failure_session_count,
			.first_start = r->start, .last_received = received,
		};
		size_t k;

		/* an earlier policy of the same group: the report counted there
		 * (a list absent and a list empty are both "[]") */
		for (k = 0; k < i; k++)
			if (strcmp(keys[k], keys[i]) == 0 && policy_equal(&r->policies[k], p))
				break;
		a.reports = k == i;
		for (k = 0; k < sizeof(spans) / sizeof(spans[0]); k++) {
			a.span = spans[k];
			rollup_batch_policy(b, &a);
		}
	}
}

int
store_rollup_policies_add(struct store *s, const struct rollup_policy_add *a, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add, err);
	char *k;

	if (st == NULL)
		return -1;
	k = xasprintf("%s\x1f%s", a->type, a->strings);
	db_bind_text(st, 1, a->domain);
	db_bind_int64(st, 2, a->span);
	db_bind_int64(st, 3, a->span == STORE_ROLLUP_SPAN1 ? floor_div(a->day, STORE_ROLLUP_SPAN1) : 0);
	db_bind_text(st, 4, a->org);
	db_bind_int64(st, 5, store_handle_digest64(s, k, strlen(k)));
	db_bind_text(st, 6, a->type);
	db_bind_text(st, 7, a->strings);
	db_bind_int64(st, 8, (int64_t)a->reports);
	db_bind_int64(st, 9, (int64_t)a->ok);
	db_bind_int64(st, 10, (int64_t)a->bad);
	db_bind_int64(st, 11, a->first_start);
	db_bind_int64(st, 12, a->last_received);
	free(k);
	return store_rollup_run(st, err);
}

/* Runs each statement of sql[] once with $1 block, $2 domain, $3 org. */
static int
run_all(struct store *s, const char *const *sql, int64_t block, const char *domain,
	const char *org, struct err *err)
{
	for (size_t i = 0; sql[i] != NULL; i++) {
		struct db_stmt *st = db_prepare(s->db, sql[i], err);

		if (st == NULL)
			return -1;
		if (strchr(sql[i], '$') != NULL) {
			db_bind_int64(st, 1, block);
			db_bind_text(st, 2, domain);
			db_bind_text(st, 3, org);
		}
		if (store_rollup_run(st, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads the groups of block (sql: sql_groups_all or _pair) and writes
 * them as 16-day rows. */
static int
fill_block(struct store *s, const char *sql, int64_t block, const char *domain,
	   const char *org, struct err *err)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(group_free);
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int rc = -1;

	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, block);
	db_bind_text(st, 2, domain);
	db_bind_text(st, 3, org != NULL ? org : "");
	while ((rc = db_step(st, err)) == 1) {
		struct group *g = xcalloc(1, sizeof(*g));

		g->domain = xstrdup(store_rollup_nz(db_column_text(st, 0)));
		g->org = xstrdup(store_rollup_nz(db_column_text(st, 1)));
		g->type = xstrdup(store_rollup_nz(db_column_text(st, 2)));
		g->strings = xstrdup(store_rollup_nz(db_column_text(st, 3)));
		for (int i = 0; i < 5; i++)
			g->num[i] = db_column_int64(st, 4 + i);
		g_ptr_array_add(v, g);
	}
	db_reset(st);
	if (rc < 0)
		goto fail;
	for (guint i = 0; i < v->len; i++) {
		const struct group *g = g_ptr_array_index(v, i);
		struct rollup_policy_add a = {
			.span = STORE_ROLLUP_SPAN1, .day = block * STORE_ROLLUP_SPAN1,
			.domain = g->domain, .org = g->org, .type = g->type, .strings = g->strings,
			.reports = (uint64_t)g->num[0], .ok = (uint64_t)g->num[1],
			.bad = (uint64_t)g->num[2], .first_start = g->num[3],
			.last_received = g->num[4],
		};

		if (store_rollup_policies_add(s, &a, err) < 0)
			goto fail;
	}
	rc = 0;
fail:
	g_ptr_array_free(v, TRUE);
	return rc < 0 ? -1 : 0;
}

int
store_rollup_policies_rebuild(struct store *s, struct err *err)
{
	GArray *blocks = g_array_new(FALSE, FALSE, sizeof(int64_t));
	struct db_stmt *st;
	int rc = -1;

	if (store_rollup_batch_flush(s, err) < 0 ||
	    db_exec(s->db, "DELETE FROM rollup_policies", err) < 0 ||
	    (st = db_prepare(s->db, sql_blocks, err)) == NULL)
		goto fail;
	while ((rc = db_step(st, err)) == 1) {
		int64_t b = db_column_int64(st, 0);

		g_array_append_val(blocks, b);
	}
	db_reset(st);
	if (rc < 0)
		goto fail;
	rc = -1;
	for (guint i = 0; i < blocks->len; i++)
		if (fill_block(s, sql_groups_all, g_array_index(blocks, int64_t, i), NULL, NULL,
			       err) < 0)
			goto fail;
	if (run_all(s, sql_rebuild_all, 0, NULL, NULL, err) < 0)
		goto fail;
	rc = 0;
fail:
	g_array_free(blocks, TRUE);
	if (rc < 0)
		err_prefix(err, "computing rollup_policies");
	return rc;
}

int
store_rollup_policies_refresh(struct store *s, int64_t block, const char *domain,
			      const char *org, struct err *err)
{
	if (run_all(s, sql_pair_clear, block, domain, org, err) < 0 ||
	    fill_block(s, sql_groups_pair, block, domain, org, err) < 0 ||
	    run_all(s, sql_pair_total, block, domain, org, err) < 0)
		return -1;
	return 0;
}
