/*
 * store: opening a store (backend from the URL, schema created or
 * migrated), transactions and helpers shared by the store_*.c files.
 *
 * Migrations are applied one step per transaction.  Each transaction first
 * takes the schema lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
 * transaction lock) and re-reads the version, so several processes opening
 * a fresh store at once apply each step exactly once.  Nested store_begin()
 * calls become savepoints, so a function that runs its own transaction can
 * be called inside a caller's.
 */
#include "store/store.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "store/store_private.h"
#include "store/store_reports.h"
#include "store/store_rollup_batch.h"
#include "util/xalloc.h"

/* An arbitrary constant naming our PostgreSQL advisory lock (RFC number). */
#define SCHEMA_LOCK "SELECT pg_advisory_xact_lock(8460)"

static int
tx_begin(struct db *db, struct err *err)
{
	if (db_dialect(db) == DB_DIALECT_SQLITE)
		return db_exec(db, "BEGIN IMMEDIATE", err);
	return db_exec(db, "BEGIN", err);
}

/* Reads the current schema version into *v (0 for a new store). */
static int
read_version(struct db *db, int *v, struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (db_exec(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
		    err) < 0)
		return -1;
	st = db_prepare(db, "SELECT MAX(version) FROM schema_version", err);
	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	*v = rc == 1 ? (int)db_column_int64(st, 0) : 0;
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Applies the next step if the store is behind.  Returns 1 if a step was
 * applied, 0 if the schema is current, -1 on error. */
static int
migrate_one(struct store *s, struct err *err)
{
	const size_t n = store_schema_n_migrations;
	const int latest = store_schema_migrations[n - 1].version;
	struct db_stmt *st;
	char *sql = NULL;
	int v, rc = -1;

	if (tx_begin(s->db, err) < 0)
		return -1;
	if (db_dialect(s->db) == DB_DIALECT_PG && db_exec(s->db, SCHEMA_LOCK, err) < 0)
		goto out;
	if (read_version(s->db, &v, err) < 0)
		goto out;
	s->version = v;
	if (v > latest) {
		err_set(err, "schema version %d is newer than this program knows (%d)", v, latest);
		goto out;
	}
	if (v == latest) {
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (store_schema_migrations[i].version != v + 1)
			continue;
		sql = db_sql_dialect(s->db, store_schema_migrations[i].sql);
		if (*sql != '\0' && db_exec(s->db, sql, err) < 0) {
			err_prefix(err, "schema step %d", v + 1);
			goto out;
		}
		for (size_t k = 0; k < store_schema_n_programs; k++) {
			if (store_schema_programs[k].version == v + 1 &&
			    store_schema_programs[k].run(s, err) < 0) {
				err_prefix(err, "schema step %d", v + 1);
				goto out;
			}
		}
		st = db_prepare(s->db, "INSERT INTO schema_version (version) VALUES ($1)", err);
		if (st == NULL)
			goto out;
		db_bind_int64(st, 1, v + 1);
		if (db_step(st, err) < 0)
			goto out;
		db_reset(st);
		s->version = v + 1;
		rc = 1;
		break;
	}
	if (rc != 1)
		err_set(err, "no schema step from version %d", v);
out:
	free(sql);
	if (rc < 0) {
		db_exec(s->db, "ROLLBACK", NULL);
		return -1;
	}
	if (db_exec(s->db, "COMMIT", err) < 0) {
		db_exec(s->db, "ROLLBACK", NULL);
		return -1;
	}
	return rc;
}

struct store *
store_open(const char *url, struct err *err)
{
	struct store *s;
	int rc;

	s = xcalloc(1, sizeof(*s));
	s->db = db_open(url, err);
	if (s->db == NULL)
		goto fail;
	while ((rc = migrate_one(s, err)) == 1)
		;
	if (rc < 0)
		goto fail;
	return s;
fail:
	store_close(&s);
	return NULL;
}

/* Reads the schema version of a store opened read-only.  Returns 0 or -1. */
static int
check_version_readonly(struct store *s, struct err *err)
{
	const int latest = store_schema_migrations[store_schema_n_migrations - 1].version;
	struct db_stmt *st;
	struct err why;
	int rc;

	st = db_prepare(s->db, "SELECT MAX(version) FROM schema_version", &why);
	if (st == NULL) {
		err_set(err, "the database holds no tlsrpt store (no schema_version table: "
			"a mistyped URL, or nothing stored yet?)");
		return -1;
	}
	rc = db_step(st, err);
	s->version = rc == 1 ? (int)db_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc < 0)
		return -1;
	if (s->version != latest) {
		err_set(err, "the store is at schema version %d, this program reads version %d%s",
			s->version, latest, s->version < latest ? " (any command that writes, "
			"e.g. tlsrpt parse or collectd, migrates it)" : "");
		return -1;
	}
	return 0;
}

struct store *
store_open_readonly(const char *url, struct err *err)
{
	struct store *s;

	s = xcalloc(1, sizeof(*s));
	s->db = db_open_flags(url, DB_OPEN_READONLY, err);
	if (s->db == NULL || check_version_readonly(s, err) < 0)
		goto fail;
	return s;
fail:
	store_close(&s);
	return NULL;
}

int
store_is_stale(struct store *s)
{
	return db_is_stale(s->db);
}

char *
store_url_redact(const char *url)
{
	return db_url_redact(url);
}

void
store_set_scope(struct store *s, const struct domain_scope *scope)
{
	s->scope = scope;
}

void
store_close(struct store **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	if ((*sp)->depth > 0)
		db_exec((*sp)->db, "ROLLBACK", NULL);
	rollup_batch_free(&(*sp)->rollup_batch);
	db_close(&(*sp)->db);
	if ((*sp)->digester != NULL)
		store_digester_free((*sp)->digester);
	free((*sp)->digester);
	free(*sp);
	*sp = NULL;
}

/* Runs a SAVEPOINT or RELEASE statement: on SQLite through the statement
 * cache, since sqlite3_exec() parses it again every time (~18 000
 * instructions, a tenth of what the serve intake spends writing one
 * report under a savepoint of its own); PostgreSQL cannot prepare it. */
static int
exec_savepoint(struct db *db, const char *sql, struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (db_dialect(db) != DB_DIALECT_SQLITE)
		return db_exec(db, sql, err);
	st = db_prepare(db, sql, err);
	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_begin(struct store *s, struct err *err)
{
	char sql[48];

	if (s->depth == 0) {
		store_rollup_batch_discard(s);
		if (tx_begin(s->db, err) < 0)
			return -1;
	} else {
		/* what is pending belongs to the enclosing level: a roll-back
		 * of the new one must not take it along (a lost lock writing
		 * it fails the enclosing transaction: retryable, as a whole) */
		if (store_rollup_batch_flush(s, err) < 0) {
			s->put_retryable = db_is_retryable(s->db);
			return -1;
		}
		snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", s->depth);
		if (exec_savepoint(s->db, sql, err) < 0)
			return -1;
	}
	s->depth++;
	return 0;
}

int
store_commit(struct store *s, struct err *err)
{
	char sql[48];

	if (s->depth == 0) {
		err_set(err, "commit without a transaction");
		return -1;
	}
	if (s->depth > 1) {
		snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%d", s->depth - 1);
		if (exec_savepoint(s->db, sql, err) < 0)
			return -1;
		s->depth--;
		return 0;
	}
	if (store_rollup_batch_flush(s, err) < 0) {
		s->put_retryable = db_is_retryable(s->db);   /* before ROLLBACK clears it */
		db_exec(s->db, "ROLLBACK", NULL);
		s->depth = 0;
		return -1;
	}
	if (db_exec(s->db, "COMMIT", err) < 0) {
		/* a failed COMMIT leaves the transaction open on PostgreSQL */
		s->put_retryable = db_is_retryable(s->db);
		db_exec(s->db, "ROLLBACK", NULL);
		s->depth = 0;
		return -1;
	}
	s->depth = 0;
	return 0;
}

void
store_rollback(struct store *s)
{
	char sql[80];

	if (s->depth == 0)
		return;
	store_rollup_batch_discard(s);   /* all of it was added at this level */
	db_batch_discard(s->db);         /* rows kept for a group, not sent */
	if (s->depth > 1) {
		snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT sp%d; RELEASE SAVEPOINT sp%d",
			 s->depth - 1, s->depth - 1);
		db_exec(s->db, sql, NULL);
	} else {
		db_exec(s->db, "ROLLBACK", NULL);
	}
	s->depth--;
}

int
store_put_report_retryable(const struct store *s)
{
	return s->put_retryable;
}

int
store_schema_version(struct store *s)
{
	return s->version;
}

int
store_plan_per_run(struct store *s, struct err *err)
{
	if (db_dialect(s->db) != DB_DIALECT_PG)
		return 0;
	return db_exec(s->db, "SET plan_cache_mode = force_custom_plan", err);
}

int
store_writers_overlap(const struct store *s)
{
	return db_dialect(s->db) == DB_DIALECT_PG;
}

void
store_wal_manual(struct store *s)
{
	db_wal_manual(s->db);
}

long
store_wal_frames(struct store *s)
{
	return db_wal_frames(s->db);
}

int
store_checkpoint(struct store *s, struct err *err)
{
	return db_checkpoint(s->db, err);
}

int
store_ping(struct store *s, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT 1 FROM reports LIMIT 1", err);
	int rc;

	if (st == NULL)
		return -1;
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int64_t
store_digest64(const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	uint64_t v = 0;

	SHA256(data, len, md);
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return (int64_t)v;
}

void
store_digester_init(struct store_digester *d)
{
	d->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	d->ctx = EVP_MD_CTX_new();
}

void
store_digester_free(struct store_digester *d)
{
	EVP_MD_CTX_free(d->ctx);
	EVP_MD_free(d->md);
	d->md = d->ctx = NULL;
}

int64_t
store_digester_digest64(struct store_digester *d, const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	uint64_t v = 0;

	/* Without the fetched implementation (out of memory), the slow path
	 * gives the same digest. */
	if (d->md == NULL || d->ctx == NULL ||
	    EVP_DigestInit_ex2(d->ctx, d->md, NULL) != 1 ||
	    EVP_DigestUpdate(d->ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(d->ctx, md, NULL) != 1)
		return store_digest64(data, len);
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return (int64_t)v;
}

int64_t
store_handle_digest64(struct store *s, const void *data, size_t len)
{
	if (s->digester == NULL) {
		s->digester = xcalloc(1, sizeof(*s->digester));
		store_digester_init(s->digester);
	}
	return store_digester_digest64(s->digester, data, len);
}

char *
store_lower(const char *s)
{
	char *l = xstrdup(s != NULL ? s : "");

	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

void
store_bind_filter(struct db_stmt *st, int64_t since, int64_t until, const char *domain)
{
	char *key = domain != NULL ? report_domain_key(domain) : NULL;

	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, key);       /* NULL: all domains */
	free(key);
}
