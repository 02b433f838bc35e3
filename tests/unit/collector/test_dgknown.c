/*
 * Unit tests for collector/dgknown: a datagram kept between windows is
 * packed into one block; every field of every result must equal what
 * datagram_decode() gives for the same bytes (the oracle), the keys start
 * at 0, the remarks are kept, the scratch batch is left empty, and a
 * dropped datagram gives NULL with its reason.  ASan checks that the
 * packed block holds exactly what is written into it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "collector/datagram.h"
#include "collector/dgknown.h"

#define PR "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
#define FD(c, extra) "{\"c\":" #c ",\"s\": \"192.0.2.25\",\"n\": \"mx1.example.com\"" extra "}"

struct pack_case {
	const char *name;
	const char *dg;
	size_t want_n;                  /* results; 0 with want_reason: dropped */
	enum datagram_reason want_reason;
};

static const struct pack_case cases[] = {
	{ "tlsa, no failure",
	  "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"" PR "\",\"policies\":[{\"policy-type\":1,"
	  "\"policy-domain\": \"mx1.example.com\",\"policy-string\":[\"3 1 1 AB\"],\"t\":0,\"f\":0}]}",
	  1, DATAGRAM_OK },
	{ "two policies, failures with every field, no record",
	  "{\"dpv\": \"1\",\"d\": \"example.org\",\"policies\":["
	  "{\"policy-type\":2,\"policy-domain\": \"example.org\",\"policy-string\":[\"version: STSv1\","
	  "\"mode: enforce\",\"mx: *.example.org\",\"max_age: 86400\"],\"mx-host\":[\"*.example.org\","
	  "\"mx2.example.org\"],\"failure-details\":[" FD(204, ",\"h\": \"250 mx1\",\"r\": \"198.51.100.10\","
	  "\"a\": \"see https://example.org/why\",\"f\": \"X-EXPIRED\"") "," FD(206, "") "],\"t\":2,\"f\":1},"
	  "{\"policy-type\":9,\"failure-details\":[" FD(201, "") "],\"t\":1,\"f\":1}]}",
	  2, DATAGRAM_OK },
	{ "no dpv, invalid UTF-8 repaired (remarks kept)",
	  "{\"d\": \"example.net\",\"pr\": \"" PR "\",\"policies\":[{\"policy-type\":9,"
	  "\"failure-details\":[" FD(201, ",\"a\": \"caf\xe9\"") "],\"t\":1,\"f\":1}]}",
	  1, DATAGRAM_OK },
	{ "empty strings", "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"\",\"policies\":["
	  "{\"policy-type\":2,\"policy-domain\": \"\",\"policy-string\":[\"\"],\"mx-host\":[],"
	  "\"t\":0,\"f\":0}]}", 1, DATAGRAM_OK },
	{ "bad JSON dropped", "{\"dpv\": \"1\",", 0, DATAGRAM_BAD_JSON },
	{ "missing policies dropped", "{\"dpv\": \"1\",\"d\": \"example.com\"}", 0,
	  DATAGRAM_MISSING_KEY },
};

static void
test_dgknown_packs_what_decode_gives(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct pack_case *t = &cases[c];
		struct datagram_batch oracle = { 0 }, scratch = { 0 };
		struct datagram_info oi, ki;
		struct err oe, ke;
		int on = datagram_decode(t->dg, strlen(t->dg), 20001, &oracle, &oi, &oe);
		struct dgknown *k = dgknown_decode(t->dg, strlen(t->dg), 20001, &scratch, &ki, &ke);

		print_message("case: %s\n", t->name);
		assert_int_equal(ki.reason, t->want_reason);
		assert_memory_equal(&ki, &oi, sizeof(ki));
		assert_int_equal(scratch.n, 0);
		if (t->want_n == 0) {
			assert_null(k);
			assert_int_equal(on, -1);
			assert_string_equal(ke.msg, oe.msg);
		} else {
			assert_non_null(k);
			assert_int_equal(on, (int)t->want_n);
			assert_int_equal(k->n, t->want_n);
			assert_memory_equal(&k->info, &oi, sizeof(oi));
			for (size_t i = 0; i < k->n; i++) {
				assert_int_equal(k->keys[i], 0);
				assert_true(result_equal(&k->v[i], &oracle.v[i]));
			}
		}
		dgknown_free(k);
		datagram_batch_free(&oracle);
		datagram_batch_free(&scratch);
	}
}

/* result_equal(), on which the test above relies, does tell results
 * apart: one field changed at a time. */
static void
test_result_equal_sees_each_field(void **state)
{
	const char *dg = cases[1].dg;
	struct datagram_batch a = { 0 }, b = { 0 };
	struct datagram_info info;
	struct err err;
	char other[] = "other";

	(void)state;
	assert_int_equal(datagram_decode(dg, strlen(dg), 20001, &a, &info, &err), 2);
	assert_int_equal(datagram_decode(dg, strlen(dg), 20001, &b, &info, &err), 2);
	assert_true(result_equal(&a.v[0], &b.v[0]));
	assert_false(result_equal(&a.v[0], &b.v[1]));
	b.v[0].day++;
	assert_false(result_equal(&a.v[0], &b.v[0]));
	b.v[0].day--;
	b.v[0].mx_host.n--;
	assert_false(result_equal(&a.v[0], &b.v[0]));
	b.v[0].mx_host.n++;
	b.v[0].failures[1].code++;
	assert_false(result_equal(&a.v[0], &b.v[0]));
	b.v[0].failures[1].code--;
	{
		char *keep = b.v[0].failures[0].failure_reason_code;

		b.v[0].failures[0].failure_reason_code = other;
		assert_false(result_equal(&a.v[0], &b.v[0]));
		b.v[0].failures[0].failure_reason_code = NULL;
		assert_false(result_equal(&a.v[0], &b.v[0]));
		b.v[0].failures[0].failure_reason_code = keep;
	}
	assert_true(result_equal(&a.v[0], &b.v[0]));
	datagram_batch_free(&a);
	datagram_batch_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dgknown_packs_what_decode_gives),
		cmocka_unit_test(test_result_equal_sees_each_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
