/*
 * store_report_links: the schema step (17) after which PostgreSQL, like
 * SQLite, leaves the links between a stored report's rows to the store.
 *
 * report_policies, report_failures, report_domains and report_types were
 * declared with REFERENCES to their parent.  SQLite never enforced them
 * (db_sqlite.c); PostgreSQL did, with a trigger per inserted row that
 * looks the parent up and locks it: ~50 us of the server's CPU per stored
 * report, a quarter of all it spent (bench/README.md).  The store keeps
 * the links by construction on both engines: a child row is only inserted
 * under the parent the same transaction has just inserted
 * (store_reports.c), and every delete of a parent deletes its children
 * first, explicitly, in the same transaction (store_prune.c); the tests of
 * both run against both engines.  Here the four constraints are dropped on
 * PostgreSQL; report_conflicts (one row per conflict, rare) and the other
 * tables keep theirs.  Nothing on SQLite.
 *
 * The step can run again (the upgrade tests replay steps): IF EXISTS.
 */
#include "store/store_private.h"

static const char sql_pg[] =
	"ALTER TABLE report_policies DROP CONSTRAINT IF EXISTS report_policies_report_fkey;"
	"ALTER TABLE report_failures DROP CONSTRAINT IF EXISTS report_failures_policy_fkey;"
	"ALTER TABLE report_domains DROP CONSTRAINT IF EXISTS report_domains_report_fkey;"
	"ALTER TABLE report_types DROP CONSTRAINT IF EXISTS report_types_report_fkey;";

int
store_report_links_unenforce(struct store *s, struct err *err)
{
	if (db_dialect(s->db) != DB_DIALECT_PG)
		return 0;
	return db_exec(s->db, sql_pg, err);
}
