/*
 * store_results_table: the schema step that makes a new result tuple one
 * B-tree insert fewer on SQLite.
 *
 * Step 3 gave result_tuples an auto-increment id (the rowid) and a UNIQUE
 * index on `key`, the tuple's 64-bit digest, by which every reader and
 * writer finds a row; nothing reads the id.  So each new tuple was a
 * table insert plus a key index insert plus the (day, domain) index
 * insert (step 9).  Here the table is rebuilt with `key INTEGER PRIMARY
 * KEY`: the key is the rowid, the table's own B-tree is the key index.
 * On PostgreSQL a table is a heap and a primary key is a unique index
 * like the one it has, so nothing changes there.
 *
 * The step can run again (the upgrade tests replay steps): it rebuilds
 * the table from itself.  The view result_policies reads the table, so
 * it is dropped first and made again as step 3 made it.
 */
#include "store/store_private.h"

static const char sql_sqlite[] =
	"DROP VIEW IF EXISTS result_policies;"
	"CREATE TABLE result_tuples_rekeyed ("
	" key INTEGER PRIMARY KEY,"
	" day BIGINT NOT NULL,"
	" domain TEXT NOT NULL,"
	" tlsrpt_record TEXT,"
	" policy_type TEXT,"
	" policy_domain TEXT,"
	" policy_strings TEXT NOT NULL,"
	" mx_hosts TEXT NOT NULL,"
	" total_success BIGINT NOT NULL,"
	" total_failure BIGINT NOT NULL);"
	"INSERT INTO result_tuples_rekeyed (key, day, domain, tlsrpt_record, policy_type,"
	" policy_domain, policy_strings, mx_hosts, total_success, total_failure)"
	" SELECT key, day, domain, tlsrpt_record, policy_type, policy_domain, policy_strings,"
	" mx_hosts, total_success, total_failure FROM result_tuples ORDER BY key;"
	"DROP TABLE result_tuples;"
	"ALTER TABLE result_tuples_rekeyed RENAME TO result_tuples;"
	"CREATE INDEX IF NOT EXISTS result_tuples_day_domain ON result_tuples (day, domain);"
	"CREATE VIEW result_policies AS SELECT t.key AS id, t.day, t.domain,"
	" t.tlsrpt_record, t.policy_type, t.policy_domain, t.policy_strings, t.mx_hosts,"
	" t.total_success + COALESCE(d.ok, 0) AS total_success,"
	" t.total_failure + COALESCE(d.failed, 0) AS total_failure"
	" FROM result_tuples t LEFT JOIN (SELECT policy, SUM(ok) AS ok, SUM(failed) AS failed"
	" FROM result_deltas GROUP BY policy) d ON d.policy = t.key;";

int
store_results_table_upgrade(struct store *s, struct err *err)
{
	if (db_dialect(s->db) == DB_DIALECT_PG)
		return 0;
	if (db_exec(s->db, sql_sqlite, err) < 0) {
		err_prefix(err, "rekeying result_tuples");
		return -1;
	}
	return 0;
}
