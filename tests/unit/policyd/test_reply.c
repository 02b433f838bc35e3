/* Unit tests for policyd/reply: answers exactly as Postfix 3.10 parses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policyd/reply.h"
#include "util/xalloc.h"

static const struct {
	const char *name, *policy;
	int tlsrpt;
	const char *want;
} cases[] = {
	{ "enforce with wildcard",
	  "version: STSv1\nmode: enforce\nmx: mx.example.com\nmx: *.Example.NET\nmax_age: 86400\n", 1,
	  "OK secure match=mx.example.com:.example.net servername=hostname policy_type=sts "
	  "policy_domain=example.com mx_host_pattern=mx.example.com mx_host_pattern=*.example.net "
	  "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
	  "{ policy_string = mx: mx.example.com } { policy_string = mx: *.Example.NET } "
	  "{ policy_string = max_age: 86400 }" },
	{ "without TLSRPT attributes (Postfix 3.9)",
	  "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n", 0,
	  "OK secure match=mx.example.com servername=hostname" },
	{ "braces and blank lines are left out of the policy strings, tabs become spaces",
	  "version: STSv1\r\nmode: enforce\r\n\r\nmx: mx.example.com\r\nx-note: {odd}\r\nx-tab: a\tb\r\nmax_age: 1\r\n", 1,
	  "OK secure match=mx.example.com servername=hostname policy_type=sts policy_domain=example.com "
	  "mx_host_pattern=mx.example.com { policy_string = version: STSv1 } "
	  "{ policy_string = mode: enforce } { policy_string = mx: mx.example.com } "
	  "{ policy_string = x-tab: a b } { policy_string = max_age: 1 }" },
};

static void
test_policyd_reply_enforce_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sts_policy p;
		struct err err;
		char *got;

		if (sts_policy_parse(cases[i].policy, strlen(cases[i].policy), &p, NULL, &err) < 0)
			fail_msg("%s: %s", cases[i].name, err.msg);
		got = policyd_reply_enforce("example.com", &p, cases[i].tlsrpt);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s:\n got  %s\n want %s", cases[i].name, got, cases[i].want);
		free(got);
		sts_policy_clear(&p);
	}
}

/* A policy whose patterns alone, twice (match= and mx_host_pattern=),
 * would pass Postfix's 100000-byte reply limit: the answer drops the
 * TLSRPT attributes and keeps every pattern in match=; it is never cut. */
static void
test_policyd_reply_stays_under_the_postfix_limit(void **state)
{
	struct sts_policy p;
	char *body = xmalloc(STS_POLICY_MAX + 1), *got;
	size_t len = 0;
	int i;

	(void)state;
	len += (size_t)snprintf(body, 100, "version: STSv1\nmode: enforce\nmax_age: 86400\n");
	for (i = 0; len + 80 < STS_POLICY_MAX; i++)
		len += (size_t)snprintf(body + len, 100, "mx: host%05d.a-rather-long-label-for-padding.example.com\n", i);
	assert_int_equal(sts_policy_parse(body, len, &p, NULL, NULL), 0);
	got = policyd_reply_enforce("example.com", &p, 1);
	assert_true(strlen(got) <= POLICYD_REPLY_MAX + 3);
	assert_null(strstr(got, "policy_type="));
	assert_non_null(strstr(got, "match=host00000."));
	assert_non_null(strstr(got, p.mx.v[p.mx.n - 1]));
	assert_string_equal(got + strlen(got) - strlen(" servername=hostname"), " servername=hostname");
	free(got);
	sts_policy_clear(&p);
	free(body);
}

/* Many policy lines but few patterns: the policy strings stop before the
 * limit, the attributes Postfix needs are all there. */
static void
test_policyd_reply_cuts_policy_strings_not_patterns(void **state)
{
	struct sts_policy p;
	char *body = xmalloc(STS_POLICY_MAX + 1), *got;
	size_t len = 0;

	(void)state;
	len += (size_t)snprintf(body, 100, "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 86400\n");
	while (len + 100 < STS_POLICY_MAX)
		len += (size_t)snprintf(body + len, 100, "x-padding: %080d\n", 0);
	assert_int_equal(sts_policy_parse(body, len, &p, NULL, NULL), 0);
	got = policyd_reply_enforce("example.com", &p, 1);
	assert_true(strlen(got) <= POLICYD_REPLY_MAX + 3);
	assert_non_null(strstr(got, "match=mx.example.com servername=hostname policy_type=sts "
	    "policy_domain=example.com mx_host_pattern=mx.example.com { policy_string = version: STSv1 }"));
	assert_string_equal(got + strlen(got) - 2, " }");
	free(got);
	sts_policy_clear(&p);
	free(body);
}

static void
test_policyd_reply_failure_names_the_result_type(void **state)
{
	char *got = policyd_reply_failure("example.com", POLICYD_FAIL_WEBPKI);

	(void)state;
	assert_string_equal(got, "OK secure match=hostname servername=hostname policy_type=sts "
	    "policy_domain=example.com policy_failure=sts-webpki-invalid");
	free(got);
	assert_string_equal(policyd_failure_name(POLICYD_FAIL_FETCH), "sts-policy-fetch-error");
	assert_string_equal(policyd_failure_name(POLICYD_FAIL_INVALID), "sts-policy-invalid");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policyd_reply_enforce_cases),
		cmocka_unit_test(test_policyd_reply_stays_under_the_postfix_limit),
		cmocka_unit_test(test_policyd_reply_cuts_policy_strings_not_patterns),
		cmocka_unit_test(test_policyd_reply_failure_names_the_result_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
