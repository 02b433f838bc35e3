/* Unit tests for lib/tlsrpt_util.c: error-code helpers, strerror and the
 * version check, against the values sys4 libtlsrpt 0.5 gives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "tlsrpt.h"

struct code_case {
	int code;
	int want_errno;
	int want_internal;
	int want_known;         /* strerror gives a real text */
};

static const struct code_case codes[] = {
	{ 0, 0, 0, 0 },
	{ TLSRPT_ERR_TLSRPT_CANCELLED, 703, 1, 1 },
	{ TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG, 711, 1, 1 },
	{ TLSRPT_ERR_TLSRPT_NOPOLICIES, 732, 1, 1 },
	{ TLSRPT_ERR_TLSRPT_NULLARGUMENT, 741, 1, 1 },
	{ TLSRPT_ERR_TLSRPT + 999, 999, 1, 0 },
	{ TLSRPT_ERR_SENDTO + ENOENT, ENOENT, 0, 1 },
	{ TLSRPT_ERR_SENDTO + EAGAIN, EAGAIN, 0, 1 },
	{ TLSRPT_ERR_SENDTO + ECONNREFUSED, ECONNREFUSED, 0, 1 },
	{ TLSRPT_ERR_MALLOC_OPENDR + ENOMEM, ENOMEM, 0, 1 },
	{ 99000 + 1, 1, 0, 0 },
};

static void
test_tlsrpt_util_error_code_helpers_split_block_and_errno(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = tlsrpt_strerror(codes[i].code);

		assert_int_equal(tlsrpt_errno_from_error_code(codes[i].code), codes[i].want_errno);
		assert_int_equal(tlsrpt_error_code_is_internal(codes[i].code), codes[i].want_internal);
		assert_non_null(s);
		assert_int_equal(strcmp(s, "UNKNOWN TLSRPT ERROR CODE") != 0, codes[i].want_known);
	}
	/* A libc error is described by its block. */
	assert_string_equal(tlsrpt_strerror(TLSRPT_ERR_SENDTO + EAGAIN),
			    tlsrpt_strerror(TLSRPT_ERR_SENDTO + ENOENT));
}

static void
test_tlsrpt_util_version_check_accepts_same_major_older_minor(void **state)
{
	(void)state;
	assert_int_equal(tlsrpt_version_check(0, 5, 0), 1);
	assert_int_equal(tlsrpt_version_check(0, 5, 99), 1);
	assert_int_equal(tlsrpt_version_check(0, 4, 9), 1);
	assert_int_equal(tlsrpt_version_check(0, 6, 0), 0);
	assert_int_equal(tlsrpt_version_check(1, 0, 0), 0);
	assert_string_equal(tlsrpt_version(), TLSRPT_VERSION_STRING);
	assert_string_equal(TLSRPT_VERSION_STRING, "0.5.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsrpt_util_error_code_helpers_split_block_and_errno),
		cmocka_unit_test(test_tlsrpt_util_version_check_accepts_same_major_older_minor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
