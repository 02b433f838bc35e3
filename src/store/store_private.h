/*
 * store_private: what the store_*.c files share and nobody else sees:
 * the handle layout and small helpers.  Never include from outside
 * src/store/.
 */
#ifndef TLSRPT_STORE_STORE_PRIVATE_H
#define TLSRPT_STORE_STORE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "model/domain_scope.h"
#include "model/strlist.h"
#include "store/db.h"
#include "store/store.h"
#include "util/err.h"

struct store_digester;
struct rollup_batch;

struct store {
	struct db *db;
	int depth;              /* open store_begin() levels; >1 uses savepoints */
	int version;            /* schema version after migration */
	unsigned result_puts;   /* store_put_results() calls since the last fold */
	const struct domain_scope *scope;  /* store_set_scope(), borrowed; NULL: all */
	struct store_digester *digester;   /* store_handle_digest64(); NULL until used */
	struct rollup_batch *rollup_batch; /* roll-up rows pending for the innermost
					    * open level (store_rollup_batch.h);
					    * NULL until a report is stored */
	int put_retryable;      /* the last store_put_report*() failed on a
				 * lost lock or deadlock (store_reports.h) */
};

/* One schema step: the SQL (may use @ID@, see db.h; "" for none) that
 * moves the schema from version - 1 to version. */
struct store_migration {
	int version;
	const char *sql;
};

/* What a schema step does that SQL cannot (store_schema_programs[]): run()
 * after the step's SQL, in the same transaction; returns 0 or -1. */
struct store_migration_program {
	int version;
	int (*run)(struct store *s, struct err *err);
};
extern const struct store_migration_program store_schema_programs[];
extern const size_t store_schema_n_programs;

/* Schema step: indexes for reading a day's results by domain
 * (store_results_index.c). */
extern const char store_results_index_sql[];

/* Schema step program: on SQLite, result_tuples is rebuilt with its
 * digest `key` as the rowid (no second B-tree for the key); nothing on
 * PostgreSQL (store_results_table.c).  Returns 0 or -1. */
int store_results_table_upgrade(struct store *s, struct err *err);

/* Schema step 17's program: on PostgreSQL, drops the foreign keys of a
 * report's child rows, which the store keeps itself as it always did on
 * SQLite; nothing on SQLite (store_report_links.c).  Returns 0 or -1. */
int store_report_links_unenforce(struct store *s, struct err *err);

/* The ordered schema steps (store_schema.c) and their count. */
extern const struct store_migration store_schema_migrations[];
extern const size_t store_schema_n_migrations;

/* Folds the result counters waiting in result_deltas into result_policies,
 * in a transaction of its own (a savepoint inside the caller's).  Returns
 * 0 or -1 (nothing is lost on failure; the deltas stay). */
int store_results_fold(struct store *s, struct err *err);

/* Returns the first 8 bytes of SHA-256(data) as an int64: the key of a
 * long tuple (two tuples share one with probability 2^-64 per pair). */
int64_t store_digest64(const void *data, size_t len);

/* The same digest as store_digest64(), for many tuples in a row: the
 * SHA-256 implementation is looked up once per digester instead of once
 * per digest (OpenSSL 3's SHA256() fetches it on every call, which costs
 * more than hashing a tuple).  Owned by its user; not shared between
 * threads.  store_digester_free() accepts a zeroed digester. */
struct store_digester {
	void *md;               /* EVP_MD */
	void *ctx;              /* EVP_MD_CTX */
};
void store_digester_init(struct store_digester *d);
void store_digester_free(struct store_digester *d);
/* Returns store_digest64(data, len). */
int64_t store_digester_digest64(struct store_digester *d, const void *data, size_t len);

/* store_digest64(data, len) with the handle's digester (made on first
 * use, freed by store_close()): for a digest per report stored. */
int64_t store_handle_digest64(struct store *s, const void *data, size_t len);

/* The list as a compact JSON array of strings, as jansson's json_dumps()
 * writes it (store_list_json.c): how report_policies keeps policy-string
 * and mx-host.  NULL when !present; else a new string. */
char *store_list_json(const struct strlist *l, int present);

/* Deletes, in the caller's transaction, at most batch reports whose period
 * ended before `before` (the lowest ids first) and, before them, their
 * failures, policies, domains and conflicts (store_prune.c); adds the
 * reports deleted to *deleted.  Returns 0 or -1 with err set (the caller
 * rolls back). */
int store_prune_old_reports(struct store *s, int64_t before, size_t batch,
			    int64_t *deleted, struct err *err);

/* ASCII lower-case copy of s (caller frees); NULL gives "".  Only for the
 * dedup key (kept as it was so stored keys still match); policy domains
 * are keyed with report_domain_key(). */
char *store_lower(const char *s);

/*
 * The selection every view of stored reports shares (store_summary.h,
 * store_reports.h): a report is selected by the instant its date range
 * starts, since <= start_time < until (0 leaves that end open), over
 * `reports r`, with since bound as $1 and until as $2.
 */
#define STORE_SQL_PERIOD "(r.start_time >= $1 OR $1 = 0) AND (r.start_time < $2 OR $2 = 0)"

/* The domain filter over report_policies p, bound by store_bind_filter():
 * NULL matches every policy, "" only those without policy-domain.  (The
 * CAST tells PostgreSQL the type of $3, which IS NULL alone does not.
 * store_query_reports() spells it out: it asks whether a report has such
 * a policy.) */
#define STORE_SQL_DOMAIN "(CAST($3 AS TEXT) IS NULL OR p.domain_key = $3)"

/* SUM(col) of a session count that cannot fail: SQLite's SUM() raises
 * "integer overflow" past 2^63-1 (and PostgreSQL's bigint sum would not fit
 * an int64 column), so the sum is done in double precision (exact below
 * 2^53) and clamped to COUNT_MAX (util/count.h), 2^53-1, in both dialects. */
#define STORE_SQL_SUM_COUNT(col) \
	"(CASE WHEN SUM(CAST(" col " AS DOUBLE PRECISION)) >= 9007199254740991" \
	" THEN 9007199254740991" \
	" ELSE CAST(SUM(CAST(" col " AS DOUBLE PRECISION)) AS BIGINT) END)"

/* The viewer scope sc (store_set_scope(); NULL: all) as an SQL condition
 * over the domain key column col: "1 = 1" for all, "1 = 0" for none.
 * Returns a new string (store_views.c). */
char *store_scope_sql(const struct domain_scope *sc, const char *col);

/* Binds $1 = since, $2 = until and $3 = the domain filter: SQL NULL for
 * domain NULL (all domains), else report_domain_key(domain) ("" for domain
 * "": the policies without policy-domain), for a statement using
 * STORE_SQL_PERIOD and STORE_SQL_DOMAIN. */
void store_bind_filter(struct db_stmt *st, int64_t since, int64_t until, const char *domain);

#endif
