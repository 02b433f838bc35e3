/* Unit tests for ingest/mbox: splitting on From lines, >From unquoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ingest/mbox.h"
#include "unit/ingest/sourcetest.h"

static const char mbox_text[] =
	"From a@example Mon Jan  1 00:00:00 2024\n"
	"Subject: one\n"
	"\n"
	">From the body\n"
	">>From deeper\n"
	"From: not a separator? it is: mboxrd quotes every body From line\n"
	"\n"
	"From b@example Mon Jan  1 00:00:01 2024\n"
	"Subject: two\n"
	"\n"
	"0123456789012345678901234567890123456789012345678901234567890123456789\n"
	"0123456789012345678901234567890123456789012345678901234567890123456789\n"
	"From c@example Mon Jan  1 00:00:02 2024\n"
	"Subject: three\n";

static void
test_mbox_splits_unquotes_and_reports_oversized(void **state)
{
	char dir[] = "/tmp/tlsrpt-mbox.XXXXXX", path[1024];
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	sourcetest_write(dir, "mbox", mbox_text);
	snprintf(path, sizeof(path), "%s/mbox", dir);
	assert_int_equal(mbox_each(path, 120, sourcetest_record, &r, &err), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.data[0], "Subject: one\n\nFrom the body\n>From deeper\n"
			    "From: not a separator? it is: mboxrd quotes every body From line\n\n");
	assert_non_null(strstr(r.names[0], "/mbox:1"));
	assert_int_equal(r.errors[1], 1);
	assert_string_equal(r.data[1], "message larger than the 120 bytes limit");
	assert_string_equal(r.data[2], "Subject: three\n");
	assert_non_null(strstr(r.names[2], "/mbox:3"));
	sourcetest_rmtree(dir);
}

static void
test_mbox_refuses_file_without_from_line(void **state)
{
	char dir[] = "/tmp/tlsrpt-mbox.XXXXXX", path[1024];
	struct recorded r = { 0 };
	struct err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	sourcetest_write(dir, "mbox", "Subject: x\n\nbody\n");
	snprintf(path, sizeof(path), "%s/mbox", dir);
	assert_int_equal(mbox_each(path, 120, sourcetest_record, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not an mbox"));
	assert_int_equal(r.n, 0);
	sourcetest_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mbox_splits_unquotes_and_reports_oversized),
		cmocka_unit_test(test_mbox_refuses_file_without_from_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
