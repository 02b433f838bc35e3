/*
 * store_users: users, grants, API tokens and login sessions (see
 * store_users.h).  Portable SQL through db.h; "did it change a row" is
 * read from RETURNING, which both engines support.
 */
#include "store/store_users.h"

#include <stdio.h>
#include <string.h>

#include "store/store_private.h"

/* IF NOT EXISTS: tests replay the steps after 4 on a store that has them */
const char store_users_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS users ("
	" id @ID@,"
	" name TEXT NOT NULL UNIQUE,"
	" password_hash TEXT NOT NULL,"
	" admin INTEGER NOT NULL,"
	" created BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS user_grants ("
	" user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" pattern TEXT NOT NULL,"
	" PRIMARY KEY (user_id, pattern));"
	"CREATE TABLE IF NOT EXISTS user_tokens ("
	" token_hash TEXT PRIMARY KEY,"
	" user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" label TEXT NOT NULL,"
	" created BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS user_sessions ("
	" session_hash TEXT PRIMARY KEY,"
	" user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" csrf TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" expires BIGINT NOT NULL);";

/* Runs st (bound) and returns how many rows it gave (RETURNING), or -1. */
static int
count_rows(struct db_stmt *st, struct err *err)
{
	int rc, n = 0;

	while ((rc = db_step(st, err)) == 1)
		n++;
	db_reset(st);
	return rc < 0 ? -1 : n;
}

static void
copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src != NULL ? src : "");
}

int
store_user_add(struct store *s, const char *name, const char *password_hash,
	       int admin, int64_t now, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"INSERT INTO users (name, password_hash, admin, created) VALUES ($1, $2, $3, $4)"
		" ON CONFLICT (name) DO NOTHING RETURNING id", err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, password_hash);
	db_bind_int64(st, 3, admin ? 1 : 0);
	db_bind_int64(st, 4, now);
	return count_rows(st, err);
}

/* Runs sql with $1 = name and, unless NULL, $2 = arg.  Returns how many
 * rows it gave (RETURNING), or -1. */
static int
rows_of_user(struct store *s, const char *sql, const char *name, const char *arg,
	     struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql, err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	if (arg != NULL)
		db_bind_text(st, 2, arg);
	return count_rows(st, err);
}

/* Deletes the rows (sql: "DELETE … OF_USER") of user `name`; 0 or -1. */
static int
del_of_user(struct store *s, const char *sql, const char *name, struct err *err)
{
	return rows_of_user(s, sql, name, NULL, err) < 0 ? -1 : 0;
}

#define OF_USER " WHERE user_id IN (SELECT id FROM users WHERE name = $1)"

int
store_user_set_password(struct store *s, const char *name, const char *password_hash,
			struct err *err)
{
	struct db_stmt *st;
	int n;

	if (store_begin(s, err) < 0)
		return -1;
	st = db_prepare(s->db, "UPDATE users SET password_hash = $2 WHERE name = $1"
			" RETURNING id", err);
	if (st == NULL)
		goto fail;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, password_hash);
	if ((n = count_rows(st, err)) < 0 ||
	    del_of_user(s, "DELETE FROM user_sessions" OF_USER, name, err) < 0 ||
	    store_commit(s, err) < 0)
		goto fail;
	return n > 0;
fail:
	store_rollback(s);
	return -1;
}

int
store_user_del(struct store *s, const char *name, struct err *err)
{
	struct db_stmt *st;
	int n;

	/* explicit deletes rather than relying on ON DELETE CASCADE, which
	 * SQLite honours only with PRAGMA foreign_keys on */
	if (store_begin(s, err) < 0)
		return -1;
	if (del_of_user(s, "DELETE FROM user_sessions" OF_USER, name, err) < 0 ||
	    del_of_user(s, "DELETE FROM user_tokens" OF_USER, name, err) < 0 ||
	    del_of_user(s, "DELETE FROM user_grants" OF_USER, name, err) < 0)
		goto fail;
	st = db_prepare(s->db, "DELETE FROM users WHERE name = $1 RETURNING id", err);
	if (st == NULL)
		goto fail;
	db_bind_text(st, 1, name);
	if ((n = count_rows(st, err)) < 0 || store_commit(s, err) < 0)
		goto fail;
	return n > 0;
fail:
	store_rollback(s);
	return -1;
}

/* Reads (id, name, admin) of the one row st (bound) gives into u, and its
 * fourth column into extra (extra_size bytes) unless NULL.  Returns 1, 0
 * if no row, or -1. */
static int
one_user(struct db_stmt *st, struct store_user *u, char *extra, size_t extra_size,
	 struct err *err)
{
	int rc;

	memset(u, 0, sizeof(*u));
	rc = db_step(st, err);
	if (rc == 1) {
		u->id = db_column_int64(st, 0);
		copy(u->name, sizeof(u->name), db_column_text(st, 1));
		u->admin = db_column_int64(st, 2) != 0;
		if (extra != NULL)
			copy(extra, extra_size, db_column_text(st, 3));
	}
	db_reset(st);
	return rc;
}

int
store_user_get(struct store *s, const char *name, struct store_user *u, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"SELECT id, name, admin, password_hash FROM users WHERE name = $1", err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	return one_user(st, u, u->password_hash, sizeof(u->password_hash), err);
}

int
store_user_list(struct store *s, store_user_cb cb, void *ctx, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"SELECT id, name, admin FROM users ORDER BY name", err);
	struct store_user u;
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = db_step(st, err)) == 1) {
		memset(&u, 0, sizeof(u));
		u.id = db_column_int64(st, 0);
		copy(u.name, sizeof(u.name), db_column_text(st, 1));
		u.admin = db_column_int64(st, 2) != 0;
		if ((rc = cb(ctx, &u)) != 0)
			break;
	}
	db_reset(st);
	return rc;
}

int
store_grant_add(struct store *s, const char *name, const char *pattern, struct err *err)
{
	return rows_of_user(s,
		"INSERT INTO user_grants (user_id, pattern) SELECT id, CAST($2 AS TEXT) FROM users"
		" WHERE name = $1 ON CONFLICT (user_id, pattern) DO NOTHING RETURNING user_id",
		name, pattern, err);
}

int
store_grant_del(struct store *s, const char *name, const char *pattern, struct err *err)
{
	return rows_of_user(s, "DELETE FROM user_grants" OF_USER
			    " AND pattern = $2 RETURNING user_id", name, pattern, err);
}

int
store_grant_list(struct store *s, int64_t user_id, store_grant_cb cb, void *ctx,
		 struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"SELECT DISTINCT pattern FROM user_grants WHERE user_id = $1 OR CAST($1 AS BIGINT) = 0"
		" ORDER BY pattern", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, user_id);
	while ((rc = db_step(st, err)) == 1)
		if ((rc = cb(ctx, db_column_text(st, 0))) != 0)
			break;
	db_reset(st);
	return rc;
}

int
store_token_add(struct store *s, const char *name, const char *token_hash,
		const char *label, int64_t now, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"INSERT INTO user_tokens (token_hash, user_id, label, created)"
		" SELECT CAST($2 AS TEXT), id, CAST($3 AS TEXT), CAST($4 AS BIGINT) FROM users"
		" WHERE name = $1 RETURNING user_id", err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, token_hash);
	db_bind_text(st, 3, label);
	db_bind_int64(st, 4, now);
	return count_rows(st, err);
}

int
store_token_del(struct store *s, const char *name, const char *label, struct err *err)
{
	return rows_of_user(s, "DELETE FROM user_tokens" OF_USER
			    " AND label = $2 RETURNING user_id", name, label, err);
}


int
store_token_user(struct store *s, const char *token_hash, struct store_user *u,
		 struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"SELECT u.id, u.name, u.admin FROM user_tokens t JOIN users u ON u.id = t.user_id"
		" WHERE t.token_hash = $1", err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, token_hash);
	return one_user(st, u, NULL, 0, err);
}

int
store_session_add(struct store *s, int64_t user_id, const char *session_hash,
		  const char *csrf, int64_t now, int64_t expires, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"DELETE FROM user_sessions WHERE expires <= $1", err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	if (count_rows(st, err) < 0)
		return -1;
	st = db_prepare(s->db, "INSERT INTO user_sessions (session_hash, user_id, csrf,"
			" created, expires) VALUES ($1, $2, $3, $4, $5)", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, session_hash);
	db_bind_int64(st, 2, user_id);
	db_bind_text(st, 3, csrf);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, expires);
	return count_rows(st, err) < 0 ? -1 : 0;
}

int
store_session_user(struct store *s, const char *session_hash, int64_t now,
		   struct store_user *u, char csrf[65], struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"SELECT u.id, u.name, u.admin, x.csrf FROM user_sessions x"
		" JOIN users u ON u.id = x.user_id WHERE x.session_hash = $1 AND x.expires > $2",
		err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, session_hash);
	db_bind_int64(st, 2, now);
	return one_user(st, u, csrf, 65, err);
}

int
store_session_del(struct store *s, const char *session_hash, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db,
		"DELETE FROM user_sessions WHERE session_hash = $1", err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, session_hash);
	return count_rows(st, err) < 0 ? -1 : 0;
}
