/* Unit tests for collector/dgcache: a repeated datagram is served from the
 * cache with the same results and the new day; datagrams with remarks,
 * invalid ones and big ones are not cached; different bytes never hit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "collector/dgcache.h"

static const char DG[] = "{\"dpv\": \"1\",\"d\": \"Example.com\",\"pr\": \"v=TLSRPTv1; rua=mailto:a@example.com\","
	"\"policies\":[{\"policy-type\":2,\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\"],"
	"\"mx-host\":[\"mx.example.com\"],\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.1\",\"f\": \"x\"}],\"t\":1,\"f\":1},"
	"{\"policy-type\":9,\"t\":0,\"f\":0}]}";

static void
test_dgcache_repeated_datagram_hits_with_equal_results(void **state)
{
	struct dgcache *c = calloc(1, sizeof(*c));
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;

	(void)state;
	assert_int_equal(dgcache_decode(c, DG, strlen(DG), 10, &b, &info, &err), 2);
	assert_int_equal(c->hits, 0);
	assert_int_equal(dgcache_decode(c, DG, strlen(DG), 11, &b, &info, &err), 2);
	assert_int_equal(c->hits, 1);
	assert_int_equal(b.n, 4);
	for (int i = 0; i < 2; i++) {
		struct result *a = &b.v[i], *h = &b.v[i + 2];

		assert_int_equal(a->day, 10);
		assert_int_equal(h->day, 11);
		assert_string_equal(a->domain, h->domain);
		assert_string_equal(h->domain, "example.com");
		assert_string_equal(a->tlsrpt_record, h->tlsrpt_record);
		assert_int_equal(a->policy_type, h->policy_type);
		assert_int_equal(a->failed, h->failed);
		assert_int_equal(a->n_failures, h->n_failures);
		assert_true(strlist_equal(&a->policy_string, &h->policy_string));
		assert_true(strlist_equal(&a->mx_host, &h->mx_host));
	}
	assert_string_equal(b.v[2].failures[0].sending_mta_ip, "192.0.2.1");
	assert_string_equal(b.v[2].failures[0].failure_reason_code, "x");
	assert_null(b.v[2].failures[0].receiving_ip);
	assert_ptr_not_equal(b.v[0].domain, b.v[2].domain);     /* owned copies */
	datagram_batch_free(&b);
	dgcache_clear(c);
	free(c);
}

static void
test_dgcache_does_not_cache_remarks_invalid_or_big(void **state)
{
	static const char *const inputs[] = {
		"{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0}]}",               /* no dpv */
		"{\"dpv\":\"1\",\"d\":\"a\xff\",\"policies\":[{\"policy-type\":1,\"f\":0}]}", /* repaired */
		"{\"dpv\":\"1\",\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"t\":5,\"f\":0}]}", /* t */
		"{\"dpv\":\"1\",\"d\":\"a\",\"policies\":[{\"policy-type\":1}]}",            /* invalid */
	};
	struct dgcache *c = calloc(1, sizeof(*c));
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	char *big = malloc(DGCACHE_MAX_BYTES + 200);
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++)
		for (int k = 0; k < 2; k++) {
			int rc = dgcache_decode(c, inputs[i], strlen(inputs[i]), 1, &b, &info, &err);

			assert_int_equal(rc, i == 3 ? -1 : 1);
			assert_int_equal(info.reason != DATAGRAM_OK, i == 3);
		}
	assert_int_equal(c->hits, 0);
	n = snprintf(big, 100, "{\"dpv\":\"1\",\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":0,\"policy-string\":[\"");
	memset(big + n, 'x', DGCACHE_MAX_BYTES);
	memcpy(big + n + DGCACHE_MAX_BYTES, "\"]}]}", 6);
	assert_int_equal(dgcache_decode(c, big, strlen(big), 1, &b, &info, &err), 1);
	assert_int_equal(dgcache_decode(c, big, strlen(big), 1, &b, &info, &err), 1);
	assert_int_equal(c->hits, 0);
	free(big);
	datagram_batch_free(&b);
	dgcache_clear(c);
	free(c);
}

static void
test_dgcache_many_distinct_datagrams_each_decode_to_their_own_domain(void **state)
{
	struct dgcache *c = calloc(1, sizeof(*c));
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	char dg[256], want[32];

	(void)state;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 3 * DGCACHE_SLOTS; i++) {
			int len = snprintf(dg, sizeof(dg), "{\"dpv\":\"1\",\"d\":\"d%d.example\","
					   "\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":%d}]}", i, i % 2);

			assert_int_equal(dgcache_decode(c, dg, (size_t)len, 1, &b, &info, &err), 1);
			snprintf(want, sizeof(want), "d%d.example", i);
			assert_string_equal(b.v[b.n - 1].domain, want);
			assert_int_equal(b.v[b.n - 1].failed, i % 2);
			datagram_batch_clear(&b);
		}
	datagram_batch_free(&b);
	dgcache_clear(c);
	free(c);
}

/* Once the cache is full, a new datagram is cached on its second sighting
 * (its first leaves a ghost): the third decode is the first hit. */
static void
test_dgcache_full_cache_admits_a_datagram_on_its_second_sighting(void **state)
{
	struct dgcache *c = calloc(1, sizeof(*c));
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	char dg[256];
	int len;

	(void)state;
	/* 8x the slots: every set is full (16 per set on average) */
	for (int i = 0; i < 8 * DGCACHE_SLOTS; i++) {
		len = snprintf(dg, sizeof(dg), "{\"dpv\":\"1\",\"d\":\"f%d.example\","
			       "\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":0}]}", i);
		assert_int_equal(dgcache_decode(c, dg, (size_t)len, 1, &b, &info, &err), 1);
		datagram_batch_clear(&b);
	}
	assert_int_equal(c->hits, 0);
	len = snprintf(dg, sizeof(dg), "{\"dpv\":\"1\",\"d\":\"new.example\","
		       "\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":1}]}");
	for (int k = 0; k < 3; k++) {
		assert_int_equal(dgcache_decode(c, dg, (size_t)len, 7, &b, &info, &err), 1);
		assert_string_equal(b.v[0].domain, "new.example");
		assert_int_equal(b.v[0].failed, 1);
		assert_int_equal(b.v[0].day, 7);
		assert_int_equal(c->hits, k == 2 ? 1 : 0);
		datagram_batch_clear(&b);
	}
	datagram_batch_free(&b);
	dgcache_clear(c);
	free(c);
}

static void
test_dgcache_working_set_smaller_than_cache_mostly_hits(void **state)
{
	struct dgcache *c = calloc(1, sizeof(*c));
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	char dg[256];

	(void)state;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 200; i++) {
			int len = snprintf(dg, sizeof(dg), "{\"dpv\":\"1\",\"d\":\"d%d.example\","
					   "\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":0}]}", i);

			assert_int_equal(dgcache_decode(c, dg, (size_t)len, 1, &b, &info, &err), 1);
			datagram_batch_clear(&b);
		}
	/* 200 datagrams in 1024 two-way slots: >= 95 % of rounds 2 and 3 hit. */
	print_message("# hits %lu misses %lu\n", (unsigned long)c->hits, (unsigned long)c->misses);
	assert_true(c->hits >= 380);
	assert_int_equal(c->hits + c->misses, 600);
	datagram_batch_free(&b);
	dgcache_clear(c);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dgcache_repeated_datagram_hits_with_equal_results),
		cmocka_unit_test(test_dgcache_does_not_cache_remarks_invalid_or_big),
		cmocka_unit_test(test_dgcache_many_distinct_datagrams_each_decode_to_their_own_domain),
		cmocka_unit_test(test_dgcache_full_cache_admits_a_datagram_on_its_second_sighting),
		cmocka_unit_test(test_dgcache_working_set_smaller_than_cache_mostly_hits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
