/* Unit tests for policyd/key: Postfix next-hop keys → policy domains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policyd/key.h"

static const struct {
	const char *key, *want, *why;
} cases[] = {
	{ "example.com", "example.com", NULL },
	{ "Example.COM", "example.com", NULL },
	{ "example.com.", "example.com", NULL },
	{ "example.com:25", "example.com", NULL },
	{ "example.com:smtp", "example.com", NULL },
	{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example", NULL },
	{ ".example.com", NULL, "leading dot" },
	{ "[mx.example.com]", NULL, "bracketed" },
	{ "[mx.example.com]:587", NULL, "bracketed" },
	{ "example.com:2525", "example.com", NULL },
	{ "example.com:x25", NULL, "not a port" },
	{ "example.com:", NULL, "not a port" },
	{ "192.0.2.1", NULL, "IP address" },
	{ "2001:db8::1", NULL, "IP address" },
	{ "exa mple.com", NULL, "not a domain" },
	{ "a..b", NULL, "not a domain" },
	{ "-a.example", NULL, "not a domain" },
	{ "", NULL, "not a domain" },
	{ "example.com{", NULL, "not a domain" },
};

static void
test_policyd_key_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		char *got = policyd_key_domain(cases[i].key, strlen(cases[i].key), &why);

		if (cases[i].want != NULL && (got == NULL || strcmp(got, cases[i].want) != 0))
			fail_msg("%s: got %s (%s), want %s", cases[i].key, got ? got : "NULL", why, cases[i].want);
		if (cases[i].want == NULL && (got != NULL || strstr(why, cases[i].why) == NULL))
			fail_msg("%s: got %s, why \"%s\", want NULL and \"%s\"", cases[i].key, got ? got : "NULL",
			    why, cases[i].why);
		free(got);
	}
}

static void
test_policyd_key_refuses_a_key_with_nul_or_too_long(void **state)
{
	const char *why;
	char big[POLICYD_KEY_MAX + 2];

	(void)state;
	assert_null(policyd_key_domain("a\0b.com", 7, &why));
	memset(big, 'a', sizeof(big));
	assert_null(policyd_key_domain(big, sizeof(big), &why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policyd_key_cases),
		cmocka_unit_test(test_policyd_key_refuses_a_key_with_nul_or_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
