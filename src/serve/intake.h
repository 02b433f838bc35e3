/*
 * intake: the store writer of `tlsrpt serve` (group commit).
 *
 * Connection handlers parse and check their reports in parallel, then
 * hand them over as one job per POST.  A writer thread (one on SQLite;
 * INTAKE_WRITERS_DEFAULT or as configured on PostgreSQL, below) owns its
 * own store handle (its own PostgreSQL connection) and stores many jobs in
 * one transaction: it takes what is queued (on PostgreSQL waiting a
 * little for more, INTAKE_GATHER_MIN below), stores those reports with no
 * savepoint each (store_put_reports_in_batch(); a savepoint cost about as
 * much as the report's rows, and two round trips on PostgreSQL, where the
 * reports taken together are written with one statement per table),
 * takes what arrived meanwhile, and commits when the queue is empty, or
 * after INTAKE_GROUP_MAX_REPORTS reports or INTAKE_GROUP_MAX_MS
 * milliseconds.  The roll-up rows of the group are
 * summed in memory and written once each at COMMIT
 * (store/store_rollup_batch.h).
 * Only after the COMMIT has returned does it call each job's done
 * function, so an answer built from an outcome is never sent before the
 * report is as durable as the store makes a commit (SQLite WAL with
 * synchronous=NORMAL: survives a crash of the program; PostgreSQL:
 * synchronous_commit).
 *
 * One bad report does not fail the others: when a report fails, the
 * whole group is rolled back (nothing of it was stored) and stored again
 * in one transaction with a savepoint per report, so each gets its own
 * outcome, only the bad ones get -1, and the group is still one commit
 * however many reports the store refuses; when the COMMIT fails, each
 * report is stored again in a transaction of its own.  A report that
 * failed on a lost lock or deadlock is retried alone; a refused one is
 * not (unless every report of the group failed: a broken store).  After
 * any error the writer closes its handle and opens a new one for the next
 * group (a broken connection is not kept).  The queue is not bounded here: each job belongs to a
 * request in progress, so the server's connection limit bounds it.
 * On SQLite the writer's commits do not checkpoint the write-ahead log: a
 * thread of its own does (intake_checkpoint.h).
 */
#ifndef TLSRPT_SERVE_INTAKE_H
#define TLSRPT_SERVE_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "model/report.h"
#include "store/store_reports.h"
#include "util/err.h"

/* A group is committed when it holds this many reports… */
#define INTAKE_GROUP_MAX_REPORTS 512
/* …or this many milliseconds after its first report was written. */
#define INTAKE_GROUP_MAX_MS 50
/* On PostgreSQL a writer with fewer than INTAKE_GATHER_MIN reports in
 * hand waits up to INTAKE_GATHER_US microseconds for more before it
 * writes them (intake_writer.c: gather_locked()). */
#define INTAKE_GATHER_MIN 16
#define INTAKE_GATHER_US 1000

/* One report to store. */
struct intake_item {
	const struct report *report;   /* borrowed from the job's owner */
	struct report_source src;      /* borrowed likewise */
	int64_t digest;                /* store_report_content_digest(report),
					* computed by the submitter (not on the
					* writer's thread) */
	int outcome;                   /* set by the writer: store_put_report()'s
					* 1 stored, 0 duplicate, 2 conflict, -1 error */
	struct err err;                /* the reason when outcome is -1 */
	int retryable;                 /* set by the writer: outcome -1 on a
					* lost lock or deadlock, which may pass
					* alone (store_put_report_retryable()) */
};

/* What one request hands over.  Owned by the submitter; the writer only
 * fills the items' outcomes and calls done. */
struct intake_job {
	struct intake_item *items;
	size_t n_items;
	/* Called on the writer thread once every item has its outcome and the
	 * stored ones are committed.  Must be quick (it delays the next
	 * group); the writer does not touch job afterwards. */
	void (*done)(struct intake_job *job);
	void *ctx;                     /* the submitter's */
	struct intake_job *next;       /* the queue's link */
};

struct intake;

/* Writer threads on a store whose writers overlap (PostgreSQL,
 * store_writers_overlap()) when intake_start() is given 0, and the most it
 * takes.  Each writer is a group-commit writer as above, with its own
 * handle (connection), taking groups from the one queue: while one waits
 * for the server, the other works (bench/README.md: two writers stored
 * ~50 % more reports per second than one on a 2-vCPU machine shared with
 * the server).  On SQLite there is one writer whatever is asked: its
 * writers wait for the database's one lock. */
#define INTAKE_WRITERS_DEFAULT 2
#define INTAKE_WRITERS_MAX 16

/* Starts the writer threads for the store at db_url: n_writers of them
 * (0: INTAKE_WRITERS_DEFAULT; at most INTAKE_WRITERS_MAX; always 1 on
 * SQLite).  Their handles are opened at once, to report a bad store here.
 * Returns NULL with err set. */
struct intake *intake_start(const char *db_url, size_t n_writers, struct err *err);

/* The writer threads in (0 for NULL). */
size_t intake_writers(const struct intake *in);

/* Stores what is still queued, stops the writer and frees *in; NULL is a
 * no-op; clears *in.  No job may be submitted during or after the call. */
void intake_stop(struct intake **in);

/* Queues job; job->done is called later on the writer thread. */
void intake_submit(struct intake *in, struct intake_job *job);

/* Queues job and waits until it is done (job->done and job->ctx are
 * replaced).  For callers that cannot be called back. */
void intake_store_wait(struct intake *in, struct intake_job *job);

/* Groups committed and reports written since the start (for figures);
 * 0 and 0 for in == NULL (a read-only serve has no intake). */
void intake_counts(struct intake *in, uint64_t *groups, uint64_t *reports);

/* Transactions the writer has committed since the start (a group, or one
 * report stored alone); 0 for in == NULL. */
uint64_t intake_commits(struct intake *in);

#endif
