/*
 * db: the tiny SQL driver seam under the store (SQLite and PostgreSQL).
 *
 * The store writes its SQL once, in the portable subset both engines
 * accept: `$1, $2 …` placeholders, INSERT … ON CONFLICT … DO UPDATE,
 * RETURNING, UPDATE … FROM (SQLite >= 3.33).  The few DDL differences (the auto-increment id column) are
 * written as the token @ID@ and replaced by db_sql_dialect(); @CLUSTERED@
 * after a CREATE TABLE with a PRIMARY KEY stores its rows in key order
 * (SQLite WITHOUT ROWID; nothing on PostgreSQL).
 * A backend is an ops table (db_sqlite.c, db_pg.c); no caller chooses one
 * with #ifdef.  Prepared statements are cached per handle, keyed by their
 * SQL text, and live until db_close().  One handle, one thread.
 */
#ifndef TLSRPT_STORE_DB_H
#define TLSRPT_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum db_dialect { DB_DIALECT_SQLITE, DB_DIALECT_PG };

struct db;
struct db_stmt;

/* What one backend provides.  `conn` and `impl` are the backend's own
 * handle and statement.  Bound strings are copied by the backend. */
struct db_ops {
	const char *name;
	enum db_dialect dialect;
	/* flags: DB_OPEN_* below */
	void *(*open)(const char *target, unsigned flags, struct err *err);
	void (*close)(void *conn);
	int (*exec)(void *conn, const char *sql, struct err *err);
	void *(*prepare)(void *conn, const char *sql, struct err *err);
	void (*finalize)(void *impl);
	void (*bind_text)(void *impl, int i, const char *s);
	/* NULL (bind_text is used), or binds s without copying it */
	void (*bind_text_static)(void *impl, int i, const char *s);
	void (*bind_int64)(void *impl, int i, int64_t v);
	int (*step)(void *impl, struct err *err);
	/* NULL (db_run() steps and resets), or sends the statement without
	 * waiting for its outcome (and resets it); sync() waits for every
	 * statement sent so, returning the first one's error with the label
	 * it was sent with ("" none, else at most DB_LABEL_MAX - 1 chars)
	 * in front */
	int (*send)(void *impl, const char *label, struct err *err);
	int (*sync)(void *conn, struct err *err);
	const char *(*column_text)(void *impl, int col);
	int64_t (*column_int64)(void *impl, int col);
	void (*reset)(void *impl);
	int (*is_retryable)(void *conn);
	/* NULL, or returns 1 when the handle reads an outdated view */
	int (*is_stale)(void *conn);
	/* NULL (the INSERTs of db_prepare_insert() get " RETURNING id"), or
	 * the id of the row the last finished INSERT inserted, 0 if none */
	int64_t (*inserted_id)(void *conn);
	/* NULL (no write-ahead log to manage: PostgreSQL), or the three
	 * calls of db_wal_manual(), db_wal_frames(), db_checkpoint() */
	void (*wal_manual)(void *conn);
	long (*wal_frames)(void *conn);
	int (*checkpoint)(void *conn, struct err *err);
};

/* The backends (db_sqlite.c, db_pg.c). */
extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/* The longest label of db_run_labeled(), with its NUL; longer ones are
 * cut. */
#define DB_LABEL_MAX 80

/* db_open_flags(): read only (SQLite mode=ro, or immutable=1 when the
 * file's directory cannot hold the shared-memory file and no writer is
 * active; PostgreSQL default_transaction_read_only) and never creating a
 * SQLite file. */
#define DB_OPEN_READONLY 1u

/* Sets up the database libraries for the process; call once from main(),
 * before any handle or thread exists.  Tells SQLite to keep no memory
 * statistics (nothing reads them): keeping them takes a process-wide mutex
 * on every allocation and free, ~9k instructions a stored report.
 * Not calling it changes nothing but speed. */
void db_init(void);

/* Opens the database named by a store URL: "sqlite:PATH", a plain PATH,
 * or "postgresql://…" / "postgres://…".  Any other "scheme:" prefix
 * ("sqlite3:x.db", "pgsql://…") is an error, not a file name (write
 * "./name:x.db" for such a file).  A new SQLite file is created mode 0640
 * (before the umask); a missing or unwritable directory is named in the
 * error.  Returns a new handle (release with db_close()) or NULL with err
 * set; no message ever holds a password from the URL. */
struct db *db_open(const char *url, struct err *err);

/* db_open() with DB_OPEN_* flags. */
struct db *db_open_flags(const char *url, unsigned flags, struct err *err);

/* Returns a new copy of url with the password of a "scheme://user:pw@…"
 * URL or a "password=…" parameter replaced by "***" (caller frees). */
char *db_url_redact(const char *url);

/* Finalizes every cached statement, closes *db and sets it to NULL.
 * NULL or *db == NULL is a no-op. */
void db_close(struct db **db);

/* Returns which SQL dialect the handle speaks. */
enum db_dialect db_dialect(const struct db *db);

/* Returns a new copy of sql (caller frees) with every @ID@ replaced by the
 * dialect's auto-increment primary key column type. */
char *db_sql_dialect(const struct db *db, const char *sql);

/* Runs one or more ';'-separated statements without parameters or rows.
 * Returns 0 or -1. */
int db_exec(struct db *db, const char *sql, struct err *err);

/* Returns the cached prepared statement for sql (prepared on first use),
 * reset and with no bindings, or NULL with err set.  The statement is
 * borrowed (owned by db) until db_close(); sql must use $N placeholders. */
struct db_stmt *db_prepare(struct db *db, const char *sql, struct err *err);

/* db_prepare() for an INSERT of one row into a table keyed by an integer
 * column "id", written without RETURNING: the handle adds " RETURNING id"
 * where its backend needs it to tell the new id (PostgreSQL).  SQLite asks
 * the connection instead: it runs a RETURNING clause as a trigger, which
 * made each such INSERT open and write a statement journal. */
struct db_stmt *db_prepare_insert(struct db *db, const char *sql, struct err *err);

/* Runs st (from db_prepare_insert()) once.  Returns 1 with *id set when
 * the row was inserted, 0 when an ON CONFLICT … DO NOTHING skipped it, -1
 * on error (err says what).  Reset st afterwards, as after db_step(). */
int db_step_insert(struct db_stmt *st, int64_t *id, struct err *err);

/* Binds parameter $i (1-based): a copy of s, NULL for SQL NULL. */
void db_bind_text(struct db_stmt *st, int i, const char *s);

/* db_bind_text() without the copy where the backend can (SQLite): s must
 * stay unchanged until st is reset (db_reset(), db_prepare() of the same
 * SQL).  For the long texts of the INSERTs of a stored report. */
void db_bind_text_static(struct db_stmt *st, int i, const char *s);

/* Binds parameter $i (1-based) to an integer. */
void db_bind_int64(struct db_stmt *st, int i, int64_t v);

/* Runs the statement or moves to its next row.  Returns 1 when a row is
 * available, 0 when done, -1 on error (err says what). */
int db_step(struct db_stmt *st, struct err *err);

/* Runs st for its effect only (an INSERT or UPSERT whose rows nobody
 * reads) and resets it.  SQLite runs it at once.  PostgreSQL sends it in
 * libpq's pipeline mode and goes on without waiting for the server (each
 * such statement cost a network round trip: ~10 a stored report): its
 * outcome is known at db_sync(), which every call that waits for the
 * server (db_exec(), db_step(), db_step_insert(), preparing a new
 * statement, db_close()) runs first, so st's error may come back from one
 * of those.  A caller that must know which statement failed sends it
 * with db_run_labeled().  Returns 0 or -1 (err says what). */
int db_run(struct db_stmt *st, struct err *err);

/* db_run() that names the statement in its error: when st fails, err
 * gets the formatted label and ": " in front (as err_prefix() does), on
 * SQLite at once, on PostgreSQL from whichever call reports the failure
 * (db_sync() or another that syncs), so a row is named the same on both.
 * The label says where the row is in its input ("failure-details[2]"); it
 * is formatted only where it may be needed (PostgreSQL, or a failure), and
 * cut to DB_LABEL_MAX - 1 characters.  An error from db_run_labeled()
 * already carries the label of the statement that failed, which may be an
 * earlier one than st: the caller adds no location of its own. */
int db_run_labeled(struct db_stmt *st, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Waits for every statement db_run() sent and not yet confirmed (nothing
 * to do on SQLite).  Returns 0, or -1 with the first failure's error in
 * err, preceded by its label when db_run_labeled() sent it; the
 * transaction is then aborted, as after any failed statement. */
int db_sync(struct db *db, struct err *err);

/* Batch mode, where the backend has multi-row statements over arrays
 * (PostgreSQL's unnest()): until db_batch_end(), db_run() (or
 * db_run_labeled(), whose label is then not used) of a plain
 * `INSERT INTO t (c1, …) VALUES ($1, …, $n)` (an ON CONFLICT … DO
 * NOTHING suffix allowed; no RETURNING, no DO UPDATE) keeps the bound
 * row instead of sending it, and db_batch_end() sends each such
 * statement's rows as one
 * `INSERT INTO t (c1, …) SELECT * FROM unnest($1::T[], …)` (T bigint or
 * text after what was bound), in the order the statements were first
 * run, then syncs.  Every other statement runs as usual meanwhile, so a
 * batched row is not there for them to read before db_batch_end().  The
 * first call on a handle also has the server read one 1 MiB parameter,
 * which keeps its allocator from giving memory back after every
 * transaction (db.c: warm_server()).  Returns 1 when batching
 * (PostgreSQL), 0 when the backend runs rows one by one (SQLite: nothing
 * changes). */
int db_batch_begin(struct db *db);

/* Sends the batch's statements and syncs (db_sync()); batch mode ends.
 * Returns 0, or -1 with the first failure's error in err: the
 * transaction is then aborted.  0 when not batching. */
int db_batch_end(struct db *db, struct err *err);

/* Ends batch mode dropping every row kept (a roll-back). */
void db_batch_discard(struct db *db);

/* Column `col` (0-based) of the current row as text, NULL for SQL NULL.
 * Borrowed until the next db_step()/db_reset() on st. */
const char *db_column_text(struct db_stmt *st, int col);

/* Column `col` of the current row as an integer (0 for NULL). */
int64_t db_column_int64(struct db_stmt *st, int col);

/* Makes st ready to run again; bindings are cleared to NULL. */
void db_reset(struct db_stmt *st);

/* SQLite: this handle's commits no longer checkpoint the write-ahead log
 * (PRAGMA wal_autocheckpoint's work, on the committing thread); instead
 * db_wal_frames() tells how long the log is and another handle (or this
 * one) runs db_checkpoint().  Nothing on PostgreSQL. */
void db_wal_manual(struct db *db);

/* After db_wal_manual(): the frames in the write-ahead log after this
 * handle's last commit (0 before the first; always 0 on PostgreSQL). */
long db_wal_frames(struct db *db);

/* SQLite: copies what the write-ahead log holds into the database file as
 * far as no reader needs it (a PASSIVE checkpoint: never waits, never
 * blocks the writer; another checkpoint running is no error).  The log
 * starts over at the next write once all of it is copied.  Nothing on
 * PostgreSQL.  Returns 0 or -1 (err set). */
int db_checkpoint(struct db *db, struct err *err);

/* Returns 1 if the last failure was transient (PostgreSQL deadlock or
 * serialization failure; SQLite busy after its timeout), else 0.  The
 * caller may roll back and retry the whole transaction. */
int db_is_retryable(struct db *db);

/* Returns 1 if the handle may no longer see the database as it is: a
 * SQLite handle opened immutable=1 (DB_OPEN_READONLY) once another process
 * has opened the file for writing since (its -shm file exists, or the
 * file's inode, size or modification time changed).  Such a handle
 * must be closed and the database opened again.  Else 0. */
int db_is_stale(struct db *db);

#endif
