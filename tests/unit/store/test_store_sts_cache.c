/* Unit tests for store/store_sts_cache: the MTA-STS policies policyd keeps
 * (SQLite, and PostgreSQL when TLSRPT_TEST_PG_URL is set). */
#include "unit/store/store_test.h"

#include "store/store_sts_cache.h"

static void
put(struct store *s, const char *domain, const char *id, const char *body, int64_t fetched,
    int64_t expires)
{
	struct store_sts_policy p = { (char *)domain, (char *)id, (char *)body, fetched, expires };
	struct err err;

	if (store_sts_cache_put(s, &p, &err) < 0)
		fail_msg("%s", err.msg);
}

static void
count(void *ctx, const struct store_sts_policy *p)
{
	(void)p;
	(*(int *)ctx)++;
}

static void
test_sts_cache_put_get_replace_and_expire(void **state)
{
	struct store_fixture *f = *state;
	struct store_sts_policy got;
	struct err err;
	int n = 0;

	put(f->s, "example.com", "1", "version: STSv1\nmode: enforce\n", 100, 1000);
	assert_int_equal(store_sts_cache_get(f->s, "example.com", 500, &got, &err), 1);
	assert_string_equal(got.id, "1");
	assert_string_equal(got.body, "version: STSv1\nmode: enforce\n");
	assert_int_equal(got.fetched, 100);
	assert_int_equal(got.expires, 1000);
	store_sts_policy_clear(&got);
	/* a newer fetch replaces it; an older one (another MTA, late) does not */
	put(f->s, "example.com", "2", "v2", 200, 1100);
	put(f->s, "example.com", "0", "v0", 50, 900);
	assert_int_equal(store_sts_cache_get(f->s, "example.com", 500, &got, &err), 1);
	assert_string_equal(got.id, "2");
	store_sts_policy_clear(&got);
	/* expired: not returned, and deleted by expire */
	assert_int_equal(store_sts_cache_get(f->s, "example.com", 1100, &got, &err), 0);
	assert_null(got.body);
	put(f->s, "example.net", NULL, "v", 100, 5000);
	assert_int_equal(store_sts_cache_each(f->s, 1100, count, &n, &err), 1);
	assert_int_equal(n, 1);
	assert_int_equal(store_sts_cache_expire(f->s, 1100, &err), 0);
	assert_int_equal(store_sts_cache_get(f->s, "example.com", 0, &got, &err), 0);
	assert_int_equal(store_sts_cache_get(f->s, "example.net", 0, &got, &err), 1);
	assert_null(got.id);
	store_sts_policy_clear(&got);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_sts_cache_put_get_replace_and_expire),
};

STORE_TEST_MAIN(tests)
