/* Unit tests for ingest/ingest_store: extract → parse → store with a real
 * SQLite store in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/ingest_store.h"
#include "store/store.h"
#include "unit/ingest/sourcetest.h"
#include "util/log.h"

static const char good[] =
	"{\"organization-name\":\"Example\",\"date-range\":{\"start-datetime\":"
	"\"2026-01-01T00:00:00Z\",\"end-datetime\":\"2026-01-01T23:59:59Z\"},"
	"\"contact-info\":\"x@example\",\"report-id\":\"unit-1\",\"policies\":[{"
	"\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":\"example.net\"},"
	"\"summary\":{\"total-successful-session-count\":1,"
	"\"total-failure-session-count\":0}}]}";

static void
test_ingest_store_stores_then_counts_duplicate_and_refuses_bad(void **state)
{
	char dir[] = "/tmp/tlsrpt-ingest-store.XXXXXX", url[1100];
	struct ingest_counts c = { 0 };
	struct err err = { "" };
	struct store *s;

	(void)state;
	log_init("test", LOG_LEVEL_ERROR, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	s = store_open(url, &err);
	if (s == NULL)
		fail_msg("store_open: %s", err.msg);
	assert_int_equal(ingest_store_bytes(s, good, strlen(good), NULL, "file", "a",
					    &c, &err), 1);
	assert_int_equal(ingest_store_bytes(s, good, strlen(good), NULL, "file", "b",
					    &c, &err), 1);
	assert_int_equal(ingest_store_bytes(s, "hello", 5, NULL, "file", "c", &c, &err), 0);
	assert_int_equal(ingest_store_bytes(s, "{\"report-id\":1}", 15, NULL, "file",
					    "d", &c, &err), 0);
	assert_int_equal(c.messages, 4);
	assert_int_equal(c.reports, 3);
	assert_int_equal(c.stored, 1);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.errors, 2);
	store_close(&s);
	sourcetest_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_store_stores_then_counts_duplicate_and_refuses_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
