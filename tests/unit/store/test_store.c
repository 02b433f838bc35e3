/* Unit tests for store/store: opening, schema versions, transactions. */
#include "unit/store/store_test.h"

#include "store/store_state.h"

static void
test_store_open_creates_latest_schema_and_reopen_keeps_it(void **state)
{
	struct store_fixture *f = *state;
	int latest = store_schema_migrations[store_schema_n_migrations - 1].version;
	struct store *s2;

	assert_int_equal(store_schema_version(f->s), latest);
	s2 = store_test_reopen(f);
	assert_non_null(s2);
	assert_int_equal(store_schema_version(s2), latest);
	store_close(&s2);
}

/* Since step 17 neither engine checks a report's child rows against their
 * parent: the store keeps those links itself (store_report_links.c), and
 * the checks cost PostgreSQL a quarter of its work per stored report. */
static void
test_store_leaves_report_links_to_the_store(void **state)
{
	static const char *const orphans[] = {
		"INSERT INTO report_policies (report, seq, domain_key, total_success,"
		" total_failure, has_failure_details) VALUES (999999, 0, 'a', 1, 0, 0)",
		"INSERT INTO report_failures (policy, seq, failed_session_count)"
		" VALUES (999999, 0, 1)",
		"INSERT INTO report_domains (report, domain_key, first_domain, start_time,"
		" organization, received, success, failure) VALUES (999999, 'a', 1, 0, 'o', 0, 1, 0)",
		"INSERT INTO report_types (report, whole, domain_key, type_key, start_time,"
		" organization) VALUES (999999, 1, 'a', 5, 0, 'o')",
	};
	struct store_fixture *f = *state;
	struct err err;

	for (size_t i = 0; i < sizeof(orphans) / sizeof(orphans[0]); i++)
		if (db_exec(f->s->db, orphans[i], &err) < 0)
			fail_msg("%s: %s", orphans[i], err.msg);
}

static void
test_store_refuses_a_newer_schema(void **state)
{
	struct store_fixture *f = *state;
	struct err err;
	struct store *s2;

	assert_int_equal(db_exec(f->s->db, "INSERT INTO schema_version (version) VALUES (999)",
				 &err), 0);
	s2 = store_open(f->url, &err);
	assert_null(s2);
	assert_non_null(strstr(err.msg, "999"));
}

static void
test_store_open_reports_unusable_urls(void **state)
{
	static const struct { const char *url, *want; } cases[] = {
		{ "", "empty" },
		{ "sqlite:", "no path" },
		{ "sqlite:/nonexistent-dir-tlsrpt/x.db", "/nonexistent-dir-tlsrpt/x.db" },
		{ "/nonexistent-dir-tlsrpt/y.db", "directory /nonexistent-dir-tlsrpt does not exist" },
		{ "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", "postgresql" },
	};
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&err);
		assert_null(store_open(cases[i].url, &err));
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("url '%s': error '%s' lacks '%s'", cases[i].url, err.msg,
				 cases[i].want);
	}
}

static void
test_store_nested_rollback_keeps_outer_work(void **state)
{
	struct store_fixture *f = *state;
	struct err err;
	char *v;

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_state_set(f->s, "t", "outer", "1", &err), 0);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_state_set(f->s, "t", "inner", "1", &err), 0);
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_state_set(f->s, "t", "inner2", "1", &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(store_state_get(f->s, "t", "outer", &v, &err), 1);
	free(v);
	assert_int_equal(store_state_get(f->s, "t", "inner", &v, &err), 0);
	assert_int_equal(store_state_get(f->s, "t", "inner2", &v, &err), 1);
	free(v);
	assert_int_equal(store_commit(f->s, &err), -1);
}

/* A statement that fails at the outer level of a transaction aborts it on
 * PostgreSQL, whose COMMIT then rolls everything back while succeeding as
 * a command: store_commit() says it failed (else the intake answers 200
 * for reports it lost), and the store stays usable.  SQLite goes on and
 * commits. */
static void
test_store_commit_of_an_aborted_transaction_fails(void **state)
{
	struct store_fixture *f = *state;
	int pg = db_dialect(f->s->db) == DB_DIALECT_PG;
	struct err err;
	char *v = NULL;

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_state_set(f->s, "t", "before", "1", &err), 0);
	assert_int_equal(db_exec(f->s->db, "INSERT INTO no_such_table VALUES (1)", &err), -1);
	assert_int_equal(store_commit(f->s, &err), pg ? -1 : 0);
	assert_int_equal(store_state_get(f->s, "t", "before", &v, &err), pg ? 0 : 1);
	free(v);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_state_set(f->s, "t", "after", "1", &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(store_state_get(f->s, "t", "after", &v, &err), 1);
	free(v);
}

/* store_plan_per_run(): PostgreSQL plans each run for its values (the
 * serve's view handles), SQLite is left as it is. */
static void
test_store_plan_per_run(void **state)
{
	struct store_fixture *f = *state;
	struct db_stmt *st;
	struct err err;

	assert_int_equal(store_plan_per_run(f->s, &err), 0);
	if (db_dialect(f->s->db) != DB_DIALECT_PG)
		return;
	st = db_prepare(f->s->db, "SHOW plan_cache_mode", &err);
	assert_non_null(st);
	assert_int_equal(db_step(st, &err), 1);
	assert_string_equal(db_column_text(st, 0), "force_custom_plan");
	db_reset(st);
}

static void
test_store_sql_dialect_replaces_id_token(void **state)
{
	struct store_fixture *f = *state;
	char *sql = db_sql_dialect(f->s->db, "CREATE TABLE t (id @ID@, x @ID@)");

	assert_null(strstr(sql, "@ID@"));
	assert_non_null(strstr(sql, "PRIMARY KEY"));
	free(sql);
}

/* PRAGMA synchronous of a new handle on url: 1 NORMAL, 2 FULL, -1 error. */
static int
synchronous_of(const char *url, struct err *err)
{
	struct db *db = db_open(url, err);
	struct db_stmt *st;
	int v = -1;

	if (db == NULL)
		return -1;
	st = db_prepare(db, "PRAGMA synchronous", err);
	if (st != NULL && db_step(st, err) == 1)
		v = (int)db_column_int64(st, 0);
	db_close(&db);
	return v;
}

static void
test_store_sqlite_synchronous_reaches_the_connection(void **state)
{
	struct store_fixture *f = *state;
	char url[600], path[600];
	struct err err;

	if (f->pg_url != NULL)
		skip();
	snprintf(url, sizeof(url), "sqlite:%s/s.db", f->dir);
	assert_int_equal(synchronous_of(url, &err), 1);         /* NORMAL */
	snprintf(url, sizeof(url), "sqlite:%s/s.db?synchronous=full", f->dir);
	assert_int_equal(synchronous_of(url, &err), 2);         /* FULL */
	snprintf(url, sizeof(url), "sqlite:%s/s.db?synchronous=normal", f->dir);
	assert_int_equal(synchronous_of(url, &err), 1);
	snprintf(url, sizeof(url), "sqlite:%s/s.db?synchronous=off", f->dir);
	assert_int_equal(synchronous_of(url, &err), -1);
	assert_non_null(strstr(err.msg, "synchronous must be full or normal"));
	/* the parameter is not part of the file name */
	snprintf(path, sizeof(path), "%s/s.db", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/s.db?synchronous=full", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/s.db", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.db-wal", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/s.db-shm", f->dir);
	unlink(path);
}

/* db_step_insert(): the new row's id, or 0 for a row ON CONFLICT skipped,
 * on both backends (SQLite asks the connection, PostgreSQL RETURNING). */
static void
test_db_step_insert_gives_the_new_id_or_0_for_a_skipped_row(void **state)
{
	static const struct { const char *k; int want_rc, want_new; } steps[] = {
		{ "a", 1, 1 },
		{ "b", 1, 1 },
		{ "a", 0, 0 },          /* conflict: skipped */
		{ "c", 1, 1 },
	};
	static const char sql[] = "INSERT INTO t_ins (k) VALUES ($1) ON CONFLICT (k) DO NOTHING";
	struct store_fixture *f = *state;
	struct db *db = f->s->db;
	char *ddl = db_sql_dialect(db, "CREATE TABLE t_ins (id @ID@, k TEXT NOT NULL UNIQUE)");
	struct err err;
	int64_t id, last = 0;

	assert_int_equal(db_exec(db, ddl, &err), 0);
	free(ddl);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct db_stmt *st = db_prepare_insert(db, sql, &err);
		struct db_stmt *q;

		assert_non_null(st);
		db_bind_text(st, 1, steps[i].k);
		assert_int_equal(db_step_insert(st, &id, &err), steps[i].want_rc);
		db_reset(st);
		if (!steps[i].want_new) {
			assert_int_equal(id, 0);
			continue;
		}
		assert_true(id > last);
		last = id;
		q = db_prepare(db, "SELECT k FROM t_ins WHERE id = $1", &err);
		assert_non_null(q);
		db_bind_int64(q, 1, id);
		assert_int_equal(db_step(q, &err), 1);
		assert_string_equal(db_column_text(q, 0), steps[i].k);
		db_reset(q);
	}
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_store_open_creates_latest_schema_and_reopen_keeps_it),
	STORE_TEST(test_store_leaves_report_links_to_the_store),
	STORE_TEST(test_store_refuses_a_newer_schema),
	STORE_TEST(test_store_open_reports_unusable_urls),
	STORE_TEST(test_store_nested_rollback_keeps_outer_work),
	STORE_TEST(test_store_commit_of_an_aborted_transaction_fails),
	STORE_TEST(test_store_plan_per_run),
	STORE_TEST(test_store_sql_dialect_replaces_id_token),
	STORE_TEST(test_store_sqlite_synchronous_reaches_the_connection),
	STORE_TEST(test_db_step_insert_gives_the_new_id_or_0_for_a_skipped_row),
};

STORE_TEST_MAIN(tests)
