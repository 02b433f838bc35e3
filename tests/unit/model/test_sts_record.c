/* Unit tests for model/sts_record: the _mta-sts TXT record (RFC 8461 §3.1), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "model/sts_record.h"

struct sts_case {
	const char *name;
	const char *txt[3];
	int want_rc;
	const char *want_id;
	const char *want_err;
	const char *want_warn;
};

static const struct sts_case cases[] = {
	{ "plain", { "v=STSv1; id=20240101T000000" }, 0, "20240101T000000", NULL, NULL },
	{ "no space, trailing semicolon", { "v=STSv1;id=abc;" }, 0, "abc", NULL, NULL },
	{ "extension kept", { "v=STSv1; id=1; foo=bar" }, 0, "1", NULL, NULL },
	{ "space before semicolon warns", { "v=STSv1 ; id=1" }, 0, "1", NULL, "space before ';'" },
	{ "other TXT discarded", { "v=spf1 -all", "v=STSv1; id=x1" }, 0, "x1", NULL, NULL },
	{ "two records", { "v=STSv1; id=1", "v=STSv1; id=2" }, -1, NULL, "2 MTA-STS records", NULL },
	{ "none", { "hello" }, -1, NULL, "no MTA-STS record", NULL },
	{ "version case-sensitive", { "v=stsv1; id=1" }, -1, NULL, "no MTA-STS record", NULL },
	{ "no id", { "v=STSv1;" }, -1, NULL, "no id= field", NULL },
	{ "id too long", { "v=STSv1; id=123456789012345678901234567890123" }, -1, NULL, "1 to 32", NULL },
	{ "id with dash", { "v=STSv1; id=2024-01-01" }, -1, NULL, "'-' is not allowed", NULL },
	{ "repeated id", { "v=STSv1; id=a; id=b" }, 0, "a", NULL, "repeated id=" },
	{ "field without equals", { "v=STSv1; id=a; junk" }, -1, NULL, "not name=value", NULL },
};

static void
test_sts_record_cases(void **state)
{
	size_t i, n, j;
	struct sts_record rec;
	struct strlist w = { 0 };
	struct err err;
	int rc, found;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sts_case *c = &cases[i];
		for (n = 0; n < 3 && c->txt[n]; n++)
			;
		err.msg[0] = '\0';
		rc = record_sts_select(c->txt, n, &rec, &w, NULL, &err);
		if (rc != c->want_rc)
			fail_msg("%s: rc %d (%s)", c->name, rc, err.msg);
		if (rc == 0 && strcmp(rec.id, c->want_id) != 0)
			fail_msg("%s: id %s", c->name, rec.id);
		if (rc < 0 && strstr(err.msg, c->want_err) == NULL)
			fail_msg("%s: err \"%s\" lacks \"%s\"", c->name, err.msg, c->want_err);
		for (found = 0, j = 0; j < w.n; j++)
			found |= c->want_warn != NULL && strstr(w.v[j], c->want_warn) != NULL;
		if (c->want_warn != NULL && !found)
			fail_msg("%s: no warning \"%s\"", c->name, c->want_warn);
		if (c->want_warn == NULL && w.n > 0)
			fail_msg("%s: unexpected warning %s", c->name, w.v[0]);
		record_sts_clear(&rec);
		strlist_clear(&w);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sts_record_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
