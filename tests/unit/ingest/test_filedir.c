/* Unit tests for ingest/filedir: sorted, bounded reads of a directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ingest/filedir.h"
#include "unit/ingest/sourcetest.h"

static void
test_filedir_gives_regular_files_in_name_order(void **state)
{
	char dir[] = "/tmp/tlsrpt-filedir.XXXXXX", path[1024];
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	sourcetest_write(dir, "b.json", "{\"b\":1}");
	sourcetest_write(dir, "a.eml", "From: x\n\nbody");
	sourcetest_write(dir, ".hidden", "no");
	sourcetest_write(dir, "c.big", "0123456789abcdef");
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(filedir_each(dir, 10, sourcetest_record, &r, &err), 0);
	assert_int_equal(r.n, 3);
	assert_non_null(strstr(r.names[0], "/a.eml"));
	assert_int_equal(r.errors[0], 1);            /* 14 bytes > 10 */
	assert_non_null(strstr(r.data[0], "larger than the 10 bytes limit"));
	assert_non_null(strstr(r.names[1], "/b.json"));
	assert_string_equal(r.data[1], "{\"b\":1}");
	assert_int_equal(r.errors[2], 1);
	sourcetest_rmtree(dir);
}

static void
test_filedir_stops_when_callback_says_so(void **state)
{
	char dir[] = "/tmp/tlsrpt-filedir.XXXXXX";
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	sourcetest_write(dir, "1", "a");
	sourcetest_write(dir, "2", "b");
	r.stop_after = 1;
	assert_int_equal(filedir_each(dir, 10, sourcetest_record, &r, &err), 7);
	assert_int_equal(r.n, 1);
	sourcetest_rmtree(dir);
}

static void
test_filedir_refuses_missing_directory(void **state)
{
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_int_equal(filedir_each("/nonexistent/x", 10, sourcetest_record, &r, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x: cannot open directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filedir_gives_regular_files_in_name_order),
		cmocka_unit_test(test_filedir_stops_when_callback_says_so),
		cmocka_unit_test(test_filedir_refuses_missing_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
