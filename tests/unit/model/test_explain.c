/* Unit tests for model/explain: every result type has text and a fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/explain.h"

static void
test_explain_every_registered_type_has_distinct_text(void **state)
{
	(void)state;
	for (int t = RESULT_STARTTLS_NOT_SUPPORTED; t < RESULT_TYPE_COUNT; t++) {
		const char *what = explain_result_type((enum result_type)t);

		assert_non_null(what);
		assert_true(strlen(what) > 20);
		assert_int_equal(what[strlen(what) - 1], '.');
		if (what == explain_result_type(RESULT_UNKNOWN))
			fail_msg("%s has no own explanation", result_type_to_string(t));
		for (int u = RESULT_STARTTLS_NOT_SUPPORTED; u < t; u++)
			assert_string_not_equal(what, explain_result_type((enum result_type)u));
	}
}

static void
test_explain_unknown_and_out_of_range_get_generic_text(void **state)
{
	char *fix;

	(void)state;
	assert_non_null(strstr(explain_result_type(RESULT_UNKNOWN), "not in the RFC 8460"));
	assert_string_equal(explain_result_type((enum result_type)999),
			    explain_result_type(RESULT_UNKNOWN));
	fix = explain_fix((enum result_type)-5, NULL, NULL);
	assert_non_null(strstr(fix, "contact-info"));
	free(fix);
}

static void
test_explain_fix_names_the_mx_and_domain(void **state)
{
	char *fix;

	(void)state;
	fix = explain_fix(RESULT_CERTIFICATE_EXPIRED, "mx1.example.com", "example.com");
	assert_non_null(strstr(fix, "Renew the certificate on mx1.example.com"));
	assert_null(strchr(fix, '{'));
	free(fix);
	fix = explain_fix(RESULT_STS_POLICY_FETCH_ERROR, "mx1.example.com", "example.com");
	assert_non_null(strstr(fix, "https://mta-sts.example.com/.well-known/mta-sts.txt"));
	free(fix);
	fix = explain_fix(RESULT_TLSA_INVALID, "mx.example.org", NULL);
	assert_non_null(strstr(fix, "_25._tcp.mx.example.org"));
	free(fix);
}

static void
test_explain_fix_uses_generic_words_without_names(void **state)
{
	(void)state;
	for (int t = RESULT_UNKNOWN; t < RESULT_TYPE_COUNT; t++) {
		char *fix = explain_fix((enum result_type)t, NULL, "");

		assert_null(strchr(fix, '{'));
		assert_null(strstr(fix, "(null)"));
		assert_true(strlen(fix) > 30);
		free(fix);
	}
}

static void
test_explain_fix_cuts_overlong_names(void **state)
{
	char name[1000];
	char *fix;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	fix = explain_fix(RESULT_DANE_REQUIRED, name, name);
	assert_true(strlen(fix) < 4096);
	/* the name is there, cut to 253 bytes: a run of 253 'a', never 254 */
	name[253] = '\0';
	assert_non_null(strstr(fix, name));
	name[253] = 'a';
	name[254] = '\0';
	assert_null(strstr(fix, name));
	free(fix);
}

static void
test_explain_policy_types(void **state)
{
	(void)state;
	assert_non_null(strstr(explain_policy_type(POLICY_TYPE_STS), "MTA-STS"));
	assert_non_null(strstr(explain_policy_type(POLICY_TYPE_TLSA), "DANE"));
	assert_non_null(strstr(explain_policy_type(POLICY_TYPE_NO_POLICY_FOUND), "neither"));
	assert_non_null(strstr(explain_policy_type(POLICY_TYPE_UNKNOWN), "not in the RFC"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain_every_registered_type_has_distinct_text),
		cmocka_unit_test(test_explain_unknown_and_out_of_range_get_generic_text),
		cmocka_unit_test(test_explain_fix_names_the_mx_and_domain),
		cmocka_unit_test(test_explain_fix_uses_generic_words_without_names),
		cmocka_unit_test(test_explain_fix_cuts_overlong_names),
		cmocka_unit_test(test_explain_policy_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
