/* Unit tests for serve/serve_query: the API filter arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_request.h"
#include "serve/serve_private.h"

static void
test_serve_query_parse_table(void **state)
{
	static const struct {
		const char *since, *until, *domain;
		int rc;
		int64_t want_since, want_until;
		const char *want_domain;        /* NULL: no domain filter */
	} cases[] = {
		{ NULL, NULL, NULL, 0, 0, 0, NULL },
		{ "2024-01-09", NULL, NULL, 0, 1704758400, 0, NULL },
		{ "2024-01-09", "2024-01-09", NULL, 0, 1704758400, 1704844800, NULL },
		{ "2024-01-09T12:00:00Z", NULL, "example.com", 0, 1704801600, 0, "example.com" },
		{ "1704758400", NULL, NULL, 0, 1704758400, 0, NULL },
		/* domain= is no filter; domain=- the policies without policy-domain */
		{ NULL, NULL, "", 0, 0, 0, NULL },
		{ NULL, NULL, "-", 0, 0, 0, "" },
		{ NULL, NULL, "-x.example", 0, 0, 0, "-x.example" },
		{ "yesterday", NULL, NULL, -1, 0, 0, NULL },
		{ "2024-13-01", NULL, NULL, -1, 0, 0, NULL },
		{ "2024-01-09T12:00:00", NULL, NULL, -1, 0, 0, NULL },
		{ "2024-01-10", "2024-01-08", NULL, -1, 0, 0, NULL },
		{ NULL, "2024-02-30x", NULL, -1, 0, 0, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct report_query q;
		struct err err;
		int n = 0;

		fake_init(&f, "GET", "/api/summary", NULL, 0);
		if (cases[i].since != NULL) {
			f.query[n][0] = "since";
			f.query[n++][1] = cases[i].since;
		}
		if (cases[i].until != NULL) {
			f.query[n][0] = "until";
			f.query[n++][1] = cases[i].until;
		}
		if (cases[i].domain != NULL) {
			f.query[n][0] = "domain";
			f.query[n++][1] = cases[i].domain;
		}
		assert_int_equal(serve_query_parse(&f.req, &q, &err), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(q.since, cases[i].want_since);
			assert_int_equal(q.until, cases[i].want_until);
			if (cases[i].want_domain != NULL)
				assert_string_equal(q.domain, cases[i].want_domain);
			else
				assert_null(q.domain);
		}
	}
}

/* domain= is at most 253 characters (a DNS name); longer is refused. */
static void
test_serve_query_refuses_domain_over_253(void **state)
{
	char name[256];
	struct fake f;
	struct report_query q;
	struct err err;

	(void)state;
	memset(name, 'a', sizeof(name));
	name[253] = '\0';
	fake_init(&f, "GET", "/api/summary", NULL, 0);
	f.query[0][0] = "domain";
	f.query[0][1] = name;
	assert_int_equal(serve_query_parse(&f.req, &q, &err), 0);
	assert_string_equal(q.domain, name);
	name[253] = 'a';
	name[254] = '\0';
	assert_int_equal(serve_query_parse(&f.req, &q, &err), -1);
	assert_string_equal(err.msg, "domain: longer than 253 characters");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_query_parse_table),
		cmocka_unit_test(test_serve_query_refuses_domain_over_253),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
