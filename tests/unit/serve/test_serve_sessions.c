/* Unit tests for serve/serve_sessions.c, the in-memory login sessions of
 * serve --read-only: found until they expire, forgotten on logout, and a
 * full bucket gives up the session that would end first, never growing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "serve/serve_private.h"

/* A session hash in bucket 0 (first six hex digits zero), told apart by i. */
static void
hash_in_bucket0(int i, char out[65])
{
	snprintf(out, 65, "000000%058x", (unsigned)i);
}

static struct serve_session
session(int64_t user_id, int64_t expires)
{
	struct serve_session s;

	memset(&s, 0, sizeof(s));
	s.user_id = user_id;
	snprintf(s.user_name, sizeof(s.user_name), "user%lld", (long long)user_id);
	snprintf(s.csrf, sizeof(s.csrf), "csrf%lld", (long long)user_id);
	s.expires = expires;
	return s;
}

static void
test_sessions_found_until_expiry_and_logout(void **state)
{
	struct serve_sessions *t = serve_sessions_new();
	struct serve_session s = session(7, 1000), got;
	char h[65], other[65];

	(void)state;
	hash_in_bucket0(1, h);
	hash_in_bucket0(2, other);
	serve_sessions_add(t, h, &s, 100);
	assert_int_equal(serve_sessions_find(t, h, 999, &got), 1);
	assert_int_equal(got.user_id, 7);
	assert_string_equal(got.user_name, "user7");
	assert_string_equal(got.csrf, "csrf7");
	assert_int_equal(serve_sessions_find(t, other, 999, &got), 0);
	assert_int_equal(serve_sessions_find(t, h, 1000, &got), 0);     /* expired */
	serve_sessions_del(t, h);
	assert_int_equal(serve_sessions_find(t, h, 500, &got), 0);      /* logged out */
	serve_sessions_free(&t);
	assert_null(t);
}

static void
test_sessions_full_bucket_replaces_the_one_ending_first(void **state)
{
	struct serve_sessions *t = serve_sessions_new();
	struct serve_session s, got;
	char h[65];
	int i;

	(void)state;
	/* SERVE_SESSION_WAYS sessions in one bucket; session 3 ends first */
	for (i = 0; i < SERVE_SESSION_WAYS; i++) {
		s = session(i, i == 3 ? 2000 : 5000 + i);
		hash_in_bucket0(i, h);
		serve_sessions_add(t, h, &s, 100);
	}
	s = session(99, 9000);
	hash_in_bucket0(99, h);
	serve_sessions_add(t, h, &s, 100);
	assert_int_equal(serve_sessions_find(t, h, 200, &got), 1);
	assert_int_equal(got.user_id, 99);
	for (i = 0; i < SERVE_SESSION_WAYS; i++) {
		hash_in_bucket0(i, h);
		assert_int_equal(serve_sessions_find(t, h, 200, &got), i != 3);
	}
	/* an expired one is reused before any live one */
	s = session(100, 9000);
	hash_in_bucket0(100, h);
	serve_sessions_add(t, h, &s, 5002);     /* sessions 0 and 1 ended */
	hash_in_bucket0(2, h);
	assert_int_equal(serve_sessions_find(t, h, 200, &got), 1);
	hash_in_bucket0(99, h);
	assert_int_equal(serve_sessions_find(t, h, 200, &got), 1);
	serve_sessions_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions_found_until_expiry_and_logout),
		cmocka_unit_test(test_sessions_full_bucket_replaces_the_one_ending_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
