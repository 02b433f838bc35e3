/*
 * db_sqlite: the SQLite backend of db.h (embedded, the default store).
 *
 * Opened in WAL mode with synchronous=NORMAL (a crash of the program loses
 * nothing; a power loss or OS crash can undo the last transactions
 * committed before it, never consistency), or FULL when the URL ends in
 * "?synchronous=full" (each commit is on disk before it returns; slower),
 * a 30 s busy timeout so several
 * processes (collector, reporter, CLI) can share one file.  Foreign keys
 * are declared in the schema but not enforced (PRAGMA foreign_keys=OFF,
 * SQLite's default): enforcing them makes every child insert (a report's
 * policies, failures, domains) write a statement journal, ~24k
 * instructions a report.  Nothing relies on them: the store writes a
 * child only under the parent it has just inserted in the same
 * transaction, and every delete of a parent row deletes its children
 * first, explicitly (store_prune.c, store_outbox.c, store_users.c);
 * PostgreSQL enforces the same keys, and the tests run on both.  `$N` placeholders are SQLite named parameters; their indexes follow
 * first appearance in the text, so prepare() maps N to the real index.
 *
 * A new file is created here, mode 0640, before SQLite opens it (SQLite
 * would create it 0644, and its -wal/-shm files copy the file's mode).
 * Read-only handles use mode=ro; when that cannot work because the
 * directory is not writable and no -shm file exists (so no writer is
 * active), immutable=1; such a handle reports itself stale (db_is_stale())
 * once a writer has created the -shm file.  No read-only handle ever
 * creates a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "util/xalloc.h"

#define BUSY_TIMEOUT_MS 30000

struct conn {
	sqlite3 *db;
	int last_rc;
	long wal_frames;    /* after the last commit, with sq_wal_manual() */
	char *shm_path;     /* opened immutable=1: its -shm file, else NULL */
	char *path;         /* and the file, as it was then (file_st) */
	struct stat file_st;
};

struct stmt {
	struct conn *c;
	sqlite3_stmt *st;
	int *map;       /* map[N] = SQLite index of $N, 0 if absent */
	int n_map;
};

static int
run(struct conn *c, const char *sql, struct err *err)
{
	char *msg = NULL;
	int rc;

	rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
	c->last_rc = rc;
	if (rc != SQLITE_OK) {
		err_set(err, "sqlite: %s", msg != NULL ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* db.h's db_init(): SQLite is the one library with something to set */
void
db_init(void)
{
	/* SQLITE_MISUSE when the library is already in use: then nothing */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#define DB_FILE_MODE 0640

/* The directory part of path ("." for a bare name), in buf. */
static const char *
dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return ".";
	if (slash == path)
		return "/";
	snprintf(buf, size, "%.*s", (int)(slash - path), path);
	return buf;
}

/* Creates path 0640 if it does not exist; says which directory is missing
 * or not writable.  Returns 0 or -1. */
static int
create_file(const char *path, struct err *err)
{
	char dbuf[4096];
	const char *dir = dir_of(path, dbuf, sizeof(dbuf));
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, DB_FILE_MODE);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno == ENOENT)
		err_set(err, "sqlite %s: directory %s does not exist (create it, e.g. "
			"install -d -m 750 %s, or choose another store with --db, TLSRPT_DB "
			"or database_url)", path, dir, dir);
	else if (errno == EACCES || errno == EROFS || errno == EPERM)
		err_set(err, "sqlite %s: cannot create the store: directory %s is not "
			"writable by uid %ld (%s)", path, dir, (long)geteuid(), strerror(errno));
	else
		err_set(err, "sqlite %s: creating the store: %s", path, strerror(errno));
	return -1;
}

/* Opens a "file:" URI for path with the given query ("mode=ro" …). */
static int
open_uri(const char *path, const char *query, sqlite3 **db)
{
	char *uri = sqlite3_mprintf("file:%s?%s", path, query);
	int rc;

	/* a path with '?' or '#' would need escaping: use the plain path */
	if (strpbrk(path, "?#%") != NULL) {
		sqlite3_free(uri);
		return sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				       NULL);
	}
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	return rc;
}

/* Opens path read-only (see the top of the file). */
static int
open_readonly(struct conn *c, const char *path, struct err *err)
{
	char shm[4200], dbuf[4096];
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			err_set(err, "sqlite %s: the store does not exist (nothing stored yet, "
				"or a mistyped --db, TLSRPT_DB or database_url?)", path);
		else
			err_set(err, "sqlite %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(shm, sizeof(shm), "%s-shm", path);
	rc = open_uri(path, "mode=ro", &c->db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK && access(shm, F_OK) < 0 &&
	    access(dir_of(path, dbuf, sizeof(dbuf)), W_OK) < 0) {
		/* no writer (it would hold a -shm file) and none can appear
		 * without write access to the directory: the file is fixed */
		sqlite3_close(c->db);
		c->db = NULL;
		rc = open_uri(path, "immutable=1", &c->db);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL,
					  NULL, NULL);
		if (rc == SQLITE_OK) {
			c->shm_path = xstrdup(shm);
			c->path = xstrdup(path);
			c->file_st = st;
		}
	}
	if (rc != SQLITE_OK) {
		err_set(err, "sqlite %s: opening read-only: %s", path,
			c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* Splits "PATH?synchronous=full|normal" into a new copy of PATH (caller
 * frees) and the PRAGMA to run; a path without that suffix is taken
 * whole, with NORMAL.  Returns NULL with err set on another value. */
static char *
split_synchronous(const char *target, const char **pragma, struct err *err)
{
	const char *q = strrchr(target, '?');
	static const char key[] = "?synchronous=";

	*pragma = "PRAGMA synchronous=NORMAL;";
	if (q == NULL || strncmp(q, key, sizeof(key) - 1) != 0)
		return xstrdup(target);
	if (strcmp(q + sizeof(key) - 1, "full") == 0) {
		*pragma = "PRAGMA synchronous=FULL;";
	} else if (strcmp(q + sizeof(key) - 1, "normal") != 0) {
		err_set(err, "sqlite %s: synchronous must be full or normal", target);
		return NULL;
	}
	return xstrndup(target, (size_t)(q - target));
}

static void *
sq_open(const char *target, unsigned flags, struct err *err)
{
	struct conn *c;
	const char *sync;
	char *path = split_synchronous(target, &sync, err);
	int rc;

	if (path == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	if (flags & DB_OPEN_READONLY) {
		if (open_readonly(c, path, err) < 0)
			goto fail;
		sqlite3_extended_result_codes(c->db, 1);
		sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
		if (run(c, "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
			   "PRAGMA temp_store=MEMORY;", err) < 0) {
			err_prefix(err, "sqlite %s", path);
			goto fail;
		}
		free(path);
		return c;
	}
	/* ":memory:" (tests) is no file */
	if (strcmp(path, ":memory:") != 0 && create_file(path, err) < 0)
		goto fail;
	if (strcmp(path, ":memory:") != 0 && access(path, W_OK) < 0 &&
	    (errno == EACCES || errno == EROFS)) {
		err_set(err, "sqlite %s: not writable by uid %ld (this command writes; "
			"summary and alert --dry-run only read)", path, (long)geteuid());
		goto fail;
	}
	rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		err_set(err, "sqlite %s: %s", path,
			c->db != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
	/* Set on an empty file only (it takes effect when the first table is
	 * created): lets `tlsrpt prune` give freed pages back to the system. */
	if (run(c, "PRAGMA auto_vacuum=INCREMENTAL", err) < 0) {
		err_prefix(err, "sqlite %s", path);
		goto fail;
	}
	/* Switching a new file to WAL needs an exclusive lock, and SQLite
	 * gives up at once (no busy handler) when another process holds one,
	 * e.g. several collectors starting together on a fresh store. */
	for (int i = 0; (rc = run(c, "PRAGMA journal_mode=WAL", err)) < 0 &&
			(c->last_rc & 0xff) == SQLITE_BUSY && i < BUSY_TIMEOUT_MS / 20; i++)
		sqlite3_sleep(20);
	if (rc < 0 || run(c, sync, err) < 0 ||
	    run(c, "PRAGMA foreign_keys=OFF;"
			 "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
			 "PRAGMA wal_autocheckpoint=16384; PRAGMA temp_store=MEMORY;", err) < 0) {
		err_prefix(err, "sqlite %s", path);
		goto fail;
	}
	free(path);
	return c;
fail:
	sqlite3_close(c->db);
	free(c->shm_path);
	free(c->path);
	free(c);
	free(path);
	return NULL;
}

static void
sq_close(void *conn)
{
	struct conn *c = conn;

	sqlite3_close(c->db);
	free(c->shm_path);
	free(c->path);
	free(c);
}

static int
sq_exec(void *conn, const char *sql, struct err *err)
{
	return run(conn, sql, err);
}

static void *
sq_prepare(void *conn, const char *sql, struct err *err)
{
	struct conn *c = conn;
	struct stmt *s;
	sqlite3_stmt *st = NULL;
	int rc, n;

	rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	c->last_rc = rc;
	if (rc != SQLITE_OK) {
		err_set(err, "sqlite: prepare: %s", sqlite3_errmsg(c->db));
		sqlite3_finalize(st);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->c = c;
	s->st = st;
	n = sqlite3_bind_parameter_count(st);
	s->n_map = n + 1;
	s->map = xcalloc((size_t)s->n_map, sizeof(*s->map));
	for (int i = 1; i <= n; i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		long k;
		char *end;

		if (name == NULL || name[0] != '$')
			continue;
		k = strtol(name + 1, &end, 10);
		/* $N never exceeds the parameter count in well-formed SQL */
		if (*end == '\0' && k > 0 && k < s->n_map)
			s->map[k] = i;
	}
	return s;
}

static void
sq_finalize(void *impl)
{
	struct stmt *s = impl;

	sqlite3_finalize(s->st);
	free(s->map);
	free(s);
}

static int
index_of(const struct stmt *s, int i)
{
	return i > 0 && i < s->n_map ? s->map[i] : 0;
}

/* Binds v (NULL: SQL NULL) to $i, copied (SQLITE_TRANSIENT) or not
 * (SQLITE_STATIC: v lives until the statement is reset). */
static void
bind_text_as(void *impl, int i, const char *v, sqlite3_destructor_type how)
{
	struct stmt *s = impl;
	int k = index_of(s, i);

	if (k == 0)
		return;
	if (v == NULL)
		sqlite3_bind_null(s->st, k);
	else
		sqlite3_bind_text(s->st, k, v, -1, how);
}

static void
sq_bind_text(void *impl, int i, const char *v)
{
	bind_text_as(impl, i, v, SQLITE_TRANSIENT);
}

static void
sq_bind_text_static(void *impl, int i, const char *v)
{
	bind_text_as(impl, i, v, SQLITE_STATIC);
}

static void
sq_bind_int64(void *impl, int i, int64_t v)
{
	struct stmt *s = impl;
	int k = index_of(s, i);

	if (k != 0)
		sqlite3_bind_int64(s->st, k, v);
}

static int
sq_step(void *impl, struct err *err)
{
	struct stmt *s = impl;
	int rc;

	rc = sqlite3_step(s->st);
	s->c->last_rc = rc;
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	err_set(err, "sqlite: %s", sqlite3_errmsg(s->c->db));
	sqlite3_reset(s->st);
	return -1;
}

static const char *
sq_column_text(void *impl, int col)
{
	struct stmt *s = impl;

	return (const char *)sqlite3_column_text(s->st, col);
}

static int64_t
sq_column_int64(void *impl, int col)
{
	struct stmt *s = impl;

	return sqlite3_column_int64(s->st, col);
}

static void
sq_reset(void *impl)
{
	struct stmt *s = impl;

	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
}

static int
sq_is_retryable(void *conn)
{
	struct conn *c = conn;
	int rc = c->last_rc & 0xff;

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

static int64_t
sq_inserted_id(void *conn)
{
	struct conn *c = conn;

	return sqlite3_changes(c->db) > 0 ? sqlite3_last_insert_rowid(c->db) : 0;
}

/* sqlite3_wal_hook(): notes the log's length after each commit.  Setting
 * a hook replaces the connection's autocheckpoint (which is such a hook). */
static int
wal_note(void *arg, sqlite3 *db, const char *name, int n_frames)
{
	struct conn *c = arg;

	(void)db;
	(void)name;
	c->wal_frames = n_frames;
	return SQLITE_OK;
}

static void
sq_wal_manual(void *conn)
{
	struct conn *c = conn;

	sqlite3_wal_hook(c->db, wal_note, c);
}

static long
sq_wal_frames(void *conn)
{
	return ((struct conn *)conn)->wal_frames;
}

static int
sq_checkpoint(void *conn, struct err *err)
{
	struct conn *c = conn;
	int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	c->last_rc = rc;
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
		err_set(err, "sqlite: checkpoint: %s", sqlite3_errmsg(c->db));
		return -1;
	}
	return 0;
}

/* An immutable handle assumes nobody writes: a writer that has the file
 * open holds a -shm file, one that has finished changed the file. */
static int
sq_is_stale(void *conn)
{
	struct conn *c = conn;
	struct stat st;

	if (c->shm_path == NULL)
		return 0;
	return access(c->shm_path, F_OK) == 0 || stat(c->path, &st) < 0 ||
	       st.st_ino != c->file_st.st_ino || st.st_size != c->file_st.st_size ||
	       st.st_mtim.tv_sec != c->file_st.st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != c->file_st.st_mtim.tv_nsec;
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.dialect = DB_DIALECT_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.bind_text = sq_bind_text,
	.bind_text_static = sq_bind_text_static,
	.bind_int64 = sq_bind_int64,
	.step = sq_step,
	.column_text = sq_column_text,
	.column_int64 = sq_column_int64,
	.reset = sq_reset,
	.is_retryable = sq_is_retryable,
	.is_stale = sq_is_stale,
	.inserted_id = sq_inserted_id,
	.wal_manual = sq_wal_manual,
	.wal_frames = sq_wal_frames,
	.checkpoint = sq_checkpoint,
};
