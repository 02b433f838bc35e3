/*
 * store_conflicts: one report-id, two contents (store_conflicts.h).  The
 * digest is 64 bits of SHA-256 of the canonical JSON: two different
 * reports meet on one digest with probability 2^-64.
 */
#include "store/store_conflicts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report_json.h"
#include "store/store_private.h"

const char store_conflicts_schema_sql[] =
	"ALTER TABLE reports ADD COLUMN content_digest BIGINT;"
	"CREATE TABLE report_conflicts ("
	" id @ID@,"
	" report BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" content_digest BIGINT NOT NULL,"
	" received BIGINT NOT NULL,"
	" source_channel TEXT,"
	" source_name TEXT,"
	" raw_json TEXT,"
	" UNIQUE (report, content_digest));";

int64_t
store_report_content_digest(const struct report *r)
{
	char *json = report_write_json(r, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED);
	int64_t d = json != NULL ? store_digest64(json, strlen(json)) : 0;

	free(json);
	return d;
}

int
store_conflict_note(struct store *s, int64_t id, int64_t digest,
		    const struct report_source *src, struct err *err)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(s->db,
			"INSERT INTO report_conflicts (report, content_digest, received,"
			" source_channel, source_name, raw_json)"
			" SELECT id, $2, $3, $4, $5, $6 FROM reports"
			" WHERE id = $1 AND content_digest IS NOT NULL AND content_digest <> $2"
			" ON CONFLICT (report, content_digest) DO NOTHING RETURNING id", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, digest);
	db_bind_int64(st, 3, src && src->received ? src->received : (int64_t)time(NULL));
	db_bind_text(st, 4, src ? src->channel : NULL);
	db_bind_text(st, 5, src ? src->name : NULL);
	db_bind_text(st, 6, src ? src->raw_json : NULL);
	rc = db_step(st, err);
	db_reset(st);
	return rc;
}

int
store_count_conflicts(struct store *s, int64_t since, int64_t until, const char *domain,
		      int64_t *n, struct err *err)
{
	struct db_stmt *st;
	int rc;

	*n = 0;
	st = db_prepare(s->db,
			"SELECT COUNT(*) FROM report_conflicts c JOIN reports r ON r.id = c.report"
			" WHERE " STORE_SQL_PERIOD
			" AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM report_policies p"
			"  WHERE p.report = r.id AND p.domain_key = $3))", err);
	if (st == NULL)
		return -1;
	store_bind_filter(st, since, until, domain);
	rc = db_step(st, err);
	if (rc == 1)
		*n = db_column_int64(st, 0);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}
