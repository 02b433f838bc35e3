/* Unit tests for model/domain_scope: which names a set of grants matches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "model/domain_scope.h"

static void
test_domain_scope_matches_names_and_patterns(void **state)
{
	static const struct {
		const char *domain;
		int want;
	} cases[] = {
		{ "example.com", 1 }, { "EXAMPLE.com.", 1 }, { "www.example.com", 0 },
		{ "a.example.net", 1 }, { "b.a.example.net", 1 }, { "example.net", 0 },
		{ "badexample.net", 0 }, { "xexample.com", 0 }, { "", 0 }, { NULL, 0 },
		{ "other.org", 0 }, { "example.com.evil.org", 0 }, { ".example.net", 0 },
	};
	struct domain_scope *sc = domain_scope_new();
	struct err err;

	(void)state;
	assert_int_equal(domain_scope_add(sc, "Example.COM", &err), 0);
	assert_int_equal(domain_scope_add(sc, "*.example.net.", &err), 0);
	assert_int_equal(domain_scope_count(sc), 2);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (domain_scope_allows(sc, cases[i].domain) != cases[i].want)
			fail_msg("%s: want %d", cases[i].domain ? cases[i].domain : "(null)",
				 cases[i].want);
	domain_scope_free(&sc);
	assert_null(sc);
}

static void
test_domain_scope_all_and_empty(void **state)
{
	struct domain_scope *all = domain_scope_new_all(), *none = domain_scope_new();
	struct err err;

	(void)state;
	assert_int_equal(domain_scope_allows(all, "anything.example"), 1);
	assert_int_equal(domain_scope_allows(all, ""), 1);
	assert_int_equal(domain_scope_allows(none, "anything.example"), 0);
	assert_int_equal(domain_scope_allows(NULL, "anything.example"), 0);
	assert_int_equal(domain_scope_add(none, "*", &err), 0);
	assert_int_equal(domain_scope_is_all(none), 1);
	domain_scope_free(&all);
	domain_scope_free(&none);
}

static void
test_domain_pattern_rejects_bad_patterns(void **state)
{
	static const char *bad[] = { "", "*.", "a..b", "exa mple.com", "*x.com", "ex*.com",
				     "a.*.com", "%", "example.com/x", "-" "\xc3\xa9.com" };
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = domain_pattern_normalize(bad[i], &err);

		if (p != NULL)
			fail_msg("\"%s\" accepted as \"%s\"", bad[i], p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_scope_matches_names_and_patterns),
		cmocka_unit_test(test_domain_scope_all_and_empty),
		cmocka_unit_test(test_domain_pattern_rejects_bad_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
