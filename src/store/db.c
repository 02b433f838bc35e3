/*
 * db: picks the backend from the URL, caches prepared statements per
 * handle (keyed by SQL text; the store prepares a few dozen distinct
 * statements, so a linear search is enough) and forwards every call to
 * the backend's ops table.
 *
 * The search compares the caller's pointer first: nearly every statement
 * is a constant string, so a hit costs one full strcmp() instead of one
 * per cached statement before it (~30 a lookup, ~3k instructions per
 * stored report).  A statement is reset by db_prepare() only when it was
 * used since its last reset (a reset clears every binding, ~300
 * instructions each).
 */
#include "store/db.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_batch.h"
#include "util/buf.h"
#include "util/xalloc.h"

struct db {
	const struct db_ops *ops;
	void *conn;
	struct db_stmt **cache;
	size_t n_cache;
	size_t cap_cache;
	struct db_batch *batch;    /* batch mode (db_batch_begin()), or NULL */
	int warmed;                /* warm_server() ran */
};

struct db_stmt {
	struct db *db;
	char *sql;
	uintptr_t caller_sql;   /* the address the caller passed first (only
				 * compared: it may be gone) */
	int used;               /* bound or run since the last reset */
	void *impl;
};

/* Returns the length of a leading URL scheme ("name:"), 0 if none. */
static size_t
scheme_len(const char *url)
{
	size_t n = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while (url[n] != '\0' && strchr("abcdefghijklmnopqrstuvwxyz"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-", url[n]) != NULL)
		n++;
	return url[n] == ':' ? n + 1 : 0;
}

char *
db_url_redact(const char *url)
{
	char *r = xstrdup(url != NULL ? url : "");
	char *p, *at, *colon, *end;
	struct buf b;
	size_t len;

	/* scheme://user:password@host */
	if ((p = strstr(r, "://")) != NULL) {
		p += 3;
		end = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(end - p));
		colon = at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
		if (colon != NULL) {
			buf_init(&b, strlen(r) + 4);
			buf_append(&b, r, (size_t)(colon + 1 - r));
			buf_append_str(&b, "***");
			buf_append_str(&b, at);
			free(r);
			r = buf_steal(&b, &len);
		}
	}
	/* password=… as a query parameter or a conninfo keyword */
	for (p = r; (p = strstr(p, "password=")) != NULL; ) {
		p += 9;
		end = p + strcspn(p, "& ");
		if (end - p >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, end, strlen(end) + 1);
		} else {
			memset(p, '*', (size_t)(end - p));
		}
		p += 3 < end - p ? 3 : end - p;
	}
	return r;
}

struct db *
db_open(const char *url, struct err *err)
{
	return db_open_flags(url, 0, err);
}

struct db *
db_open_flags(const char *url, unsigned flags, struct err *err)
{
	const struct db_ops *ops = &db_sqlite_ops;
	const char *target = url;
	struct db *db;
	void *conn;
	size_t n;

	if (url == NULL || *url == '\0') {
		err_set(err, "empty database URL");
		return NULL;
	}
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		ops = &db_pg_ops;
	} else if (strncmp(url, "sqlite:", 7) == 0) {
		target = url + 7;
		/* sqlite:///abs/path and sqlite://rel are accepted too */
		if (strncmp(target, "//", 2) == 0)
			target += 2;
	} else if ((n = scheme_len(url)) > 0) {
		err_set(err, "database URL: unknown scheme \"%.*s\" (use sqlite:PATH, a plain "
			"PATH, or postgresql://...; for a file whose name has a colon write "
			"./NAME)", (int)(n > 40 ? 40 : n), url);
		return NULL;
	}
	if (*target == '\0') {
		err_set(err, "database URL 'sqlite:': no path");
		return NULL;
	}
	conn = ops->open(target, flags, err);
	if (conn == NULL)
		return NULL;
	db = xcalloc(1, sizeof(*db));
	db->ops = ops;
	db->conn = conn;
	return db;
}

void
db_close(struct db **dbp)
{
	struct db *db;

	if (dbp == NULL || *dbp == NULL)
		return;
	db = *dbp;
	db_batch_discard(db);
	for (size_t i = 0; i < db->n_cache; i++) {
		db->ops->finalize(db->cache[i]->impl);
		free(db->cache[i]->sql);
		free(db->cache[i]);
	}
	free(db->cache);
	db->ops->close(db->conn);
	free(db);
	*dbp = NULL;
}

enum db_dialect
db_dialect(const struct db *db)
{
	return db->ops->dialect;
}

char *
db_sql_dialect(const struct db *db, const char *sql)
{
	const int pg = db->ops->dialect == DB_DIALECT_PG;
	const char *id = pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY";
	const char *clustered = pg ? "" : " WITHOUT ROWID";
	struct buf b;
	const char *p = sql, *q;
	size_t len;

	buf_init(&b, strlen(sql) * 4 + 64);
	while ((q = strchr(p, '@')) != NULL) {
		buf_append(&b, p, (size_t)(q - p));
		if (strncmp(q, "@ID@", 4) == 0) {
			buf_append_str(&b, id);
			p = q + 4;
		} else if (strncmp(q, "@CLUSTERED@", 11) == 0) {
			buf_append_str(&b, clustered);
			p = q + 11;
		} else {
			buf_append(&b, q, 1);
			p = q + 1;
		}
	}
	buf_append_str(&b, p);
	return buf_steal(&b, &len);
}

int
db_exec(struct db *db, const char *sql, struct err *err)
{
	return db->ops->exec(db->conn, sql, err);
}

/* st, reset (its bindings cleared) unless unused since its last reset. */
static struct db_stmt *
reset_if_used(struct db_stmt *st)
{
	if (st->used) {
		st->db->ops->reset(st->impl);
		st->used = 0;
	}
	return st;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql, struct err *err)
{
	struct db_stmt *st;
	void *impl;

	for (size_t i = 0; i < db->n_cache; i++) {
		st = db->cache[i];
		if (st->caller_sql == (uintptr_t)sql && strcmp(st->sql, sql) == 0)
			return reset_if_used(st);
	}
	for (size_t i = 0; i < db->n_cache; i++) {
		st = db->cache[i];
		if (strcmp(st->sql, sql) == 0)
			return reset_if_used(st);
	}
	impl = db->ops->prepare(db->conn, sql, err);
	if (impl == NULL)
		return NULL;
	st = xcalloc(1, sizeof(*st));
	st->db = db;
	st->sql = xstrdup(sql);
	st->caller_sql = (uintptr_t)sql;
	st->impl = impl;
	if (db->n_cache == db->cap_cache) {
		db->cap_cache = db->cap_cache ? db->cap_cache * 2 : 16;
		db->cache = xreallocarray(db->cache, db->cap_cache, sizeof(*db->cache));
	}
	db->cache[db->n_cache++] = st;
	return st;
}

struct db_stmt *
db_prepare_insert(struct db *db, const char *sql, struct err *err)
{
	struct db_stmt *st;
	char *full;

	if (db->ops->inserted_id != NULL)
		return db_prepare(db, sql, err);
	full = xasprintf("%s RETURNING id", sql);
	st = db_prepare(db, full, err);
	free(full);
	return st;
}

void
db_bind_text_static(struct db_stmt *st, int i, const char *s)
{
	st->used = 1;
	if (st->db->batch != NULL && db_batch_bind_text(st->db->batch, st, st->sql, i, s, 0))
		return;
	if (st->db->ops->bind_text_static != NULL)
		st->db->ops->bind_text_static(st->impl, i, s);
	else
		st->db->ops->bind_text(st->impl, i, s);
}

int
db_step_insert(struct db_stmt *st, int64_t *id, struct err *err)
{
	const struct db_ops *ops = st->db->ops;
	int rc;

	st->used = 1;
	rc = ops->step(st->impl, err);
	*id = 0;
	if (rc < 0)
		return -1;
	if (ops->inserted_id == NULL) {
		if (rc == 1)
			*id = ops->column_int64(st->impl, 0);
	} else if (rc == 0) {
		*id = ops->inserted_id(st->db->conn);
	}
	return *id != 0 ? 1 : 0;
}

void
db_bind_text(struct db_stmt *st, int i, const char *s)
{
	st->used = 1;
	if (st->db->batch != NULL && db_batch_bind_text(st->db->batch, st, st->sql, i, s, 1))
		return;
	st->db->ops->bind_text(st->impl, i, s);
}

void
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->used = 1;
	if (st->db->batch != NULL && db_batch_bind_int64(st->db->batch, st, st->sql, i, v))
		return;
	st->db->ops->bind_int64(st->impl, i, v);
}

int
db_step(struct db_stmt *st, struct err *err)
{
	st->used = 1;
	return st->db->ops->step(st->impl, err);
}

/* Steps st (a backend without send()) and resets it.  Returns 0 or -1. */
static int
step_reset(struct db_stmt *st, struct err *err)
{
	int rc = st->db->ops->step(st->impl, err);

	st->db->ops->reset(st->impl);
	return rc < 0 ? -1 : 0;
}

int
db_run(struct db_stmt *st, struct err *err)
{
	const struct db_ops *ops = st->db->ops;

	st->used = 0;
	if (st->db->batch != NULL && db_batch_row_end(st->db->batch, st, st->sql))
		return 0;
	if (ops->send != NULL)
		return ops->send(st->impl, "", err);
	return step_reset(st, err);
}

int
db_run_labeled(struct db_stmt *st, struct err *err, const char *fmt, ...)
{
	const struct db_ops *ops = st->db->ops;
	char label[DB_LABEL_MAX];
	va_list ap;

	st->used = 0;
	/* a batched row: its statement's failure is the group's */
	if (st->db->batch != NULL && db_batch_row_end(st->db->batch, st, st->sql))
		return 0;
	if (ops->send == NULL && step_reset(st, err) == 0)
		return 0;
	/* the label of a send (PostgreSQL), or of a step that failed */
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	if (ops->send != NULL)
		return ops->send(st->impl, label, err);
	err_prefix(err, "%s", label);
	return -1;
}

int
db_sync(struct db *db, struct err *err)
{
	return db->ops->sync != NULL ? db->ops->sync(db->conn, err) : 0;
}

/* The size of warm_server()'s parameter. */
#define WARM_BYTES ((size_t)1 << 20)

/* Has the server process of db (PostgreSQL) receive one WARM_BYTES
 * parameter, once.  Why: a group's statements take the server some 100
 * KiB to a few MiB of memory, which glibc's malloc gives back to the
 * kernel at each transaction's end (the heap is trimmed past 128 KiB
 * free) and takes again at the next: brk(), page faults and, worse on a
 * VM, a TLB shoot-down on the other CPUs each time; that was a fifth of
 * the server's CPU per stored report (bench/README.md).  glibc raises its
 * trim threshold to twice the largest block it has mapped and freed
 * (mallopt(3), M_MMAP_THRESHOLD, up to 32 MiB), so after this one large
 * message the heap keeps what a group needs.  A server whose allocator
 * works otherwise just reads 1 MiB once.  Errors are ignored: this only
 * saves time. */
static void
warm_server(struct db *db)
{
	struct db_stmt *st;
	struct err ignored;
	char *big;

	db->warmed = 1;
	if ((st = db_prepare(db, "SELECT length($1)", &ignored)) == NULL)
		return;
	big = xmalloc(WARM_BYTES + 1);
	memset(big, 'x', WARM_BYTES);
	big[WARM_BYTES] = '\0';
	db_bind_text_static(st, 1, big);
	while (db_step(st, &ignored) == 1)
		;
	db_reset(st);
	free(big);
}

int
db_batch_begin(struct db *db)
{
	if (db->ops->dialect != DB_DIALECT_PG)
		return 0;
	if (!db->warmed)
		warm_server(db);
	if (db->batch == NULL)
		db->batch = db_batch_new();
	return 1;
}

/* Sends one multi-row statement of the batch (db_batch_send()'s send). */
static int
send_rows(void *ctx, const char *sql, int n, const char *const *literals, struct err *err)
{
	struct db_stmt *st = db_prepare(ctx, sql, err);

	if (st == NULL)
		return -1;
	for (int k = 0; k < n; k++)
		db_bind_text_static(st, k + 1, literals[k]);
	return db_run(st, err);
}

int
db_batch_end(struct db *db, struct err *err)
{
	struct db_batch *b = db->batch;
	int rc;

	if (b == NULL)
		return 0;
	db->batch = NULL;       /* the statements below run as usual */
	rc = db_batch_send(b, send_rows, db, err);
	db_batch_free(b);
	return rc < 0 ? -1 : db_sync(db, err);
}

void
db_batch_discard(struct db *db)
{
	db_batch_free(db->batch);
	db->batch = NULL;
}

const char *
db_column_text(struct db_stmt *st, int col)
{
	return st->db->ops->column_text(st->impl, col);
}

int64_t
db_column_int64(struct db_stmt *st, int col)
{
	return st->db->ops->column_int64(st->impl, col);
}

void
db_reset(struct db_stmt *st)
{
	if (st->db->batch != NULL)
		db_batch_row_clear(st->db->batch, st);
	st->db->ops->reset(st->impl);
	st->used = 0;
}

void
db_wal_manual(struct db *db)
{
	if (db->ops->wal_manual != NULL)
		db->ops->wal_manual(db->conn);
}

long
db_wal_frames(struct db *db)
{
	return db->ops->wal_frames != NULL ? db->ops->wal_frames(db->conn) : 0;
}

int
db_checkpoint(struct db *db, struct err *err)
{
	return db->ops->checkpoint != NULL ? db->ops->checkpoint(db->conn, err) : 0;
}

int
db_is_retryable(struct db *db)
{
	return db->ops->is_retryable(db->conn);
}

int
db_is_stale(struct db *db)
{
	return db->ops->is_stale != NULL && db->ops->is_stale(db->conn);
}
