/*
 * store_outbox: generated reports and per-destination delivery state
 * (see store_outbox.h).  Portable SQL through db.h; every write that must
 * survive a crash is its own transaction.
 */
#include "store/store_outbox.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/xalloc.h"

const char store_outbox_schema_sql[] =
	"CREATE TABLE outbox_reports ("
	" report_id TEXT PRIMARY KEY,"
	" day BIGINT NOT NULL,"
	" policy_domain TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" json TEXT NOT NULL,"
	" lookup_state TEXT NOT NULL,"
	" lookup_attempts INTEGER NOT NULL,"
	" lookup_next BIGINT NOT NULL,"
	" last_error TEXT);"
	"CREATE INDEX outbox_reports_lookup ON outbox_reports (lookup_state, lookup_next);"
	"CREATE TABLE outbox_deliveries ("
	" id @ID@,"
	" report_id TEXT NOT NULL REFERENCES outbox_reports (report_id) ON DELETE CASCADE,"
	" destination TEXT NOT NULL,"
	" state TEXT NOT NULL,"
	" attempts INTEGER NOT NULL,"
	" first_try BIGINT,"
	" next_try BIGINT NOT NULL,"
	" last_error TEXT,"
	" UNIQUE (report_id, destination));"
	"CREATE INDEX outbox_deliveries_due ON outbox_deliveries (state, next_try);"
	"CREATE TABLE outbox_suppressions ("
	" destination TEXT PRIMARY KEY,"
	" until_time BIGINT NOT NULL,"
	" comment TEXT);";

/* Inserts one delivery per destination ("suppressed" if listed). */
static int
add_deliveries(struct store *s, const char *report_id, const struct strlist *dests,
	       int64_t now, struct err *err)
{
	struct db_stmt *st;
	int rc;

	for (size_t i = 0; i < dests->n; i++) {
		st = db_prepare(s->db,
				"INSERT INTO outbox_deliveries (report_id, destination, state,"
				" attempts, next_try) VALUES ($1, $2, CASE WHEN EXISTS (SELECT 1"
				" FROM outbox_suppressions WHERE destination = $2 AND"
				" until_time > $3) THEN 'suppressed' ELSE 'pending' END, 0, $3)"
				" ON CONFLICT (report_id, destination) DO NOTHING", err);
		if (st == NULL)
			return -1;
		db_bind_text(st, 1, report_id);
		db_bind_text(st, 2, dests->v[i]);
		db_bind_int64(st, 3, now);
		rc = db_step(st, err);
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
store_outbox_add(struct store *s, const char *report_id, int64_t day, const char *policy_domain,
		 const char *json, const struct strlist *dests, int64_t now, int64_t next_lookup,
		 struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (store_begin(s, err) < 0)
		return -1;
	st = db_prepare(s->db,
			"INSERT INTO outbox_reports (report_id, day, policy_domain, created, json,"
			" lookup_state, lookup_attempts, lookup_next) VALUES ($1, $2, $3, $4, $5,"
			" $6, $7, $8) ON CONFLICT (report_id) DO NOTHING RETURNING report_id", err);
	if (st == NULL)
		goto fail;
	db_bind_text(st, 1, report_id);
	db_bind_int64(st, 2, day);
	db_bind_text(st, 3, policy_domain);
	db_bind_int64(st, 4, now);
	db_bind_text(st, 5, json);
	db_bind_text(st, 6, dests ? "done" : "pending");
	db_bind_int64(st, 7, dests ? 0 : 1);
	db_bind_int64(st, 8, dests ? 0 : next_lookup);
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0)
		goto fail;
	if (rc == 0) {          /* already there */
		store_rollback(s);
		return 0;
	}
	if (dests != NULL && add_deliveries(s, report_id, dests, now, err) < 0)
		goto fail;
	if (store_commit(s, err) < 0)
		goto fail;
	return 1;
fail:
	store_rollback(s);
	err_prefix(err, "outbox: report-id=%s", report_id);
	return -1;
}

static int
read_items(struct store *s, const char *sql, int64_t now, size_t max, int lookups,
	   struct outbox_item **items, size_t *n, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	size_t cap = 0;
	int rc;

	*items = NULL;
	*n = 0;
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, (int64_t)max);
	while ((rc = db_step(st, err)) == 1) {
		struct outbox_item *it;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*items = xreallocarray(*items, cap, sizeof(**items));
		}
		it = &(*items)[(*n)++];
		memset(it, 0, sizeof(*it));
		it->id = lookups ? 0 : db_column_int64(st, 0);
		it->report_id = xstrdup(db_column_text(st, 1));
		it->policy_domain = xstrdup(db_column_text(st, 2));
		it->destination = lookups ? NULL : xstrdup(db_column_text(st, 3));
		it->day = db_column_int64(st, 4);
		it->attempts = db_column_int64(st, 5);
		it->first_try = db_column_int64(st, 6);
	}
	db_reset(st);
	if (rc < 0) {
		store_outbox_items_free(*items, *n);
		*items = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_outbox_due(struct store *s, int64_t now, size_t max, struct outbox_item **items,
		 size_t *n, struct err *err)
{
	return read_items(s,
			  "SELECT d.id, d.report_id, r.policy_domain, d.destination, r.day,"
			  " d.attempts, COALESCE(d.first_try, 0) FROM outbox_deliveries d"
			  " JOIN outbox_reports r ON r.report_id = d.report_id"
			  " WHERE d.state = 'pending' AND d.next_try <= $1"
			  " ORDER BY d.next_try, d.id LIMIT $2",
			  now, max, 0, items, n, err);
}

int
store_outbox_lookups_due(struct store *s, int64_t now, size_t max, struct outbox_item **items,
			 size_t *n, struct err *err)
{
	return read_items(s,
			  "SELECT 0, report_id, policy_domain, NULL, day, lookup_attempts,"
			  " created FROM outbox_reports WHERE lookup_state = 'pending'"
			  " AND lookup_next <= $1 ORDER BY lookup_next, report_id LIMIT $2",
			  now, max, 1, items, n, err);
}

int
store_outbox_claim(struct store *s, int64_t id, int64_t now, struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (store_begin(s, err) < 0)
		return -1;
	st = db_prepare(s->db,
			"UPDATE outbox_deliveries SET state = 'sending', attempts = attempts + 1,"
			" first_try = COALESCE(first_try, $2), next_try = $3"
			" WHERE id = $1 AND state = 'pending' RETURNING id", err);
	if (st == NULL) {
		store_rollback(s);
		return -1;
	}
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, now + STORE_OUTBOX_LEASE);
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0 || store_commit(s, err) < 0) {
		store_rollback(s);
		return -1;
	}
	return rc;
}

int64_t
store_outbox_interrupted(struct store *s, int64_t now, int requeue, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, requeue ?
					"UPDATE outbox_deliveries SET state = 'pending', next_try = $1,"
					" last_error = 'interrupted while sending; requeued'"
					" WHERE state = 'sending' AND next_try < $1 RETURNING id" :
					"SELECT id FROM outbox_deliveries"
					" WHERE state = 'sending' AND next_try < $1", err);
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	while ((rc = db_step(st, err)) == 1)
		n++;
	db_reset(st);
	return rc < 0 ? -1 : n;
}

int
store_outbox_finish(struct store *s, int64_t id, const char *state, int64_t next_try,
		    const char *error, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"UPDATE outbox_deliveries SET state = $2, next_try = $3,"
					" last_error = $4 WHERE id = $1 AND state = 'sending'"
					" RETURNING id", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state);
	db_bind_int64(st, 3, next_try);
	db_bind_text(st, 4, error);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : rc;
}

int
store_outbox_defer(struct store *s, int64_t id, int64_t next_try, const char *error,
		   struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"UPDATE outbox_deliveries SET next_try = $2, last_error = $3"
					" WHERE id = $1 AND state = 'pending'", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, next_try);
	db_bind_text(st, 3, error);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_outbox_set_lookup(struct store *s, const char *report_id, const struct strlist *dests,
			int64_t now, int64_t next_lookup, const char *error, struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (store_begin(s, err) < 0)
		return -1;
	st = db_prepare(s->db,
			"UPDATE outbox_reports SET lookup_state = $2, lookup_next = $3,"
			" lookup_attempts = lookup_attempts + 1, last_error = $4"
			" WHERE report_id = $1", err);
	if (st == NULL)
		goto fail;
	db_bind_text(st, 1, report_id);
	db_bind_text(st, 2, dests ? "done" : next_lookup ? "pending" : "failed");
	db_bind_int64(st, 3, next_lookup);
	db_bind_text(st, 4, error);
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0)
		goto fail;
	if (dests != NULL && add_deliveries(s, report_id, dests, now, err) < 0)
		goto fail;
	if (store_commit(s, err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

char *
store_outbox_json(struct store *s, const char *report_id, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT json FROM outbox_reports WHERE report_id = $1", err);
	char *json = NULL;
	int rc;

	if (st == NULL)
		return NULL;
	db_bind_text(st, 1, report_id);
	rc = db_step(st, err);
	if (rc == 1)
		json = xstrdup(db_column_text(st, 0));
	else if (rc == 0)
		err_set(err, "outbox: no report %s", report_id);
	db_reset(st);
	return json;
}

int
store_outbox_next_due(struct store *s, int64_t *when, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT MIN(t) FROM (SELECT next_try AS t FROM"
					" outbox_deliveries WHERE state = 'pending' UNION ALL"
					" SELECT lookup_next FROM outbox_reports WHERE"
					" lookup_state = 'pending') AS due", err);
	int rc, ret = -1;

	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	if (rc == 1) {
		ret = db_column_text(st, 0) != NULL;
		*when = db_column_int64(st, 0);
	} else if (rc == 0) {
		ret = 0;
	}
	db_reset(st);
	return ret;
}

int
store_outbox_suppress(struct store *s, const char *destination, int64_t until,
		      const char *comment, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"INSERT INTO outbox_suppressions (destination, until_time,"
					" comment) VALUES ($1, $2, $3) ON CONFLICT (destination)"
					" DO UPDATE SET until_time = excluded.until_time,"
					" comment = excluded.comment", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, destination);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, comment);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_outbox_suppressed_until(struct store *s, const char *destination, int64_t now,
			      int64_t *until, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT until_time FROM outbox_suppressions WHERE"
					" destination = $1 AND until_time > $2", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, destination);
	db_bind_int64(st, 2, now);
	rc = db_step(st, err);
	if (rc == 1)
		*until = db_column_int64(st, 0);
	db_reset(st);
	return rc;
}

int
store_outbox_skip_suppressed(struct store *s, int64_t id, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"UPDATE outbox_deliveries SET state = 'suppressed',"
					" last_error = 'destination suppressed' WHERE id = $1 AND"
					" state = 'pending'", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_outbox_unsuppress(struct store *s, const char *destination, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"DELETE FROM outbox_suppressions WHERE destination = $1"
					" RETURNING destination", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, destination);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : rc;
}

int
store_outbox_suppressions(struct store *s, int64_t now, store_outbox_suppression_cb cb,
			  void *ctx, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT destination, until_time, comment FROM"
					" outbox_suppressions WHERE until_time > $1"
					" ORDER BY destination", err);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	while (ret == 0 && (rc = db_step(st, err)) == 1) {
		struct outbox_suppression e = {
			db_column_text(st, 0), db_column_int64(st, 1), db_column_text(st, 2),
		};

		ret = cb(ctx, &e);
	}
	db_reset(st);
	return ret != 0 ? ret : rc < 0 ? -1 : 0;
}

int64_t
store_outbox_count(struct store *s, const char *report_id, const char *state, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT COUNT(*) FROM outbox_deliveries WHERE"
					" (CAST($1 AS TEXT) IS NULL OR report_id = $1) AND"
					" (CAST($2 AS TEXT) IS NULL OR state = $2)",
					err);
	int64_t n = -1;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, report_id);
	db_bind_text(st, 2, state);
	if (db_step(st, err) == 1)
		n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* The finished outbox reports created before $1 (their deliveries all
 * final); store_outbox_prune() deletes their deliveries first, which
 * leaves the same reports chosen. */
#define FINISHED_BEFORE " WHERE created < $1 AND lookup_state <> 'pending' AND NOT EXISTS" \
	" (SELECT 1 FROM outbox_deliveries d WHERE d.report_id = outbox_reports.report_id" \
	" AND d.state IN ('pending', 'sending'))"

int64_t
store_outbox_prune(struct store *s, int64_t before, struct err *err)
{
	struct db_stmt *st;
	int64_t n = 0;
	int rc;

	/* explicitly, children first: SQLite does not enforce the foreign
	 * keys (db_sqlite.c), so nothing cascades */
	if (store_begin(s, err) < 0)
		return -1;
	st = db_prepare(s->db, "DELETE FROM outbox_deliveries WHERE report_id IN"
			" (SELECT report_id FROM outbox_reports" FINISHED_BEFORE ")", err);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, before);
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0)
		goto fail;
	st = db_prepare(s->db, "DELETE FROM outbox_reports" FINISHED_BEFORE " RETURNING report_id",
			err);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, before);
	while ((rc = db_step(st, err)) == 1)
		n++;
	db_reset(st);
	if (rc < 0)
		goto fail;
	if (store_commit(s, err) < 0)
		return -1;
	return n;
fail:
	store_rollback(s);
	return -1;
}

int
store_outbox_list(struct store *s, store_outbox_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
					"SELECT r.report_id, r.policy_domain, d.destination,"
					" COALESCE(d.state, 'lookup-' || r.lookup_state),"
					" COALESCE(d.attempts, r.lookup_attempts),"
					" COALESCE(d.next_try, r.lookup_next),"
					" COALESCE(d.last_error, r.last_error)"
					" FROM outbox_reports r LEFT JOIN outbox_deliveries d"
					" ON d.report_id = r.report_id"
					" ORDER BY r.report_id, d.destination", err);
	int rc, ret = 0;

	if (st == NULL)
		return -1;
	while (ret == 0 && (rc = db_step(st, err)) == 1) {
		struct outbox_row row = {
			db_column_text(st, 0), db_column_text(st, 1), db_column_text(st, 2),
			db_column_text(st, 3), db_column_int64(st, 4), db_column_int64(st, 5),
			db_column_text(st, 6),
		};

		ret = cb(ctx, &row);
	}
	db_reset(st);
	return ret != 0 ? ret : rc < 0 ? -1 : 0;
}

void
store_outbox_items_free(struct outbox_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].report_id);
		free(items[i].policy_domain);
		free(items[i].destination);
	}
	free(items);
}
