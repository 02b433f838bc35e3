/*
 * store_domain_idna: rewrites stored policy-domain keys into the IDNA 2008
 * form of report_domain_key() (store_domain_idna.h).  Only keys holding a
 * byte >= 0x80 can change, but SQL cannot say so portably, so every row is
 * read once (this runs once per store, at the schema step).
 */
#include "store/store_domain_idna.h"

#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "store/store_private.h"
#include "util/xalloc.h"

struct rekey {
	int64_t id;
	char *key;
};

int
store_domain_idna_upgrade(struct store *s, struct err *err)
{
	struct db_stmt *st;
	struct rekey *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	st = db_prepare(s->db, "SELECT id, policy_domain, domain_key FROM report_policies", err);
	if (st == NULL)
		return -1;
	/* Collect first: the rows are updated on the same connection. */
	while ((rc = db_step(st, err)) == 1) {
		const char *old = db_column_text(st, 2);
		char *key = report_domain_key(db_column_text(st, 1));

		if (old != NULL && strcmp(old, key) == 0) {
			free(key);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].id = db_column_int64(st, 0);
		v[n++].key = key;
	}
	db_reset(st);
	if (rc == 0 && n > 0) {
		st = db_prepare(s->db, "UPDATE report_policies SET domain_key = $1 WHERE id = $2",
				err);
		if (st == NULL)
			rc = -1;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			db_bind_text(st, 1, v[i].key);
			db_bind_int64(st, 2, v[i].id);
			if (db_step(st, err) < 0)
				rc = -1;
			db_reset(st);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].key);
	free(v);
	return rc < 0 ? -1 : 0;
}
