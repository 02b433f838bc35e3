/* Unit tests for collector/utf8fix: valid UTF-8 untouched, each invalid
 * byte (overlong, surrogate, > U+10FFFF, truncated, NUL) → U+FFFD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/utf8fix.h"

struct utf8_case {
	const char *in;
	const char *want;               /* NULL: valid, unchanged */
};

static const struct utf8_case utf8_cases[] = {
	{ "plain ascii", NULL },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL },
	{ "\xff", "\xef\xbf\xbd" },
	{ "a\xc0\xaf" "b", "a\xef\xbf\xbd\xef\xbf\xbd" "b" },           /* overlong */
	{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },     /* surrogate */
	{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
	{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },                       /* truncated */
	{ "\xe2\x82x", "\xef\xbf\xbd\xef\xbf\xbdx" },
};

static void
test_utf8fix_repair_replaces_each_invalid_byte(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		size_t len = 0;
		char *out = utf8fix_repair(utf8_cases[i].in, strlen(utf8_cases[i].in), &len);

		if (utf8_cases[i].want == NULL) {
			assert_null(out);
			assert_int_equal(utf8fix_valid_prefix(utf8_cases[i].in, strlen(utf8_cases[i].in)),
					 strlen(utf8_cases[i].in));
		} else {
			/* the valid prefix stops before the first bad byte */
			assert_true(utf8fix_valid_prefix(utf8_cases[i].in, strlen(utf8_cases[i].in)) <
				    strlen(utf8_cases[i].in));
			assert_non_null(out);
			assert_string_equal(out, utf8_cases[i].want);
			assert_int_equal(len, strlen(utf8_cases[i].want));
			assert_int_equal(utf8fix_valid_prefix(out, len), len);
		}
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8fix_repair_replaces_each_invalid_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
