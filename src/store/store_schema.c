/*
 * store_schema: the schema as an ordered list of steps (migrations).
 *
 * Never edit a released step: add a new one.  The SQL is portable between
 * SQLite and PostgreSQL; @ID@ is the auto-increment primary key column.
 *
 * Receiving side: reports → report_policies → report_failures, one row per
 * JSON element, as received ("" kept), so a report is rebuilt without loss.
 * Sending side (store_results.c): result_tuples / result_failures rows
 * are appended and found by `key`, a 64-bit digest of the whole tuple (so
 * long free-text members never hit index size limits, and equal tuples
 * meet on one row); session counters are appended to result_deltas (whose
 * `policy` is that key) and folded into result_tuples in bulk.  There are
 * no other indexes on purpose: each is a random page write per new row,
 * and these tables only hold the days not yet reported.  The view
 * result_policies shows the current totals (id = key).
 * state: small named values (IMAP UIDs, alert memory).
 */
#include "store/store_conflicts.h"
#include "store/store_domain_idna.h"
#include "store/store_fetch_seen.h"
#include "store/store_outbox.h"
#include "store/store_private.h"
#include "store/store_report_types.h"
#include "store/store_rollup.h"
#include "store/store_rollup_policies.h"
#include "store/store_rollup_reporters.h"
#include "store/store_sts_cache.h"
#include "store/store_users.h"
#include "store/store_views.h"

static const char schema_v1[] =
	"CREATE TABLE reports ("
	" id @ID@,"
	" organization TEXT NOT NULL,"
	" report_id TEXT NOT NULL,"
	" dedup_key TEXT NOT NULL,"
	" start_time BIGINT NOT NULL,"
	" end_time BIGINT NOT NULL,"
	" start_datetime TEXT,"
	" end_datetime TEXT,"
	" contact_info TEXT,"
	" extra_json TEXT,"
	" quirks_json TEXT,"
	" raw_json TEXT,"
	" source_channel TEXT,"
	" source_name TEXT,"
	" received BIGINT NOT NULL,"
	" UNIQUE (organization, dedup_key));"
	"CREATE INDEX reports_start ON reports (start_time);"
	"CREATE TABLE report_policies ("
	" id @ID@,"
	" report BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" policy_type TEXT,"
	" policy_domain TEXT,"
	" domain_key TEXT NOT NULL,"
	" policy_strings TEXT,"
	" mx_hosts TEXT,"
	" total_success BIGINT NOT NULL,"
	" total_failure BIGINT NOT NULL,"
	" has_failure_details INTEGER NOT NULL,"
	" extra_json TEXT);"
	"CREATE INDEX report_policies_report ON report_policies (report);"
	"CREATE INDEX report_policies_domain ON report_policies (domain_key);"
	"CREATE TABLE report_failures ("
	" id @ID@,"
	" policy BIGINT NOT NULL REFERENCES report_policies (id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" result_type TEXT,"
	" sending_mta_ip TEXT,"
	" receiving_mx_hostname TEXT,"
	" receiving_mx_helo TEXT,"
	" receiving_ip TEXT,"
	" failed_session_count BIGINT NOT NULL,"
	" additional_information TEXT,"
	" failure_reason_code TEXT,"
	" extra_json TEXT);"
	"CREATE INDEX report_failures_policy ON report_failures (policy);"
	"CREATE TABLE result_policies ("
	" id @ID@,"
	" day BIGINT NOT NULL,"
	" key_digest TEXT NOT NULL,"
	" domain TEXT NOT NULL,"
	" tlsrpt_record TEXT,"
	" policy_type TEXT,"
	" policy_domain TEXT,"
	" policy_strings TEXT NOT NULL,"
	" mx_hosts TEXT NOT NULL,"
	" total_success BIGINT NOT NULL,"
	" total_failure BIGINT NOT NULL,"
	" UNIQUE (day, key_digest));"
	"CREATE TABLE result_failures ("
	" id @ID@,"
	" policy BIGINT NOT NULL REFERENCES result_policies (id) ON DELETE CASCADE,"
	" key_digest TEXT NOT NULL,"
	" result_type TEXT,"
	" result_code INTEGER NOT NULL,"
	" sending_mta_ip TEXT,"
	" receiving_mx_hostname TEXT,"
	" receiving_mx_helo TEXT,"
	" receiving_ip TEXT,"
	" additional_information TEXT,"
	" failure_reason_code TEXT,"
	" failed_count BIGINT NOT NULL,"
	" UNIQUE (policy, key_digest));"
	"CREATE TABLE state ("
	" ns TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" value TEXT NOT NULL,"
	" updated BIGINT NOT NULL,"
	" PRIMARY KEY (ns, name));";

/* Step 3: results as appended deltas keyed by 64-bit digests (see
 * store_results.c).  The step 1 result tables are replaced; results not
 * yet reported in them are dropped (they only ever existed on development
 * stores, before the first release). */
static const char schema_v3[] =
	"DROP TABLE result_failures;"
	"DROP TABLE result_policies;"
	"CREATE TABLE result_tuples ("
	" id @ID@,"
	" key BIGINT NOT NULL UNIQUE,"
	" day BIGINT NOT NULL,"
	" domain TEXT NOT NULL,"
	" tlsrpt_record TEXT,"
	" policy_type TEXT,"
	" policy_domain TEXT,"
	" policy_strings TEXT NOT NULL,"
	" mx_hosts TEXT NOT NULL,"
	" total_success BIGINT NOT NULL,"
	" total_failure BIGINT NOT NULL);"
	"CREATE TABLE result_deltas ("
	" seq @ID@,"
	" policy BIGINT NOT NULL,"
	" ok BIGINT NOT NULL,"
	" failed BIGINT NOT NULL);"
	"CREATE TABLE result_failures ("
	" id @ID@,"
	" key BIGINT NOT NULL UNIQUE,"
	" policy BIGINT NOT NULL,"
	" result_type TEXT,"
	" result_code INTEGER NOT NULL,"
	" sending_mta_ip TEXT,"
	" receiving_mx_hostname TEXT,"
	" receiving_mx_helo TEXT,"
	" receiving_ip TEXT,"
	" additional_information TEXT,"
	" failure_reason_code TEXT,"
	" failed_count BIGINT NOT NULL);"
	/* what the counters are now, folded or not, under the step 1 name,
	 * for people (and tests) reading the tables with SQL */
	"CREATE VIEW result_policies AS SELECT t.key AS id, t.day, t.domain,"
	" t.tlsrpt_record, t.policy_type, t.policy_domain, t.policy_strings, t.mx_hosts,"
	" t.total_success + COALESCE(d.ok, 0) AS total_success,"
	" t.total_failure + COALESCE(d.failed, 0) AS total_failure"
	" FROM result_tuples t LEFT JOIN (SELECT policy, SUM(ok) AS ok, SUM(failed) AS failed"
	" FROM result_deltas GROUP BY policy) d ON d.policy = t.key;";

/* Step 4: report_policies.domain_key becomes report_domain_key() (lower
 * case, as before, and now without a trailing dot), so "example.com." is
 * counted with "example.com" by every view. */
static const char schema_v4[] =
	"UPDATE report_policies SET domain_key = substr(domain_key, 1, length(domain_key) - 1)"
	" WHERE domain_key LIKE '%.';";

const struct store_migration store_schema_migrations[] = {
	{ 1, schema_v1 },
	{ 2, store_outbox_schema_sql },   /* outbox_* tables: store_outbox.c */
	{ 3, schema_v3 },
	{ 4, schema_v4 },
	{ 5, store_users_schema_sql },    /* users, grants, tokens, sessions: store_users.c */
	{ 6, store_conflicts_schema_sql },  /* + IDNA keys below: store_conflicts.c,
					     * store_domain_idna.c */
	{ 7, store_sts_cache_schema_sql },  /* sts_policies: store_sts_cache.c */
	{ 8, store_views_schema_sql },       /* report_domains: store_views.c */
	{ 9, store_results_index_sql },     /* result indexes by day and domain: store_results_index.c */
	{ 10, store_rollup_schema_sql },    /* rollup_* tables: store_rollup.c */
	{ 11, store_rollup_totals_schema_sql },  /* all-time roll-ups: store_rollup_totals.c */
	{ 12, store_rollup_reporters_schema_sql },  /* last seen: store_rollup_reporters.c */
	{ 13, "" },                         /* result_tuples keyed by its digest (SQLite):
					     * store_results_table.c */
	{ 14, store_report_types_schema_sql },  /* report_types: store_report_types.c */
	{ 15, store_rollup_policies_schema_sql },  /* rollup_policies: store_rollup_policies.c */
	{ 16, "" },                         /* report_types: partial indexes, clustered
					     * (SQLite): store_report_types_index.c */
	{ 17, "" },                         /* PostgreSQL: a report's child rows without
					     * foreign keys: store_report_links.c */
};

const size_t store_schema_n_migrations =
	sizeof(store_schema_migrations) / sizeof(store_schema_migrations[0]);

/* The steps (by version) that also run C code after their SQL, in this
 * order. */
const struct store_migration_program store_schema_programs[] = {
	{ 6, store_domain_idna_upgrade },   /* store_domain_idna.c */
	{ 6, store_fetch_seen_schema },     /* store_fetch_seen.c */
	{ 10, store_rollup_rebuild_blocks },  /* store_rollup.c: from the stored reports */
	{ 11, store_rollup_rebuild_totals },  /* store_rollup_totals.c: from step 10's tables */
	{ 12, store_rollup_reporters_rebuild },  /* store_rollup_reporters.c: from the reports */
	{ 12, store_rollup_block_index },   /* store_rollup.c: PostgreSQL only */
	{ 13, store_results_table_upgrade },  /* store_results_table.c */
	{ 14, store_report_types_fill },    /* store_report_types.c: from the reports */
	{ 15, store_rollup_policies_rebuild },  /* store_rollup_policies.c: from the reports */
	{ 16, store_report_types_partial },  /* store_report_types_index.c */
	{ 17, store_report_links_unenforce },  /* store_report_links.c: PostgreSQL only */
};

const size_t store_schema_n_programs =
	sizeof(store_schema_programs) / sizeof(store_schema_programs[0]);
