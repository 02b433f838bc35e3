/* Unit tests for policyd/netstring: the socketmap framing, table-driven;
 * valid input is also fed one byte at a time (every prefix says "more"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "policyd/netstring.h"

struct ns_case {
	const char *name;
	const char *in;
	size_t max;
	int want_rc;
	const char *want_payload;       /* rc 1 */
	size_t want_consumed;           /* rc 1 */
	const char *want_err;           /* rc -1 */
};

static const struct ns_case cases[] = {
	{ "request", "19:postfix example.com,", 100, 1, "postfix example.com", 23, NULL },
	{ "empty payload", "0:,", 100, 1, "", 3, NULL },
	{ "second one left for later", "1:a,1:b,", 100, 1, "a", 4, NULL },
	{ "payload with ':' and ','", "5:a:b,c,", 100, 1, "a:b,c", 8, NULL },
	{ "at the maximum", "3:abc,", 3, 1, "abc", 6, NULL },
	{ "prefix: digits only", "12", 100, 0, NULL, 0, NULL },
	{ "prefix: no comma yet", "3:abc", 100, 0, NULL, 0, NULL },
	{ "nothing", "", 100, 0, NULL, 0, NULL },
	{ "over the maximum", "4:abcd,", 3, -1, NULL, 0, "length over 3" },
	{ "over the maximum before the payload", "99999", 1000, -1, NULL, 0, "length over 1000" },
	{ "too many digits", "0000000001:", 1u << 30, -1, NULL, 0, "leading zero" },
	{ "ten digits", "1234567890", (size_t)-1, -1, NULL, 0, "more than 9 digits" },
	{ "letter", "a:b,", 100, -1, NULL, 0, "byte 0x61" },
	{ "no length", ":abc,", 100, -1, NULL, 0, "no length" },
	{ "wrong terminator", "3:abcX", 100, -1, NULL, 0, "no ','" },
	{ "negative", "-1:", 100, -1, NULL, 0, "byte 0x2d" },
	{ "space", " 3:abc,", 100, -1, NULL, 0, "byte 0x20" },
};

static void
test_netstring_decode_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ns_case *c = &cases[i];
		const char *payload = NULL;
		size_t plen = 0, used = 0, n;
		struct err err = { { 0 } };
		int rc = netstring_decode(c->in, strlen(c->in), c->max, &payload, &plen, &used, &err);

		if (rc != c->want_rc)
			fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->want_rc, err.msg);
		if (rc == 1 && (plen != strlen(c->want_payload) || memcmp(payload, c->want_payload, plen) != 0 ||
		    used != c->want_consumed))
			fail_msg("%s: payload \"%.*s\" used %zu", c->name, (int)plen, payload, used);
		if (rc == -1 && strstr(err.msg, c->want_err) == NULL)
			fail_msg("%s: error \"%s\", want \"%s\"", c->name, err.msg, c->want_err);
		/* every proper prefix of a whole netstring asks for more */
		for (n = 0; rc == 1 && n < used; n++)
			if (netstring_decode(c->in, n, c->max, &payload, &plen, &used, &err) != 0)
				fail_msg("%s: prefix of %zu bytes not 0", c->name, n);
	}
}

static void
test_netstring_encode_round_trips_and_respects_the_maximum(void **state)
{
	struct buf b;
	const char *payload;
	size_t plen, used;

	(void)state;
	buf_init(&b, 30);
	assert_int_equal(netstring_encode(&b, "OK secure", 9), 0);
	assert_string_equal(b.data, "9:OK secure,");
	assert_int_equal(netstring_decode(b.data, b.len, 100, &payload, &plen, &used, NULL), 1);
	assert_int_equal(plen, 9);
	assert_memory_equal(payload, "OK secure", 9);
	/* 12 + 2 + 17 bytes would pass 30: refused, b unchanged */
	assert_int_equal(netstring_encode(&b, "NOTFOUND NOTFOUND", 17), -1);
	assert_string_equal(b.data, "9:OK secure,");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netstring_decode_cases),
		cmocka_unit_test(test_netstring_encode_round_trips_and_respects_the_maximum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
