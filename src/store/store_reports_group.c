/*
 * store_reports_group: a group of reports stored with one statement per
 * table (store_put_reports_in_batch(), store_reports.h).
 *
 * On PostgreSQL each statement costs the server a fixed amount of work
 * (bind, executor start and end, a result message) whatever its rows, and
 * a stored report took about six: bench/README.md measured ~175 µs of
 * server CPU per report, most of it that.  Here a group takes three round
 * trips whatever its size:
 *
 *  1. the ids of its reports and policies, drawn from their sequences;
 *  2. every reports row in one INSERT … SELECT FROM unnest(…) ON CONFLICT
 *     DO NOTHING RETURNING id: the ids not returned are duplicates (of a
 *     stored report, or of one earlier in the group: the first one wins,
 *     as one by one);
 *  3. the other rows (policies under their drawn ids, failures, domains,
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

#include "store/db.h"
#include "store/db_array.h"
#include "store/store_private.h"
#include "store/store_reports_private.h"
#include "util/xalloc.h"

/* The ids for a group: n reports, then the policies of all of them. */
static const char sql_draw_ids[] =
	"SELECT 0, nextval('reports_id_seq') FROM generate_series(1, $1)"
	" UNION ALL SELECT 1, nextval('report_policies_id_seq') FROM generate_series(1, $2)";

/* The reports rows: $1 the drawn ids, then STORE_REPORT_HEAD_COLUMNS. */
static const char sql_put_heads[] =
	"INSERT INTO reports (id, " STORE_REPORT_HEAD_COLUMNS ") SELECT * FROM unnest("
	"$1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],"
	" $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
	" $13::text[], $14::text[], $15::bigint[], $16::bigint[])"
	" ON CONFLICT (organization, dedup_key) DO NOTHING RETURNING id";

/* A drawn report id and the item it is for. */
struct drawn {
	int64_t id;
	size_t item;
};

static int
by_id(const void *a, const void *b)
{
	int64_t x = ((const struct drawn *)a)->id, y = ((const struct drawn *)b)->id;

	return (x > y) - (x < y);
}

/* Draws n_reports ids into rid (in the order the server gave them) and
 * n_policies into pid.  Returns 0 or -1. */
static int
draw_ids(struct store *s, int64_t *rid, size_t n_reports, int64_t *pid, size_t n_policies,
	 struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_draw_ids, err);
	size_t nr = 0, np = 0;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, (int64_t)n_reports);
	db_bind_int64(st, 2, (int64_t)n_policies);
	while ((rc = db_step(st, err)) == 1) {
		int64_t id = db_column_int64(st, 1);

		if (db_column_int64(st, 0) == 0 && nr < n_reports)
			rid[nr++] = id;
		else if (np < n_policies)
			pid[np++] = id;
	}
	db_reset(st);
	if (rc < 0)
		return -1;
	if (nr != n_reports || np != n_policies) {
		err_set(err, "drawing ids for %zu reports and %zu policies gave %zu and %zu",
			n_reports, n_policies, nr, np);
		return -1;
	}
	return 0;
}

/* Inserts the reports rows of items (ids rid) and sets inserted[i] for
 * each one the server inserted.  Returns 0 or -1. */
static int
put_heads(struct store *s, const struct store_put_item *items, size_t n, const int64_t *rid,
	  unsigned char *inserted, struct err *err)
{
	struct db_array cols[STORE_REPORT_HEAD_N + 1];
	struct drawn *by = xcalloc(n, sizeof(*by));
	struct db_stmt *st = NULL;
	int rc = -1;

	for (int k = 0; k <= STORE_REPORT_HEAD_N; k++)
		db_array_init(&cols[k]);
	for (size_t i = 0; i < n; i++) {
		struct store_report_head h = { 0 };

		store_report_head_fill(&h, items[i].report, items[i].src, items[i].digest);
		db_array_int64(&cols[0], rid[i]);
		for (int k = 0; k < STORE_REPORT_HEAD_N; k++) {
			if (STORE_REPORT_HEAD_IS_NUM(k))
				db_array_int64(&cols[k + 1], h.num[k]);
			else
				db_array_text(&cols[k + 1], h.text[k]);
		}
		store_report_head_free(&h);
		by[i].id = rid[i];
		by[i].item = i;
	}
	qsort(by, n, sizeof(*by), by_id);
	if ((st = db_prepare(s->db, sql_put_heads, err)) == NULL)
		goto out;
	for (int k = 0; k <= STORE_REPORT_HEAD_N; k++) {
		const char *lit = db_array_literal(&cols[k]);

		if (lit == NULL) {
			err_set(err, "a group of %zu reports is too large for one statement", n);
			goto out;
		}
		db_bind_text_static(st, k + 1, lit);
	}
	while ((rc = db_step(st, err)) == 1) {
		struct drawn key = { db_column_int64(st, 0), 0 };
		struct drawn *d = bsearch(&key, by, n, sizeof(*by), by_id);

		if (d != NULL)
			inserted[d->item] = 1;
	}
	rc = rc < 0 ? -1 : 0;
out:
	if (st != NULL)
		db_reset(st);
	for (int k = 0; k <= STORE_REPORT_HEAD_N; k++)
		db_array_free(&cols[k]);
	free(by);
	return rc;
}

/* The PostgreSQL group: the three steps above. */
static int
put_group(struct store *s, struct store_put_item *items, size_t n, struct err *err)
{
	size_t n_policies = 0, p = 0;
	int64_t *rid = xcalloc(n, sizeof(*rid)), *pid;
	unsigned char *inserted = xcalloc(n, 1);
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		n_policies += items[i].report->n_policies;
	pid = xcalloc(n_policies + 1, sizeof(*pid));
	db_batch_begin(s->db);  /* the two statements below are not batched */
	if (draw_ids(s, rid, n, pid, n_policies, err) < 0 ||
	    put_heads(s, items, n, rid, inserted, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct store_put_item *it = &items[i];

		if (inserted[i]) {
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
	free(inserted);
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
