/* Unit tests for store/store_state: named values per namespace. */
#include "unit/store/store_test.h"

#include "store/store_state.h"

static void
test_state_missing_key_gives_zero_and_null(void **state)
{
	struct store_fixture *f = *state;
	char *v = (char *)"x";
	struct err err;

	assert_int_equal(store_state_get(f->s, "imap", "uid", &v, &err), 0);
	assert_null(v);
}

static void
test_state_set_replaces_and_namespaces_are_separate(void **state)
{
	static const struct { const char *ns, *key, *value; } steps[] = {
		{ "imap", "INBOX/uidvalidity", "1700000000" },
		{ "imap", "INBOX/uid", "41" },
		{ "alert", "INBOX/uid", "other" },
		{ "imap", "INBOX/uid", "42" },
	};
	struct store_fixture *f = *state;
	struct err err;
	char *v;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		assert_int_equal(store_state_set(f->s, steps[i].ns, steps[i].key, steps[i].value,
						 &err), 0);
	assert_int_equal(store_state_get(f->s, "imap", "INBOX/uid", &v, &err), 1);
	assert_string_equal(v, "42");
	free(v);
	assert_int_equal(store_state_get(f->s, "alert", "INBOX/uid", &v, &err), 1);
	assert_string_equal(v, "other");
	free(v);
	assert_int_equal(store_state_get(f->s, "imap", "INBOX/uidvalidity", &v, &err), 1);
	assert_string_equal(v, "1700000000");
	free(v);
}

static void
test_state_null_value_deletes(void **state)
{
	struct store_fixture *f = *state;
	struct err err;
	char *v;

	assert_int_equal(store_state_set(f->s, "n", "k", "", &err), 0);
	assert_int_equal(store_state_get(f->s, "n", "k", &v, &err), 1);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(store_state_set(f->s, "n", "k", NULL, &err), 0);
	assert_int_equal(store_state_get(f->s, "n", "k", &v, &err), 0);
	assert_null(v);
}

static void
test_state_rejects_value_over_limit(void **state)
{
	struct store_fixture *f = *state;
	char *big = malloc(STORE_STATE_MAX + 2);
	struct err err;
	char *v;

	memset(big, 'a', STORE_STATE_MAX + 1);
	big[STORE_STATE_MAX + 1] = '\0';
	assert_int_equal(store_state_set(f->s, "n", "k", big, &err), -1);
	assert_non_null(strstr(err.msg, "n/k"));
	assert_int_equal(store_state_get(f->s, "n", "k", &v, &err), 0);
	free(big);
}

static void
test_state_survives_reopen(void **state)
{
	struct store_fixture *f = *state;
	struct store *s2;
	struct err err;
	char *v;

	assert_int_equal(store_state_set(f->s, "n", "k", "v1", &err), 0);
	store_close(&f->s);
	f->s = store_test_reopen(f);
	assert_non_null(f->s);
	s2 = f->s;
	assert_int_equal(store_state_get(s2, "n", "k", &v, &err), 1);
	assert_string_equal(v, "v1");
	free(v);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_state_missing_key_gives_zero_and_null),
	STORE_TEST(test_state_set_replaces_and_namespaces_are_separate),
	STORE_TEST(test_state_null_value_deletes),
	STORE_TEST(test_state_rejects_value_over_limit),
	STORE_TEST(test_state_survives_reopen),
};

STORE_TEST_MAIN(tests)
