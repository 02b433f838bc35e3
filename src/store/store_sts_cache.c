/*
 * store_sts_cache: MTA-STS policy cache rows (see store_sts_cache.h).
 */
#include "store/store_sts_cache.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/xalloc.h"

const char store_sts_cache_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS sts_policies ("
	" domain TEXT PRIMARY KEY,"
	" txt_id TEXT,"
	" body TEXT NOT NULL,"
	" fetched BIGINT NOT NULL,"
	" expires BIGINT NOT NULL);";

void
store_sts_policy_clear(struct store_sts_policy *p)
{
	free(p->domain);
	free(p->id);
	free(p->body);
	memset(p, 0, sizeof(*p));
}

int
store_sts_cache_put(struct store *s, const struct store_sts_policy *p, struct err *err)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(s->db,
	    "INSERT INTO sts_policies (domain, txt_id, body, fetched, expires)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (domain) DO UPDATE SET"
	    " txt_id = excluded.txt_id, body = excluded.body, fetched = excluded.fetched,"
	    " expires = excluded.expires WHERE sts_policies.fetched <= excluded.fetched", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, p->domain);
	db_bind_text(st, 2, p->id);
	db_bind_text(st, 3, p->body);
	db_bind_int64(st, 4, p->fetched);
	db_bind_int64(st, 5, p->expires);
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0) {
		err_prefix(err, "domain=%s: storing the MTA-STS policy", p->domain);
		return -1;
	}
	return 0;
}

static void
fill(struct db_stmt *st, struct store_sts_policy *p)
{
	const char *id = db_column_text(st, 1);

	p->domain = xstrdup(db_column_text(st, 0));
	p->id = id != NULL ? xstrdup(id) : NULL;
	p->body = xstrdup(db_column_text(st, 2));
	p->fetched = db_column_int64(st, 3);
	p->expires = db_column_int64(st, 4);
}

int
store_sts_cache_get(struct store *s, const char *domain, int64_t now,
    struct store_sts_policy *p, struct err *err)
{
	struct db_stmt *st;
	int rc;

	memset(p, 0, sizeof(*p));
	st = db_prepare(s->db, "SELECT domain, txt_id, body, fetched, expires FROM sts_policies"
	    " WHERE domain = $1 AND expires > $2", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, domain);
	db_bind_int64(st, 2, now);
	rc = db_step(st, err);
	if (rc == 1)
		fill(st, p);
	db_reset(st);
	return rc;
}

int
store_sts_cache_each(struct store *s, int64_t now,
    void (*fn)(void *ctx, const struct store_sts_policy *p), void *ctx, struct err *err)
{
	struct store_sts_policy p;
	struct db_stmt *st;
	int rc, n = 0;

	st = db_prepare(s->db, "SELECT domain, txt_id, body, fetched, expires FROM sts_policies"
	    " WHERE expires > $1 ORDER BY domain", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	while ((rc = db_step(st, err)) == 1) {
		memset(&p, 0, sizeof(p));
		fill(st, &p);
		fn(ctx, &p);
		store_sts_policy_clear(&p);
		n++;
	}
	db_reset(st);
	return rc < 0 ? -1 : n;
}

int
store_sts_cache_expire(struct store *s, int64_t now, struct err *err)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(s->db, "DELETE FROM sts_policies WHERE expires <= $1", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, now);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
