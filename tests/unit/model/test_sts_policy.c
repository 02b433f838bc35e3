/* Unit tests for model/sts_policy: RFC 8461 §3.2 policy files and §4.1 MX matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "model/sts_policy.h"

struct policy_case {
	const char *name;
	const char *body;
	int want_rc;
	enum sts_mode want_mode;
	long want_max_age;
	size_t want_mx;
	size_t want_lines;
	const char *want_err;   /* substring, when want_rc == -1 */
	const char *want_warn;  /* substring of a warning, or NULL for none */
};

static const struct policy_case cases[] = {
	{ "RFC example, LF", "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
	  "mx: backupmx.example.com\nmax_age: 604800\n", 0, STS_MODE_ENFORCE, 604800, 3, 6, NULL, NULL },
	{ "CRLF, no final line end", "version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 86400",
	  0, STS_MODE_TESTING, 86400, 1, 4, NULL, NULL },
	{ "mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 86400\n", 0, STS_MODE_NONE, 86400, 0, 3,
	  NULL, NULL },
	{ "no space after colon", "version:STSv1\nmode:enforce\nmx:mx.example.test\nmax_age:1\n", 0,
	  STS_MODE_ENFORCE, 1, 1, 4, NULL, NULL },
	{ "unknown key ignored", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 1\nfoo: bar\n", 0,
	  STS_MODE_ENFORCE, 1, 1, 5, NULL, "unknown key \"foo\"" },
	{ "repeated mode, first wins", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.test\nmax_age: 1\n", 0,
	  STS_MODE_TESTING, 1, 1, 5, NULL, "repeated \"mode\"" },
	{ "trailing blank lines dropped", "version: STSv1\nmode: none\nmax_age: 5\n\n\n", 0, STS_MODE_NONE, 5, 0, 3,
	  NULL, NULL },
	{ "blank line inside warns", "version: STSv1\n\nmode: none\nmax_age: 5\n", 0, STS_MODE_NONE, 5, 0, 4,
	  NULL, "blank line" },
	{ "bad mode", "version: STSv1\nmode: enforcing\nmx: a.test\nmax_age: 1\n", -1, 0, 0, 0, 4,
	  "line 2: mode \"enforcing\"", NULL },
	{ "bad version", "version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1\n", -1, 0, 0, 0, 4,
	  "line 1: version", NULL },
	{ "max_age too large", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n", -1, 0, 0, 0, 4,
	  "line 4: max_age 31557601", NULL },
	{ "max_age not digits", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 1w\n", -1, 0, 0, 0, 4,
	  "not 1 to 10 digits", NULL },
	{ "max_age 11 digits", "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 00000000001\n", -1, 0, 0, 0, 4,
	  "not 1 to 10 digits", NULL },
	{ "missing version", "mode: enforce\nmx: a.test\nmax_age: 1\n", -1, 0, 0, 0, 3, "no \"version", NULL },
	{ "missing max_age", "version: STSv1\nmode: enforce\nmx: a.test\n", -1, 0, 0, 0, 3, "no \"max_age", NULL },
	{ "missing mode", "version: STSv1\nmx: a.test\nmax_age: 1\n", -1, 0, 0, 0, 3, "no \"mode", NULL },
	{ "enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", -1, 0, 0, 0, 3, "no \"mx:\"", NULL },
	{ "line without colon", "version: STSv1\nhello\n", -1, 0, 0, 0, 2, "line 2 \"hello\"", NULL },
	{ "bad mx pattern", "version: STSv1\nmode: enforce\nmx: mail..example\nmax_age: 1\n", -1, 0, 0, 0, 4,
	  "line 3: mx", NULL },
	{ "wildcard not leftmost", "version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n", -1, 0, 0, 0, 4,
	  "line 3: mx", NULL },
	{ "empty body", "", -1, 0, 0, 0, 0, "no \"version", NULL },
};

static void
test_sts_policy_cases(void **state)
{
	size_t i, j;
	struct sts_policy p;
	struct strlist w = { 0 };
	struct err err;
	int rc, found;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_case *c = &cases[i];
		err.msg[0] = '\0';
		rc = sts_policy_parse(c->body, strlen(c->body), &p, &w, &err);
		if (rc != c->want_rc)
			fail_msg("%s: rc %d (%s)", c->name, rc, err.msg);
		if (rc == 0 && (p.mode != c->want_mode || p.max_age != c->want_max_age || p.mx.n != c->want_mx))
			fail_msg("%s: mode %d max_age %ld mx %zu", c->name, p.mode, p.max_age, p.mx.n);
		if (rc < 0 && strstr(err.msg, c->want_err) == NULL)
			fail_msg("%s: err \"%s\" lacks \"%s\"", c->name, err.msg, c->want_err);
		if (p.lines.n != c->want_lines)
			fail_msg("%s: %zu lines, want %zu", c->name, p.lines.n, c->want_lines);
		for (found = 0, j = 0; j < w.n; j++)
			found |= c->want_warn != NULL && strstr(w.v[j], c->want_warn) != NULL;
		if (c->want_warn != NULL && !found)
			fail_msg("%s: no warning \"%s\"", c->name, c->want_warn);
		if (c->want_warn == NULL && rc == 0 && w.n > 0)
			fail_msg("%s: unexpected warning %s", c->name, w.v[0]);
		sts_policy_clear(&p);
		strlist_clear(&w);
	}
}

static void
test_sts_policy_keeps_lines_verbatim_for_policy_string(void **state)
{
	const char *body = "version: STSv1\r\nmode: testing\r\nmx: *.example.net\r\nmax_age: 86400\r\n";
	struct sts_policy p;

	(void)state;
	assert_int_equal(sts_policy_parse(body, strlen(body), &p, NULL, NULL), 0);
	assert_int_equal(p.lines.n, 4);
	assert_string_equal(p.lines.v[2], "mx: *.example.net");
	assert_string_equal(p.mx.v[0], "*.example.net");
	sts_policy_clear(&p);
}

static void
test_sts_policy_refuses_oversized_body(void **state)
{
	static char big[STS_POLICY_MAX + 2];
	struct sts_policy p;
	struct err err;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(sts_policy_parse(big, sizeof(big) - 1, &p, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "more than"));
	sts_policy_clear(&p);
}

struct mx_case {
	const char *pattern, *host;
	int want;
};

static const struct mx_case mx_cases[] = {
	{ "mail.example.com", "mail.example.com", 1 },
	{ "mail.example.com", "MAIL.Example.COM.", 1 },
	{ "mail.example.com.", "mail.example.com", 1 },
	{ "mail.example.com", "mail2.example.com", 0 },
	{ "*.example.com", "mx.example.com", 1 },
	{ "*.example.com", "MX.EXAMPLE.COM.", 1 },
	{ "*.example.com", "example.com", 0 },
	{ "*.example.com", "a.b.example.com", 0 },
	{ "*.example.com", ".example.com", 0 },
	{ "*.example.com", "mx.example.org", 0 },
	{ "*.example.com", "mxexample.com", 0 },
	{ "", "example.com", 0 },
};

static void
test_sts_mx_match_wildcard_is_one_label(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mx_cases) / sizeof(mx_cases[0]); i++)
		if (sts_mx_match(mx_cases[i].pattern, mx_cases[i].host) != mx_cases[i].want)
			fail_msg("sts_mx_match(\"%s\", \"%s\") != %d", mx_cases[i].pattern, mx_cases[i].host,
			    mx_cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sts_policy_cases),
		cmocka_unit_test(test_sts_policy_keeps_lines_verbatim_for_policy_string),
		cmocka_unit_test(test_sts_policy_refuses_oversized_body),
		cmocka_unit_test(test_sts_mx_match_wildcard_is_one_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
