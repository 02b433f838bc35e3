/*
 * store: the one seam between tlsrpt and its database (docs/ARCHITECTURE.md, "The store seam").
 *
 * No code above this interface knows which backend it talks to.  A store
 * is opened from a URL:
 *   sqlite:PATH  or a plain PATH     embedded SQLite (WAL mode), the default
 *   postgresql://… or postgres://…   PostgreSQL through libpq
 * Opening creates the schema or migrates it to the current version.
 *
 * What is stored is split by concern, one header each:
 *   store_reports.h   reports received from others (receiving side)
 *   store_results.h   delivery results from MTAs (sending side, collector)
 *   store_outbox.h    reports we generated and their delivery state
 *   store_state.h     small named values (IMAP UIDs, alert memory, …)
 *   store_summary.h   totals over stored reports (summary, dashboard, alerts)
 * Their SQL is written once, portable; src/store/db.h hides the driver.
 *
 * A store handle is used by one thread at a time; open one per thread.
 */
#ifndef TLSRPT_STORE_STORE_H
#define TLSRPT_STORE_STORE_H

#include "util/err.h"

struct domain_scope;

struct store;

/* Opens (creating/migrating) the store at url. Returns a new handle that the
 * caller releases with store_close(), or NULL with err set. */
struct store *store_open(const char *url, struct err *err);

/* Opens the store at url read only, for commands that only read
 * (summary, the dashboard, alert --dry-run): nothing is created or
 * migrated, and a user or PostgreSQL role that may only read can use it.
 * A store that does not exist, has no schema, or is at another schema
 * version than this program's is an error saying so.  Writing through the
 * handle fails.  Returns a new handle or NULL with err set. */
struct store *store_open_readonly(const char *url, struct err *err);

/* Returns 1 if s, opened by store_open_readonly(), may no longer see the
 * store as it is (db_is_stale(): a SQLite file opened immutable that a
 * writer has opened or changed since).  A long-running reader then closes it and
 * opens the store again.  Else 0. */
int store_is_stale(struct store *s);

/* Returns a new copy of url (caller frees) fit for logs and messages: the
 * password of "scheme://user:password@…" and any "password=…" parameter
 * replaced by "***". */
char *store_url_redact(const char *url);

/* Closes *s and sets it to NULL. NULL or *s == NULL is a no-op. */
void store_close(struct store **s);

/* Starts a transaction. Returns 0 or -1. */
int store_begin(struct store *s, struct err *err);

/* Commits the transaction started by store_begin(). Returns 0 or -1. */
int store_commit(struct store *s, struct err *err);

/* Rolls back the open transaction; never fails from the caller's view. */
void store_rollback(struct store *s);

/* Returns the schema version the store is at. */
int store_schema_version(struct store *s);

/* Makes s plan every statement for the values it is run with (PostgreSQL:
 * plan_cache_mode = force_custom_plan; nothing on SQLite), for handles that
 * serve views: after five runs PostgreSQL may otherwise keep one generic
 * plan of a prepared statement, and the views' optional filters ("$3 IS
 * NULL OR domain_key = $3") make that plan 4-10x slower for every later
 * request (a typed report search went from 0.35 s to 1.5-1.9 s).  Costs
 * a planning per run: not for the intake's handle.  Returns 0, or -1 with
 * err set. */
int store_plan_per_run(struct store *s, struct err *err);

/* Checks that the store answers: reads one row of the reports table (so a
 * lost connection or a damaged schema is seen).  Returns 0, or -1 with err
 * set to the database's reason. */
int store_ping(struct store *s, struct err *err);

/* 1 when writers on several handles of s's database proceed at once,
 * each waiting only for rows another holds (PostgreSQL); 0 when every
 * write transaction waits for the one lock of the database (SQLite), so
 * a second writer only adds contention. */
int store_writers_overlap(const struct store *s);

/* A writer that keeps the log's checkpoints off its own thread (db.h):
 * store_wal_manual() stops s's commits from checkpointing the SQLite
 * write-ahead log, store_wal_frames() is its length after s's last
 * commit, store_checkpoint() copies it into the database as far as
 * readers allow (PASSIVE), from any handle.  Nothing on PostgreSQL
 * (frames 0).  store_checkpoint() returns 0 or -1 with err set. */
void store_wal_manual(struct store *s);
long store_wal_frames(struct store *s);
int store_checkpoint(struct store *s, struct err *err);

/* Sets the viewer scope of this handle (model/domain_scope.h, borrowed:
 * it must outlive its use here; NULL, the default, is no restriction).
 * Every read of received reports through the handle then sees only the
 * policies whose policy domain is in scope, as if no other were stored:
 * store_query_reports() drops the others (and a report left without
 * policy), store_summary_*() skip their rows.  This is the one place the
 * dashboard's tenant separation is enforced; writes are not affected. */
void store_set_scope(struct store *s, const struct domain_scope *scope);

#endif
