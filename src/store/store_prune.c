/*
 * store_prune: retention in bounded transactions (see store_prune.h).
 *
 * Every step is one statement that deletes at most `batch` rows chosen by
 * a LIMITed subquery, run in its own transaction until it deletes nothing.
 * Results have no foreign keys (store_results.c): the deltas and failure
 * details of a batch of tuples go first, in the same transaction, chosen
 * by the same ordered subquery.  The other children are deleted the same
 * way, before their parents (a report's failures, policies, domains and
 * conflicts; an outbox report's deliveries): SQLite does not enforce the
 * declared foreign keys (db_sqlite.c), so nothing cascades there.
 */
#include "store/store_prune.h"

#include <stdio.h>

#include "store/store_private.h"
#include "store/store_rollup.h"

#define OLD_TUPLES "(SELECT key FROM result_tuples WHERE day < $1 ORDER BY key LIMIT $2)"
#define OLD_REPORTS "(SELECT id FROM reports WHERE end_time < $1 ORDER BY id LIMIT $2)"

/* Old reports and what hangs on them, children first (the last statement
 * counts). */
static const char *const prune_reports[] = {
	"DELETE FROM report_failures WHERE policy IN (SELECT id FROM report_policies"
	" WHERE report IN " OLD_REPORTS ")",
	"DELETE FROM report_policies WHERE report IN " OLD_REPORTS,
	"DELETE FROM report_domains WHERE report IN " OLD_REPORTS,
	"DELETE FROM report_types WHERE report IN " OLD_REPORTS,
	"DELETE FROM report_conflicts WHERE report IN " OLD_REPORTS,
	"DELETE FROM reports WHERE id IN " OLD_REPORTS " RETURNING id",
	NULL,
};


/* Old result tuples and what hangs on them (the last statement counts). */
static const char *const prune_results[] = {
	"DELETE FROM result_deltas WHERE policy IN " OLD_TUPLES,
	"DELETE FROM result_failures WHERE policy IN " OLD_TUPLES,
	"DELETE FROM result_tuples WHERE key IN " OLD_TUPLES " RETURNING key",
	NULL,
};

/* Finished outbox reports, their deliveries first (deleting deliveries
 * that are neither pending nor sending leaves the same reports chosen). */
#define OLD_OUTBOX "(SELECT report_id FROM outbox_reports" \
	" WHERE created < $1 AND lookup_state <> 'pending' AND NOT EXISTS (SELECT 1 FROM" \
	" outbox_deliveries d WHERE d.report_id = outbox_reports.report_id AND d.state IN" \
	" ('pending', 'sending')) ORDER BY report_id LIMIT $2)"
static const char *const prune_outbox[] = {
	"DELETE FROM outbox_deliveries WHERE report_id IN " OLD_OUTBOX,
	"DELETE FROM outbox_reports WHERE report_id IN " OLD_OUTBOX " RETURNING report_id",
	NULL,
};

/* Runs sql[] ($1 cutoff, $2 batch) in the caller's transaction.  Returns
 * the rows the last statement returned, or -1. */
static int64_t
run_batch(struct store *s, const char *const *sql, int64_t cutoff, size_t batch,
	  struct err *err)
{
	struct db_stmt *st;
	int64_t n = 0;
	int rc;

	for (size_t i = 0; sql[i] != NULL; i++) {
		if ((st = db_prepare(s->db, sql[i], err)) == NULL)
			return -1;
		db_bind_int64(st, 1, cutoff);
		db_bind_int64(st, 2, (int64_t)batch);
		n = 0;
		while ((rc = db_step(st, err)) == 1)
			n++;
		db_reset(st);
		if (rc < 0)
			return -1;
	}
	return n;
}

/* Runs one batch of sql[] in a transaction.  Returns the rows the last
 * statement deleted, or -1. */
static int64_t
one_batch(struct store *s, const char *const *sql, int64_t cutoff, size_t batch,
	  struct err *err)
{
	int64_t n;

	if (store_begin(s, err) < 0)
		return -1;
	if ((n = run_batch(s, sql, cutoff, batch, err)) < 0)
		goto fail;
	if (store_commit(s, err) < 0)
		return -1;
	return n;
fail:
	store_rollback(s);
	return -1;
}

int
store_prune_old_reports(struct store *s, int64_t before, size_t batch, int64_t *deleted,
			struct err *err)
{
	int64_t n = run_batch(s, prune_reports, before, batch, err);

	if (n < 0)
		return -1;
	*deleted += n;
	return 0;
}

/* Repeats one_batch() until nothing is left; adds the rows to *total. */
static int
drain(struct store *s, const char *const *sql, int64_t cutoff, size_t batch,
      int64_t *total, unsigned *tx, struct err *err)
{
	int64_t n;

	do {
		if ((n = one_batch(s, sql, cutoff, batch, err)) < 0)
			return -1;
		*total += n;
		(*tx)++;
	} while (n >= (int64_t)batch);
	return 0;
}

/* Old reports (store_prune_old_reports()), with the roll-ups they were
 * counted in (store_rollup.c), batch by batch. */
static int
drain_reports(struct store *s, int64_t before, size_t batch, struct store_prune_stats *st,
	      struct err *err)
{
	int64_t n;

	do {
		if (store_rollup_prune_batch(s, before, batch, &n, err) < 0)
			return -1;
		st->reports += n;
		st->transactions++;
	} while (n >= (int64_t)batch);
	return 0;
}

int
store_prune(struct store *s, int64_t before, size_t batch, struct store_prune_stats *st,
	    struct err *err)
{
	int64_t day = before >= 0 ? before / 86400 : (before - 86399) / 86400;

	if (batch == 0)
		batch = STORE_PRUNE_BATCH;
	if (drain_reports(s, before, batch, st, err) < 0) {
		err_prefix(err, "pruning reports");
		return -1;
	}
	if (drain(s, prune_results, day, batch, &st->results, &st->transactions, err) < 0) {
		err_prefix(err, "pruning results");
		return -1;
	}
	if (drain(s, prune_outbox, before, batch, &st->outbox, &st->transactions, err) < 0) {
		err_prefix(err, "pruning the outbox");
		return -1;
	}
	return 0;
}

/* The integer a PRAGMA returns.  Returns 0 or -1. */
static int
pragma_int(struct store *s, const char *sql, int64_t *v, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int rc;

	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	*v = rc == 1 ? db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Pages freed per incremental_vacuum statement (4 MiB at 4 KiB pages). */
#define VACUUM_STEP_PAGES "1000"

int
store_reclaim(struct store *s, int full, int64_t *pages_freed, struct err *err)
{
	int64_t mode, before, left;

	if (pages_freed != NULL)
		*pages_freed = 0;
	if (db_dialect(s->db) == DB_DIALECT_PG)
		return STORE_RECLAIM_AUTOVACUUM;
	if (pragma_int(s, "PRAGMA auto_vacuum", &mode, err) < 0 ||
	    pragma_int(s, "PRAGMA freelist_count", &before, err) < 0)
		return -1;
	if (mode != 2) {        /* 2: INCREMENTAL */
		if (!full)
			return STORE_RECLAIM_NEEDS_VACUUM;
		if (db_exec(s->db, "PRAGMA auto_vacuum=INCREMENTAL; VACUUM", err) < 0)
			return -1;
		(void)db_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
		if (pages_freed != NULL)
			*pages_freed = before;
		return STORE_RECLAIM_VACUUMED;
	}
	left = before;
	for (int64_t prev = left + 1; left > 0 && left < prev; ) {
		struct db_stmt *st = db_prepare(s->db, "PRAGMA incremental_vacuum("
						VACUUM_STEP_PAGES ")", err);
		int rc;

		if (st == NULL)
			return -1;
		prev = left;
		while ((rc = db_step(st, err)) == 1)
			;
		db_reset(st);
		if (rc < 0 || pragma_int(s, "PRAGMA freelist_count", &left, err) < 0)
			return -1;
	}
	/* the file shrinks when the WAL is written back; busy readers only
	 * delay that to the next checkpoint */
	(void)db_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
	if (pages_freed != NULL)
		*pages_freed = before;
	return STORE_RECLAIM_SHRUNK;
}
