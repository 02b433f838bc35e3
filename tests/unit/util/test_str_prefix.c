/* Unit tests for util/str_prefix: the prefix order agrees with strcmp(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/str_prefix.h"

static int
sign(int64_t v)
{
	return v < 0 ? -1 : v > 0;
}

static void
test_str_prefix8_orders_as_strcmp(void **state)
{
	static const char *const s[] = {
		"", "a", "ab", "ab\x01", "abc", "b", "d1.example", "d10.example",
		"d1.exampld", "d2.example", "example.com", "example.net",
		"examples", "\xc3\xbc" "ber", "\xff", "Z", "zz", "aaaaaaaa",
		"aaaaaaaab", "aaaaaaab", "Google Inc.", "Microsoft Corporation",
	};
	size_t n = sizeof(s) / sizeof(s[0]), i, k;

	(void)state;
	for (i = 0; i < n; i++)
		for (k = 0; k < n; k++) {
			uint64_t a = str_prefix8(s[i]), b = str_prefix8(s[k]);
			int c = sign(strcmp(s[i], s[k]));

			if (a != b)
				assert_int_equal(a < b ? -1 : 1, c);
			else if (strlen(s[i]) < 8 || strlen(s[k]) < 8)
				assert_int_equal(c, 0);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_prefix8_orders_as_strcmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
