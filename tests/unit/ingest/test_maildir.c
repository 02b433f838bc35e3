/* Unit tests for ingest/maildir: new/ then cur/, tmp/ skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ingest/maildir.h"
#include "unit/ingest/sourcetest.h"

static void
test_maildir_reads_new_then_cur_and_skips_tmp(void **state)
{
	char dir[] = "/tmp/tlsrpt-maildir.XXXXXX", sub[1024];
	static const char *const subs[] = { "new", "cur", "tmp" };
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, subs[i]);
		assert_int_equal(mkdir(sub, 0700), 0);
		sourcetest_write(sub, "1700000000.M1.host:2,S", subs[i]);
	}
	assert_int_equal(maildir_each(dir, 1024, sourcetest_record, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.data[0], "new");
	assert_string_equal(r.data[1], "cur");
	sourcetest_rmtree(dir);
}

static void
test_maildir_refuses_directory_that_is_not_a_maildir(void **state)
{
	char dir[] = "/tmp/tlsrpt-maildir.XXXXXX";
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(maildir_each(dir, 1024, sourcetest_record, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not a Maildir"));
	sourcetest_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildir_reads_new_then_cur_and_skips_tmp),
		cmocka_unit_test(test_maildir_refuses_directory_that_is_not_a_maildir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
