/*
 * store_fetch_seen: the memory of `tlsrpt fetch` for file sources
 * (store_fetch_seen.h).  One row per processed item; nothing expires (a
 * row is 3 short columns; a mailbox of 100 000 mails is a few MB).
 */
#include "store/store_fetch_seen.h"

#include <stdlib.h>

#include "store/store_private.h"

int
store_fetch_seen_schema(struct store *s, struct err *err)
{
	char *sql = db_sql_dialect(s->db,
				   "CREATE TABLE IF NOT EXISTS fetch_seen ("
				   " source TEXT NOT NULL,"
				   " digest BIGINT NOT NULL,"
				   " processed BIGINT NOT NULL,"
				   " UNIQUE (source, digest));");
	int rc = db_exec(s->db, sql, err);

	free(sql);
	return rc;
}

int64_t
store_fetch_digest(const void *data, size_t len)
{
	return store_digest64(data, len);
}

int
store_fetch_seen(struct store *s, const char *source, int64_t digest, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT 1 FROM fetch_seen WHERE source = $1"
					" AND digest = $2", err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, source);
	db_bind_int64(st, 2, digest);
	rc = db_step(st, err);
	db_reset(st);
	return rc;
}

int
store_fetch_remember(struct store *s, const char *source, int64_t digest, int64_t now,
		     struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, "INSERT INTO fetch_seen (source, digest, processed)"
					" VALUES ($1, $2, $3) ON CONFLICT (source, digest) DO NOTHING",
					err);
	int rc;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, source);
	db_bind_int64(st, 2, digest);
	db_bind_int64(st, 3, now);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
