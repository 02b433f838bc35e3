/* Unit tests for opening a store: URL schemes, read-only handles, file
 * modes, and errors that never show a password (issue 16). */
#include "unit/store/store_test.h"

#include <sys/stat.h>

#include "store/store_state.h"

static void
test_db_open_refuses_unknown_schemes_and_creates_nothing(void **state)
{
	static const char *const urls[] = {
		"sqlite3:x.db", "sqlite3:///tmp/x.db", "file:x.db", "pgsql://u:hunter2@h/db",
		"mysql://u:hunter2@127.0.0.1/db", "postgre://u:hunter2@h/db",
	};
	char dir[] = "/tmp/tlsrpt-scheme.XXXXXX", cwd[4096];
	struct err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		err_clear(&err);
		assert_null(store_open(urls[i], &err));
		if (strstr(err.msg, "unknown scheme") == NULL || strstr(err.msg, "hunter2") != NULL)
			fail_msg("url '%s': error '%s'", urls[i], err.msg);
		err_clear(&err);
		assert_null(store_open_readonly(urls[i], &err));
		assert_non_null(strstr(err.msg, "unknown scheme"));
	}
	/* nothing was created in the working directory */
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(chdir(cwd), 0);
}

static void
test_db_url_redact_hides_passwords(void **state)
{
	static const struct { const char *url, *want; } cases[] = {
		{ "postgresql://u:hunter2@h:5432/db", "postgresql://u:***@h:5432/db" },
		{ "postgresql://u@h/db?password=hunter2&sslmode=require",
		  "postgresql://u@h/db?password=***&sslmode=require" },
		{ "postgresql://h/db?password=ab", "postgresql://h/db?password=**" },
		{ "postgresql://u@h/db", "postgresql://u@h/db" },
		{ "sqlite:/var/lib/tlsrpt/tlsrpt.db", "sqlite:/var/lib/tlsrpt/tlsrpt.db" },
		{ "host=h password=hunter2 dbname=x", "host=h password=*** dbname=x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = db_url_redact(cases[i].url);

		if (strcmp(r, cases[i].want) != 0)
			fail_msg("'%s' -> '%s', want '%s'", cases[i].url, r, cases[i].want);
		free(r);
	}
}

static void
test_readonly_open_of_a_missing_store_says_so_and_creates_nothing(void **state)
{
	char dir[] = "/tmp/tlsrpt-ro.XXXXXX", url[160], path[128];
	struct err err;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_null(store_open_readonly(url, &err));
	assert_non_null(strstr(err.msg, "does not exist"));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_writing_opens_name_the_missing_directory(void **state)
{
	struct err err;

	(void)state;
	assert_null(store_open("sqlite:/nonexistent-tlsrpt-dir/sub/x.db", &err));
	assert_non_null(strstr(err.msg, "directory /nonexistent-tlsrpt-dir/sub does not exist"));
}

static void
test_new_sqlite_store_is_not_world_readable(void **state)
{
	struct store_fixture *f = *state;
	char path[600];
	struct stat st;

	if (f->pg_url != NULL)
		skip();
	snprintf(path, sizeof(path), "%s/t.db", f->dir);
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 0777) & ~0640)
		fail_msg("new store has mode %04o, want at most 0640", (unsigned)st.st_mode & 0777);
}

static void
test_readonly_handle_reads_and_cannot_write(void **state)
{
	struct store_fixture *f = *state;
	struct store *ro;
	struct err err;
	char *v = NULL;

	assert_int_equal(store_state_set(f->s, "t", "k", "v1", &err), 0);
	ro = store_open_readonly(f->url, &err);
	if (ro == NULL)
		fail_msg("%s", err.msg);
	assert_int_equal(store_state_get(ro, "t", "k", &v, &err), 1);
	assert_string_equal(v, "v1");
	free(v);
	assert_int_equal(store_state_set(ro, "t", "k", "v2", &err), -1);
	assert_int_equal(store_ping(ro, &err), 0);
	store_close(&ro);
}

static void
test_readonly_open_refuses_a_database_without_the_schema(void **state)
{
	struct store_fixture *f = *state;
	struct store *ro;
	struct err err;

	/* an older (or foreign) schema: the reader cannot migrate it */
	assert_int_equal(db_exec(f->s->db, "DELETE FROM schema_version WHERE version > 1",
				 &err), 0);
	ro = store_open_readonly(f->url, &err);
	assert_null(ro);
	assert_non_null(strstr(err.msg, "schema version 1"));
	assert_int_equal(db_exec(f->s->db, "DROP TABLE schema_version", &err), 0);
	ro = store_open_readonly(f->url, &err);
	assert_null(ro);
	assert_non_null(strstr(err.msg, "no tlsrpt store"));
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_db_open_refuses_unknown_schemes_and_creates_nothing),
	STORE_TEST(test_db_url_redact_hides_passwords),
	STORE_TEST(test_readonly_open_of_a_missing_store_says_so_and_creates_nothing),
	STORE_TEST(test_writing_opens_name_the_missing_directory),
	STORE_TEST(test_new_sqlite_store_is_not_world_readable),
	STORE_TEST(test_readonly_handle_reads_and_cannot_write),
	STORE_TEST(test_readonly_open_refuses_a_database_without_the_schema),
};

STORE_TEST_MAIN(tests)
