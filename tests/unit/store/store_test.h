/*
 * store_test: fixtures shared by the store unit tests.  Every store test
 * runs once against SQLite (a fresh file in a temp dir) and, when
 * TLSRPT_TEST_PG_URL is set, once more against that PostgreSQL database
 * (its tlsrpt tables dropped before each test).
 * Use: STORE_TEST_MAIN(tests) at the end of the test file.
 */
#ifndef TLSRPT_TESTS_STORE_TEST_H
#define TLSRPT_TESTS_STORE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/db.h"
#include "store/store.h"
#include "store/store_private.h"

struct store_fixture {
	const char *pg_url;     /* NULL: SQLite */
	char dir[64];
	char url[512];
	struct store *s;
};

static inline int
store_test_pg_reset(const char *url)
{
	struct err err;
	struct db *db = db_open(url, &err);
	int rc;

	if (db == NULL) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	/* Every table, including ones added by later migrations. */
	rc = db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err);
	if (rc < 0)
		fprintf(stderr, "# %s\n", err.msg);
	db_close(&db);
	return rc;
}

/* Opens a second handle on the fixture's store. */
static inline struct store *
store_test_reopen(struct store_fixture *f)
{
	struct err err;
	struct store *s = store_open(f->url, &err);

	if (s == NULL)
		fprintf(stderr, "# %s\n", err.msg);
	return s;
}

static inline int
store_test_setup(void **state)
{
	const char *pg = *state != NULL ? (const char *)*state : NULL;
	struct store_fixture *f = calloc(1, sizeof(*f));
	struct err err;

	f->pg_url = pg;
	if (pg != NULL) {
		if (store_test_pg_reset(pg) < 0)
			goto fail;
		snprintf(f->url, sizeof(f->url), "%s", pg);
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/tlsrpt-store.XXXXXX");
		if (mkdtemp(f->dir) == NULL)
			goto fail;
		snprintf(f->url, sizeof(f->url), "sqlite:%s/t.db", f->dir);
	}
	f->s = store_open(f->url, &err);
	if (f->s == NULL) {
		fprintf(stderr, "# store_open: %s\n", err.msg);
		goto fail;
	}
	*state = f;
	return 0;
fail:
	free(f);
	return -1;
}

static inline int
store_test_teardown(void **state)
{
	struct store_fixture *f = *state;
	char path[600];
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };

	store_close(&f->s);
	if (f->pg_url == NULL) {
		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(path, sizeof(path), "%s/t.db%s", f->dir, sfx[i]);
			unlink(path);
		}
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

static inline int
store_test_group_pg(void **state)
{
	*state = getenv("TLSRPT_TEST_PG_URL");
	return 0;
}

/* Runs the table with per-test fixtures, on SQLite and (if configured)
 * PostgreSQL; each test must be cmocka_unit_test_setup_teardown(test,
 * store_test_setup, store_test_teardown) with no initial state. */
#define STORE_TEST_MAIN(tests)                                                        \
	int main(void)                                                                \
	{                                                                             \
		int rc = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);    \
		const char *pg = getenv("TLSRPT_TEST_PG_URL");                        \
		if (pg != NULL && *pg != '\0')                                        \
			rc |= cmocka_run_group_tests_name("postgresql", tests,        \
							  store_test_group_pg, NULL); \
		return rc;                                                            \
	}

#define STORE_TEST(fn) cmocka_unit_test_setup_teardown(fn, store_test_setup, store_test_teardown)

#endif
