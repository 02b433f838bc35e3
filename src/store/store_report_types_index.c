/*
 * store_report_types_index: the schema step (16) that makes a report_types
 * row two B-tree inserts instead of four.
 *
 * Step 14 gave report_types a rowid, a primary key index and two indexes
 * over every row.  But each search reads one kind of row only: the search
 * of every domain the whole = 1 rows (report_types_type), the search of
 * one domain the whole = 0 rows (report_types_domain).  Here both indexes
 * become partial, each over the rows its search reads (same columns, same
 * order, so the same plans), and on SQLite the table is rebuilt WITHOUT
 * ROWID: the primary key (report, whole, domain_key, type_key), by which
 * prune deletes and the ON CONFLICT of a new row looks, is the table's own
 * B-tree.  A new row is then one insert into the table and one into the
 * index of its kind, not four; the rows are the same.  On PostgreSQL a
 * table is a heap, so only the indexes change there.
 *
 * The step can run again (the upgrade tests replay steps): it rebuilds
 * the table from itself.
 */
#include "store/store_private.h"
#include "store/store_report_types.h"

/* the two indexes, as step 14 made them but each over its kind of row */
#define PARTIAL_INDEXES \
	"CREATE INDEX report_types_type ON report_types" \
	" (type_key, whole, start_time, report, organization, domain_key) WHERE whole = 1;" \
	"CREATE INDEX report_types_domain ON report_types" \
	" (domain_key, type_key, whole, start_time, report, organization) WHERE whole = 0;"

static const char sql_sqlite[] =
	"CREATE TABLE report_types_clustered ("
	" report BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" whole INTEGER NOT NULL,"
	" domain_key TEXT NOT NULL,"
	" type_key BIGINT NOT NULL,"
	" start_time BIGINT NOT NULL,"
	" organization TEXT NOT NULL,"
	" PRIMARY KEY (report, whole, domain_key, type_key)) WITHOUT ROWID;"
	"INSERT INTO report_types_clustered (report, whole, domain_key, type_key, start_time,"
	" organization) SELECT report, whole, domain_key, type_key, start_time, organization"
	" FROM report_types ORDER BY report, whole, domain_key, type_key;"
	"DROP TABLE report_types;"
	"ALTER TABLE report_types_clustered RENAME TO report_types;"
	PARTIAL_INDEXES;

static const char sql_pg[] =
	"DROP INDEX IF EXISTS report_types_type;"
	"DROP INDEX IF EXISTS report_types_domain;"
	PARTIAL_INDEXES;

int
store_report_types_partial(struct store *s, struct err *err)
{
	const char *sql = db_dialect(s->db) == DB_DIALECT_PG ? sql_pg : sql_sqlite;

	if (db_exec(s->db, sql, err) < 0) {
		err_prefix(err, "report_types: partial indexes");
		return -1;
	}
	return 0;
}
