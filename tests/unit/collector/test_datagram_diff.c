/*
 * Differential test of the collector's datagram decoder (yajl callbacks,
 * datagram.c) against the former jansson decoder (datagram_jansson.c,
 * with JSON_REJECT_DUPLICATES): the same count, reason, remarks and
 * results for valid datagrams, every malformed variant test_datagram.c
 * uses, duplicate names, huge and inexact numbers, escapes, bad UTF-8,
 * deep nesting, every prefix, and seeded random mutations of them all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/datagram_jansson.h"

#define PR "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
#define HEAD "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"" PR "\","
#define POL "{\"policy-type\":2,\"t\":0,\"f\":0}"
#define FD(x) "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":1,\"t\":1," \
	"\"failure-details\":[" x "]}]}"

static const char *const inputs[] = {
	/* valid, as the library writes them */
	HEAD "\"policies\":[{\"policy-type\":1,\"policy-domain\": \"mx1.example.com\","
	"\"policy-string\":[\"3 1 1 4F4A\"],\"t\":0,\"f\":0}]}",
	HEAD "\"policies\":[{\"policy-type\":2,\"policy-domain\": \"example.com\",\"policy-string\":"
	"[\"version: STSv1\",\"mode: enforce\",\"mx: mx1.example.com\",\"max_age: 604800\"],"
	"\"mx-host\":[\"mx1.example.com\"],\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.25\","
	"\"n\": \"mx1.example.com\",\"h\": \"250-mx1\\r\\n250 8BITMIME\",\"r\": \"198.51.100.10\"}],"
	"\"t\":1,\"f\":1}]}",
	HEAD "\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201,\"a\":\"x\",\"f\":\"y\"}],"
	"\"t\":1,\"f\":1}]}",
	/* test_datagram.c's cases */
	"{\"d\":\"a.example\",\"pr\":\"x\",\"policies\":[" POL "]}",
	"{\"dpv\":\"2\",\"d\":\"a\",\"policies\":[" POL "]}",
	"{\"dpv\":1,\"d\":\"a\",\"policies\":[" POL "]}",
	"{\"d\":\"MX.Example.COM..\",\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL "," POL "]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"t\":3,\"f\":1}]}",
	"{\"d\":\"a\xff\xc3\",\"pr\":\"\xed\xa0\x80\",\"policies\":[" POL "]}",
	"{\"d\":", "", "[1]", "{\"policies\":[" POL "]}", "{\"d\":\".\",\"policies\":[" POL "]}",
	"{\"d\":5,\"policies\":[" POL "]}", "{\"d\":\"a\"}", "{\"d\":\"a\",\"policies\":[]}",
	"{\"d\":\"a\",\"policies\":[" POL ",{\"policy-type\":1}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":2}]}",
	"{\"d\":\"a\",\"policies\":[{\"f\":1}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":3,\"f\":1}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":1,\"policy-string\":\"x\"}]}",
	FD("{\"s\":\"x\"}"), FD("{\"c\":201,\"s\":1}"),
	/* types and shapes */
	"\"x\"", "1", "null", "{}", "{\"d\":null,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"pr\":null,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"pr\":[],\"policies\":[" POL "]}",
	"{\"d\":{\"d\":\"b\"},\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":{}}", "{\"d\":\"a\",\"policies\":null}",
	"{\"d\":\"a\",\"policies\":[1]}", "{\"d\":\"a\",\"policies\":[[]]}",
	"{\"d\":\"a\",\"policies\":[null," POL "]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1.0,\"f\":0}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":\"1\",\"f\":0}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":true}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"t\":null}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"t\":\"0\"}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"mx-host\":[\"a\",1]}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"mx-host\":[\"a\",[\"b\"]]}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"mx-host\":null,\"policy-string\":[]}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"failure-details\":{}}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"failure-details\":null}]}",
	FD("1"), FD("{\"c\":-1}"), FD("{\"c\":100000}"), FD("{\"c\":99999}"), FD("{\"c\":\"201\"}"),
	FD("{\"c\":201},{\"c\":202,\"s\":null}"), FD("{\"c\":201,\"x\":{\"c\":1,\"c\":2}}"),
	"{\"d\":\"a\",\"x\":{\"policies\":1,\"d\":2},\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"x\":[{\"f\":3}]}]}",
	/* duplicate member names, at every level, known and unknown */
	"{\"d\":\"a\",\"d\":\"b\",\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL "],\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"f\":1}]}",
	"{\"d\":\"a\",\"x\":1,\"x\":2,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"x\":{\"y\":1,\"y\":1},\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"x\":{\"y\":1},\"y\":1,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"\\u0064\":\"b\",\"policies\":[" POL "]}",
	FD("{\"c\":201,\"s\":\"x\",\"s\":\"y\"}"),
	"{\"d\":\"a\",\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,"
	"\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,\"k17\":1,\"k18\":1,"
	"\"k19\":1,\"k20\":1,\"k3\":1,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,"
	"\"k10\":1,\"k11\":1,\"k12\":1,\"k13\":1,\"k14\":1,\"k15\":1,\"k16\":1,\"k17\":1,\"k18\":1,"
	"\"k19\":1,\"k20\":1,\"policies\":[" POL "]}",
	/* numbers: exact, at and over the 64-bit limits, reals */
	FD("{\"c\":9223372036854775807}"), FD("{\"c\":9223372036854775808}"),
	FD("{\"c\":-9223372036854775808}"), FD("{\"c\":-9223372036854775809}"),
	FD("{\"c\":18446744073709551616}"), FD("{\"c\":99999999999999999999999999}"),
	FD("{\"c\":201.0}"), FD("{\"c\":2.01e2}"), FD("{\"c\":201e0}"), FD("{\"c\":1e400}"),
	FD("{\"c\":-1e400}"), FD("{\"c\":1e-400}"), FD("{\"c\":-0}"), FD("{\"c\":0201}"),
	FD("{\"c\":+201}"), FD("{\"c\":201.}"), FD("{\"c\":.5}"), FD("{\"c\":1E+2}"),
	FD("{\"c\":-}"), FD("{\"c\":0x10}"), FD("{\"c\":NaN}"), FD("{\"c\":Infinity}"),
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"t\":9223372036854775807}]}",
	"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":-0}]}",
	/* strings and escapes */
	"{\"d\":\"\\u0061\\u00e9\\u20ac\\ud83d\\ude00\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\u0000b\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\ud800\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\ud800x\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\ud800\\u0041\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\udc00\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\\\ud800\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\\\\\ud800\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\uD83D\\uDE00\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\u12\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\x\",\"policies\":[" POL "]}",
	"{\"d\":\"a\\/\\b\\f\\n\\r\\t\\\"\",\"policies\":[" POL "]}",
	"{\"d\":\"a\tb\",\"policies\":[" POL "]}",
	"{\"d\":\"a\x01" "b\",\"policies\":[" POL "]}",
	"{\"d\":\"a\x7f" "b\",\"policies\":[" POL "]}",
	"{\"d\":\"a\xc3\xa9\xf0\x9f\x98\x80\",\"policies\":[" POL "]}",
	"{\"d\":\"a\xc0\xaf\",\"policies\":[" POL "]}",
	"{\"d\":\"a\xf4\x90\x80\x80\",\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL "]}\xff",
	"\xef\xbb\xbf{\"d\":\"a\",\"policies\":[" POL "]}",
	"{'d':'a','policies':[" POL "]}",
	/* whitespace, comments, trailing bytes */
	" \t\r\n{\"d\" : \"a\" , \"policies\" : [ " POL " ] } \n",
	"\f{\"d\":\"a\",\"policies\":[" POL "]}",
	"{\"d\":\"a\",\v\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL "]} x",
	"{\"d\":\"a\",\"policies\":[" POL "]}{}",
	/* after the root, an unfinished token (found by libFuzzer) */
	"{\"dpv\": \"1\",\"d\": \"Srua=mailt.0.10\"}\":1}]}Z",
	"{\"d\":\"a\",\"policies\":[" POL "]}\"x", "{\"d\":\"a\",\"policies\":[" POL "]}1",
	"{\"d\":\"a\",\"policies\":[" POL "]}tru", "{\"d\":\"a\",\"policies\":[" POL "]} \n\t\r",
	"[1]\"x", "[1] ",
	"{\"d\":\"a\",\"policies\":[" POL "]}/* c */",
	"{\"d\":\"a\",/* c */\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL ",]}",
	"{\"d\":\"a\",\"policies\":[" POL "],}",
	"{\"d\":\"a\"\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"policies\":[" POL "]",
	"{\"d\":\"a\",\"policies\":[" POL "]}\0",
	"{\"d\":\"a\",\"n\":nul,\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"n\":[true,false,null],\"policies\":[" POL "]}",
	"{\"d\":\"a\",\"n\":TRUE,\"policies\":[" POL "]}",
};

/* Nesting n arrays deep inside an otherwise valid datagram. */
static char *
nested(size_t n)
{
	const char *head = "{\"d\":\"a\",\"policies\":[" POL "],\"x\":";
	size_t hl = strlen(head);
	char *s = malloc(hl + 2 * n + 2);

	memcpy(s, head, hl);
	memset(s + hl, '[', n);
	memset(s + hl + n, ']', n);
	s[hl + 2 * n] = '}';
	s[hl + 2 * n + 1] = '\0';
	return s;
}

static void
assert_agree(const char *s, size_t len, const char *what)
{
	char why[1024];

	if (!datagram_decoders_agree(s, len, why, sizeof(why))) {
		print_error("# %s: %.*s\n# %s\n", what, (int)(len < 300 ? len : 300), s, why);
		fail();
	}
}

static void
test_datagram_diff_listed_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		assert_agree(inputs[i], strlen(inputs[i]), "listed");
	/* with the NUL byte of the one above that ends in one */
	assert_agree("{\"d\":\"a\",\"policies\":[" POL "]}\0", sizeof("{\"d\":\"a\",\"policies\":[" POL "]}"),
		     "trailing NUL");
	assert_agree("{\"d\":\"a\0\",\"policies\":[" POL "]}", sizeof("{\"d\":\"a\0\",\"policies\":[" POL "]}") - 1,
		     "NUL in a string");
}

static void
test_datagram_diff_depth_limit(void **state)
{
	static const size_t depths[] = { 100, 2045, 2046, 2047, 2048, 2049, 5000 };

	(void)state;
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		char *s = nested(depths[i]);

		assert_agree(s, strlen(s), "nested");
		free(s);
	}
}

static void
test_datagram_diff_every_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++)
		for (size_t n = 0; n <= strlen(inputs[i]); n++)
			assert_agree(inputs[i], n, "prefix");
}

/* Seeded mutations: a byte replaced by one of the JSON-significant
 * bytes (or a random one), inserted, or deleted; up to four per input. */
static void
test_datagram_diff_mutations(void **state)
{
	static const char alphabet[] = "{}[]\",:\\ 0123456789-+.eEtrufalsn\x01\x7f\xc3\xa9\xff\f\v";
	unsigned long long seed = 12;
	char buf[2048];

	(void)state;
	for (int round = 0; round < 60; round++) {
		for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
			size_t len = strlen(inputs[i]);
			int k;

			if (len + 8 > sizeof(buf))
				continue;
			memcpy(buf, inputs[i], len);
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			k = 1 + (int)((seed >> 33) % 4);
			for (int m = 0; m < k && len > 0; m++) {
				size_t at;
				char c;

				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				at = (size_t)((seed >> 20) % len);
				c = (seed >> 8) % 5 == 0 ? (char)(seed >> 40)
					: alphabet[(seed >> 44) % (sizeof(alphabet) - 1)];
				switch ((seed >> 60) % 3) {
				case 0:
					buf[at] = c;
					break;
				case 1:
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
					break;
				default:
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
			}
			assert_agree(buf, len, "mutation");
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagram_diff_listed_inputs),
		cmocka_unit_test(test_datagram_diff_depth_limit),
		cmocka_unit_test(test_datagram_diff_every_prefix),
		cmocka_unit_test(test_datagram_diff_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
