/*
 * store_state: small named values (see store_state.h), one row each in
 * the `state` table, written with an upsert so concurrent writers never
 * collide on the primary key.
 */
#include "store/store_state.h"

#include <string.h>
#include <time.h>

#include "store/store_private.h"
#include "util/xalloc.h"

int
store_state_get(struct store *s, const char *ns, const char *key, char **value,
		struct err *err)
{
	struct db_stmt *st;
	int rc;

	*value = NULL;
	st = db_prepare(s->db, "SELECT value FROM state WHERE ns = $1 AND name = $2", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, ns);
	db_bind_text(st, 2, key);
	rc = db_step(st, err);
	if (rc == 1)
		*value = xstrdup(db_column_text(st, 0));
	db_reset(st);
	if (rc < 0)
		err_prefix(err, "reading state %s/%s", ns, key);
	return rc;
}

int
store_state_set(struct store *s, const char *ns, const char *key, const char *value,
		struct err *err)
{
	struct db_stmt *st;
	int rc;

	if (value != NULL && strlen(value) > STORE_STATE_MAX) {
		err_set(err, "state %s/%s: value longer than %u bytes", ns, key,
			STORE_STATE_MAX);
		return -1;
	}
	if (value == NULL)
		st = db_prepare(s->db, "DELETE FROM state WHERE ns = $1 AND name = $2", err);
	else
		st = db_prepare(s->db,
				"INSERT INTO state (ns, name, value, updated) VALUES ($1, $2, $3, $4)"
				" ON CONFLICT (ns, name) DO UPDATE SET value = excluded.value,"
				" updated = excluded.updated", err);
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, ns);
	db_bind_text(st, 2, key);
	if (value != NULL) {
		db_bind_text(st, 3, value);
		db_bind_int64(st, 4, (int64_t)time(NULL));
	}
	rc = db_step(st, err);
	db_reset(st);
	if (rc < 0) {
		err_prefix(err, "writing state %s/%s", ns, key);
		return -1;
	}
	return 0;
}
