/*
 * store_rollup_reporters: rollup_reporters (store_rollup_reporters.h), its
 * upsert, its recomputation from report_domains and prune's refresh of one
 * (domain, organization).
 */
#include "store/store_rollup_reporters.h"

#include "store/store_private.h"
#include "store/store_rollup_private.h"

/* the bit set's mask: bits 0 .. STORE_ROLLUP_REPORTER_DAYS - 1 */
#define DAYS_MASK "4611686018427387903"
#define DAYS_N "62"
/* set m moved k days later (k >= 0): older days fall off */
#define SHIFTED(m, k) "(CASE WHEN " k " >= " DAYS_N " THEN 0" \
	" ELSE ((" m " << CAST(" k " AS INTEGER)) & " DAYS_MASK ") END)"
#define NEW_LAST GREATEST("t.last_day", "excluded.last_day")

const char store_rollup_reporters_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS rollup_reporters ("
	" domain_key TEXT NOT NULL, organization TEXT NOT NULL,"
	" last_day BIGINT NOT NULL, days BIGINT NOT NULL,"
	" PRIMARY KEY (domain_key, organization))@CLUSTERED@;"
	/* the stale-reporter check reads the rows whose last day lies in its
	 * window, from index entries only */
	"CREATE INDEX IF NOT EXISTS rollup_reporters_last ON rollup_reporters"
	" (last_day, domain_key, organization, days);";

static const char sql_add[] =
	"INSERT INTO rollup_reporters AS t (domain_key, organization, last_day, days)"
	" VALUES ($1, $2, $3, $4) ON CONFLICT (domain_key, organization) DO UPDATE SET"
	" last_day = " NEW_LAST ","
	" days = " SHIFTED("t.days", "(" NEW_LAST " - t.last_day)") " | "
	SHIFTED("excluded.days", "(" NEW_LAST " - excluded.last_day)");

/* The rows of report_domains d (of one pair with `where`): the distinct
 * days of each (domain, organization) against its last one. */
#define FILL(where) \
	"INSERT INTO rollup_reporters (domain_key, organization, last_day, days)" \
	" SELECT g.domain_key, g.organization, l.last_day, CAST(SUM(CASE WHEN" \
	" l.last_day - g.day < " DAYS_N " THEN CAST(1 AS BIGINT) <<" \
	" CAST(l.last_day - g.day AS INTEGER) ELSE 0 END) AS BIGINT)" \
	" FROM (SELECT d.domain_key, d.organization, " DAY_OF("d.start_time") " AS day" \
	" FROM report_domains d" where " GROUP BY 1, 2, 3) g JOIN" \
	" (SELECT d.domain_key, d.organization, " DAY_OF("MAX(d.start_time)") " AS last_day" \
	" FROM report_domains d" where " GROUP BY 1, 2) l" \
	" ON l.domain_key = g.domain_key AND l.organization = g.organization" \
	" GROUP BY g.domain_key, g.organization, l.last_day"

static const char *const sql_rebuild[] = {
	"DELETE FROM rollup_reporters",
	FILL(""),
};

/* one pair: $1 domain, $2 organization, $3 the last deleted day; the
 * row goes only when that day lies in its bit set */
static const char sql_pair_delete[] =
	"DELETE FROM rollup_reporters WHERE domain_key = $1 AND organization = $2"
	" AND last_day < $3 + " DAYS_N " RETURNING last_day";
static const char sql_pair_fill[] =
	FILL(" WHERE d.domain_key = $1 AND d.organization = $2");

void
store_rollup_reporters_merge(int64_t *last, int64_t *days, int64_t last_b, int64_t days_b)
{
	const int64_t mask = ((int64_t)1 << STORE_ROLLUP_REPORTER_DAYS) - 1;
	int64_t to = last_b > *last ? last_b : *last;
	int64_t a = to - *last >= STORE_ROLLUP_REPORTER_DAYS ? 0 : (*days << (to - *last)) & mask;
	int64_t b = to - last_b >= STORE_ROLLUP_REPORTER_DAYS ? 0 : (days_b << (to - last_b)) & mask;

	*last = to;
	*days = a | b;
}

int
store_rollup_reporters_add(struct store *s, const char *domain, const char *org,
			   int64_t last_day, int64_t days, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add, err);

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, domain);
	db_bind_text(st, 2, org);
	db_bind_int64(st, 3, last_day);
	db_bind_int64(st, 4, days);
	return store_rollup_run(st, err);
}

int
store_rollup_reporters_rebuild(struct store *s, struct err *err)
{
	for (size_t i = 0; i < sizeof(sql_rebuild) / sizeof(sql_rebuild[0]); i++) {
		struct db_stmt *st = db_prepare(s->db, sql_rebuild[i], err);

		if (st == NULL || store_rollup_run(st, err) < 0) {
			err_prefix(err, "computing rollup_reporters");
			return -1;
		}
	}
	return 0;
}

int
store_rollup_reporters_refresh(struct store *s, const char *domain, const char *org,
			       int64_t max_day, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_pair_delete, err);
	int rc, gone = 0;

	if (st == NULL)
		return -1;
	db_bind_text(st, 1, domain);
	db_bind_text(st, 2, org);
	db_bind_int64(st, 3, max_day);
	while ((rc = db_step(st, err)) == 1)
		gone = 1;
	db_reset(st);
	if (rc < 0)
		return -1;
	if (!gone)      /* its row cannot have changed (or it had none) */
		return 0;
	if ((st = db_prepare(s->db, sql_pair_fill, err)) == NULL)
		return -1;
	db_bind_text(st, 1, domain);
	db_bind_text(st, 2, org);
	return store_rollup_run(st, err);
}
