/* Unit tests for util/utf8_seq: one table of valid and invalid sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/utf8_seq.h"

static const struct {
	const char *bytes;
	size_t n;                /* bytes left, as the caller passes it */
	size_t want;
} cases[] = {
	{ "a", 1, 1 },
	{ "\0", 1, 1 },
	{ "\xC3\xA9x", 3, 2 },            /* é, then more text */
	{ "\xE2\x82\xAC", 3, 3 },         /* € */
	{ "\xF0\x9F\x98\x80", 4, 4 },     /* U+1F600 */
	{ "\xF0\x9F\x98\x80zz", 6, 4 },
	{ "\x80", 1, 0 },                 /* stray continuation byte */
	{ "\xC3", 1, 0 },                 /* cut off */
	{ "\xE2\x82\xAC", 2, 0 },         /* cut off by n */
	{ "\xC0\xAF", 2, 0 },             /* overlong / */
	{ "\xE0\x80\xAF", 3, 0 },         /* overlong / */
	{ "\xED\xA0\x80", 3, 0 },         /* surrogate U+D800 */
	{ "\xF4\x90\x80\x80", 4, 0 },     /* past U+10FFFF */
	{ "\xF8\x88\x80\x80\x80", 5, 0 }, /* five-byte form */
	{ "\xC3\x28", 2, 0 },             /* bad continuation */
};

static void
test_utf8_seq_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t got = utf8_seq((const unsigned char *)cases[i].bytes, cases[i].n);

		if (got != cases[i].want)
			fail_msg("case %zu: got %zu, want %zu", i, got, cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_seq_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
