/*
 * store_reports_group: a group of reports stored with one statement per
 * table (store_put_reports_in_batch(), store_reports.h).
 *
 * On PostgreSQL each statement costs the server a fixed amount of work
 * (bind, executor start and end, a result message) and the writer a wait,
 * and a stored report took about six statements and two waits.  Here a
 * group takes two round trips (and a statement per table) whatever its
 * size:
 *
 *  1. every reports row in one INSERT … SELECT FROM unnest(…) ON CONFLICT
 *     DO NOTHING RETURNING id, organization, dedup_key: the rows not
 *     returned are duplicates (of a stored report, or of one earlier in
 *     the group: the first one wins, as one by one); the same statement
 *     draws the ids of the group's policies from their sequence;
 *  2. the other rows (policies under their drawn ids, failures, domains,
 *     types), kept by db_batch_begin() and sent as one INSERT per table,
 *     then the sync.
 *
 * The duplicates are handled one by one (store_report_put_duplicate():
 * a conflict is recorded when their contents differ), and the roll-ups
 * are summed in memory as for any report.  SQLite stores one by one: its
 * statements cost no round trip.
 */
#include "store/store_reports.h"

#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/db_array.h"
#include "store/store_private.h"
#include "store/store_reports_private.h"
#include "util/xalloc.h"

/* The reports rows ($1 … $15: STORE_REPORT_HEAD_COLUMNS), each with a
 * new id, and $16 policy ids drawn: rows (0, id, organization,
 * dedup_key) for each reports row inserted, then (1, id) for each policy
 * id.  A row that duplicates a stored one, or one before it in the
 * group, is not inserted (the first one wins, as one by one). */
static const char sql_put_heads[] =
	"WITH h AS (INSERT INTO reports (id, " STORE_REPORT_HEAD_COLUMNS ")"
	" SELECT nextval('reports_id_seq'), u.* FROM unnest("
	"$1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],"
	" $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
	" $13::text[], $14::bigint[], $15::bigint[]) AS u"
	" ON CONFLICT (organization, dedup_key) DO NOTHING RETURNING id, organization, dedup_key)"
	" SELECT 0, id, organization, dedup_key FROM h UNION ALL"
	" SELECT 1, nextval('report_policies_id_seq'), NULL, NULL FROM generate_series(1, $16)";

/* An item by its identity in the store. */
struct ident {
	const char *org;        /* borrowed from the report */
	char *key;              /* its dedup key (owned) */
	size_t item;
};

/* By organization, dedup key, then place in the group. */
static int
by_ident(const void *x, const void *y)
{
	const struct ident *a = x, *b = y;
	int c = strcmp(a->org, b->org);

	if (c == 0)
		c = strcmp(a->key, b->key);
	return c != 0 ? c : (a->item > b->item) - (a->item < b->item);
}

/* The first item of the group with org and key, or NULL. */
static const struct ident *
find_ident(const struct ident *v, size_t n, const char *org, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {           /* the first one not below (org, key) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v[mid].org, org);

		if (c == 0)
			c = strcmp(v[mid].key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].org, org) == 0 && strcmp(v[lo].key, key) == 0 ? &v[lo]
										     : NULL;
}

/* Inserts the reports rows of items: rid[i] is set to the new id of each
 * item inserted, 0 for the others (duplicates); draws n_policies ids into
 * pid.  Returns 0 or -1. */
static int
put_heads(struct store *s, const struct store_put_item *items, size_t n, int64_t *rid,
	  int64_t *pid, size_t n_policies, struct err *err)
{
	struct db_array cols[STORE_REPORT_HEAD_N];
	struct ident *by = xcalloc(n, sizeof(*by));
	struct db_stmt *st = NULL;
	size_t np = 0;
	int rc = -1;

	for (int k = 0; k < STORE_REPORT_HEAD_N; k++)
		db_array_init(&cols[k]);
	for (size_t i = 0; i < n; i++) {
		struct store_report_head h = { 0 };

		store_report_head_fill(&h, items[i].report, items[i].src, items[i].digest);
		for (int k = 0; k < STORE_REPORT_HEAD_N; k++) {
			if (STORE_REPORT_HEAD_IS_NUM(k))
				db_array_int64(&cols[k], h.num[k]);
			else
				db_array_text(&cols[k], h.text[k]);
		}
		by[i].org = h.text[0];
		by[i].key = h.key;      /* kept */
		h.key = NULL;
		store_report_head_free(&h);
		by[i].item = i;
	}
	qsort(by, n, sizeof(*by), by_ident);
	if ((st = db_prepare(s->db, sql_put_heads, err)) == NULL)
		goto out;
	for (int k = 0; k < STORE_REPORT_HEAD_N; k++) {
		const char *lit = db_array_literal(&cols[k]);

		if (lit == NULL) {
			err_set(err, "a group of %zu reports is too large for one statement", n);
			goto out;
		}
		db_bind_text_static(st, k + 1, lit);
	}
	db_bind_int64(st, STORE_REPORT_HEAD_N + 1, (int64_t)n_policies);
	while ((rc = db_step(st, err)) == 1) {
		const struct ident *d;

		if (db_column_int64(st, 0) == 1) {
			if (np < n_policies)
				pid[np++] = db_column_int64(st, 1);
			continue;
		}
		d = find_ident(by, n, db_column_text(st, 2), db_column_text(st, 3));
		if (d != NULL)
			rid[d->item] = db_column_int64(st, 1);
	}
	rc = rc < 0 ? -1 : 0;
	if (rc == 0 && np != n_policies) {
		err_set(err, "drawing %zu policy ids gave %zu", n_policies, np);
		rc = -1;
	}
out:
	if (st != NULL)
		db_reset(st);
	for (int k = 0; k < STORE_REPORT_HEAD_N; k++)
		db_array_free(&cols[k]);
	for (size_t i = 0; i < n; i++)
		free(by[i].key);
	free(by);
	return rc;
}

/* The PostgreSQL group: the steps above. */
static int
put_group(struct store *s, struct store_put_item *items, size_t n, struct err *err)
{
	size_t n_policies = 0, p = 0;
	int64_t *rid = xcalloc(n, sizeof(*rid)), *pid;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		n_policies += items[i].report->n_policies;
	pid = xcalloc(n_policies + 1, sizeof(*pid));
	db_batch_begin(s->db);  /* the statement below is not batched */
	if (put_heads(s, items, n, rid, pid, n_policies, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct store_put_item *it = &items[i];

		if (rid[i] != 0) {
			if (store_report_put_body(s, rid[i], pid + p, it->report, it->src,
						  err) < 0)
				goto out;
			items[i].outcome = 1;
		} else if ((items[i].outcome = store_report_put_duplicate(s, it->report, it->src,
									 it->digest, err)) < 0) {
			goto out;
		}
		p += it->report->n_policies;
	}
	rc = db_batch_end(s->db, err);
out:
	db_batch_discard(s->db);
	free(rid);
	free(pid);
	return rc;
}

int
store_put_reports_in_batch(struct store *s, struct store_put_item *items, size_t n,
			   struct err *err)
{
	s->put_retryable = 0;
	if (s->depth == 0) {
		err_set(err, "internal error: store_put_reports_in_batch() outside a transaction");
		return -1;
	}
	if (n > 1 && db_dialect(s->db) == DB_DIALECT_PG) {
		if (put_group(s, items, n, err) == 0)
			return 0;
		s->put_retryable = db_is_retryable(s->db);
		err_prefix(err, "storing a group of %zu reports", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		items[i].outcome = store_put_report_in_batch_digest(s, items[i].report,
								   items[i].src,
								   items[i].digest, err);
		if (items[i].outcome < 0)
			return -1;
	}
	return 0;
}
