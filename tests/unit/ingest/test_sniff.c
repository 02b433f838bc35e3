/* Unit tests for ingest/sniff: classification by the first bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/sniff.h"

static const struct {
	const char *name;
	const char *data;
	size_t len;       /* 0: strlen(data) */
	enum sniff_kind want;
} cases[] = {
	{ "json object", "{\"a\":1}", 0, SNIFF_JSON },
	{ "json after white space", " \r\n\t{", 0, SNIFF_JSON },
	{ "json after BOM", "\xef\xbb\xbf{}", 0, SNIFF_JSON },
	{ "json array is not a report", "[{}]", 0, SNIFF_UNKNOWN },
	{ "gzip magic", "\x1f\x8b\x08\x00", 4, SNIFF_GZIP },
	{ "zip local header", "PK\x03\x04rest", 8, SNIFF_ZIP },
	{ "empty zip", "PK\x05\x06", 4, SNIFF_ZIP },
	{ "mail header", "From: a@example\r\n\r\nbody", 0, SNIFF_MAIL },
	{ "mail, other first field", "Return-Path: <x@y>\n", 0, SNIFF_MAIL },
	{ "mbox From line", "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n", 0, SNIFF_MAIL },
	{ "base64 of gzip", "H4sIAAAAAAAAAHVQy2rEMAz8\nleJztJ", 0, SNIFF_BASE64 },
	{ "base64 of json", "eyJhIjoxfQ==", 0, SNIFF_BASE64 },
	{ "base64 of text", "aGVsbG8gd29ybGQ=", 0, SNIFF_UNKNOWN },
	{ "header name with space", "Not a header: x\n", 0, SNIFF_UNKNOWN },
	{ "plain text", "hello world\n", 0, SNIFF_UNKNOWN },
	{ "empty", "", 0, SNIFF_UNKNOWN },
	{ "one byte of gzip magic", "\x1f", 1, SNIFF_UNKNOWN },
};

static void
test_sniff_classifies_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].data);
		enum sniff_kind got = sniff_kind(cases[i].data, len);

		if (got != cases[i].want)
			fail_msg("%s: got %s, want %s", cases[i].name,
				 sniff_kind_name(got), sniff_kind_name(cases[i].want));
	}
}

static void
test_sniff_json_skip_counts_bom_and_space(void **state)
{
	(void)state;
	assert_int_equal(sniff_json_skip("\xef\xbb\xbf \n{", 6), 5);
	assert_int_equal(sniff_json_skip("{", 1), 0);
}

static void
test_sniff_excerpt_is_printable_and_bounded(void **state)
{
	char out[8];

	(void)state;
	sniff_excerpt("a\x01\"bcdefghij", 12, out, sizeof(out));
	assert_string_equal(out, "a..bcde");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff_classifies_table),
		cmocka_unit_test(test_sniff_json_skip_counts_bom_and_space),
		cmocka_unit_test(test_sniff_excerpt_is_printable_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
