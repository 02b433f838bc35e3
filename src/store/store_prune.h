/*
 * store_prune: retention.  Deletes what is older than a cut-off (reports
 * received, results collected and not reported, finished outbox entries)
 * in small transactions, then gives the space back where the backend can.
 *
 * Each transaction deletes at most `batch` rows of one table (a report
 * takes its policies, failure details, domains and conflicts with it,
 * deleted explicitly before it: SQLite does not enforce the foreign keys),
 * so the collector and the intake wait at most one such transaction.
 * What is never deleted: state (IMAP UIDs, alert memory), outbox entries
 * still pending or being sent, and anything newer than the cut-off.
 */
#ifndef TLSRPT_STORE_STORE_PRUNE_H
#define TLSRPT_STORE_STORE_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define STORE_PRUNE_BATCH 1000

struct store_prune_stats {
	int64_t reports;        /* received reports (with their policies, failures) */
	int64_t results;        /* collected result tuples (with deltas, failures) */
	int64_t outbox;         /* generated reports whose deliveries are all final */
	unsigned transactions;  /* how many transactions that took */
};

/* Deletes reports whose period ended before `before` (Unix time), results
 * of UTC days before it, and finished outbox reports created before it,
 * each in transactions of at most batch rows (0: STORE_PRUNE_BATCH).
 * Adds what was deleted to *st.  Returns 0, or -1 with err set (what was
 * deleted before the error stays deleted). */
int store_prune(struct store *s, int64_t before, size_t batch, struct store_prune_stats *st,
		struct err *err);

/* How store_reclaim() did. */
enum store_reclaim_result {
	STORE_RECLAIM_SHRUNK,           /* SQLite: free pages returned, file smaller */
	STORE_RECLAIM_NEEDS_VACUUM,     /* SQLite without auto_vacuum: needs full */
	STORE_RECLAIM_VACUUMED,         /* SQLite: VACUUM done (now incremental) */
	STORE_RECLAIM_AUTOVACUUM,       /* PostgreSQL: autovacuum's job */
};

/* Returns free space to the system.  SQLite: with auto_vacuum=INCREMENTAL
 * (stores created since this change) frees pages a few thousand at a time
 * (short write transactions), then truncates the WAL; otherwise, only when
 * full != 0, runs VACUUM once, which also switches the file to incremental
 * auto-vacuum (it blocks writers while it runs: minutes on a big store).
 * PostgreSQL: nothing (deleted rows are reclaimed by autovacuum; VACUUM
 * FULL by hand returns them to the system under an exclusive lock).
 * *pages_freed (may be NULL) gets the SQLite pages freed.
 * Returns the result, or -1 with err set. */
int store_reclaim(struct store *s, int full, int64_t *pages_freed, struct err *err);

#endif
