/*
 * Unit tests for model/report_shape (yajl's callbacks) as report_parse_json()
 * uses it: what the jansson reader refused and yajl alone would take must
 * still be refused, and the first error of the text is the one reported.
 * The texts are no complete reports: a text read as JSON fails later, on
 * "date-range: required member is missing", so a wrongly accepted text
 * shows in the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/report_json.h"

static const struct {
	const char *name, *json, *err;   /* err: a substring of the message */
} refused[] = {
	{ "duplicate in an unknown member", "{\"organization-name\":\"O\",\"x\":[{\"k\":1,\"k\":2}]}",
	  "duplicate object key near '\"k\"'" },
	{ "duplicate in a wrong-typed member", "{\"organization-name\":{\"k\":1,\"k\":2}}",
	  "duplicate object key" },
	{ "duplicate known member", "{\"organization-name\":\"O\",\n \"organization-name\":\"P\"}",
	  "line 2 column 20: duplicate object key near '\"organization-name\"'" },
	{ "duplicate alias", "{\"mx-host-pattern\":1,\"mx-host-pattern\":2}", "duplicate object key" },
	{ "integer past int64", "{\"x\":9223372036854775808}", "too big integer" },
	{ "real overflow", "{\"x\":-1e400}", "real number overflow" },
	{ "\\u0000 in a string", "{\"organization-name\":\"O\\u0000\"}", "not JSON" },
	{ "\\u0000 in a name", "{\"x\\u0000\":1}", "not JSON" },
	{ "lone high surrogate", "{\"organization-name\":\"O\\ud800X\"}", "lone surrogate" },
	{ "high surrogate, no low one", "{\"organization-name\":\"O\\ud800\\u0041\"}",
	  "lone surrogate" },
	{ "lone low surrogate", "{\"organization-name\":\"O\\udc00\"}", "lone surrogate" },
	{ "overlong UTF-8", "{\"organization-name\":\"O\xC0\xAF\"}", "not JSON" },
	{ "UTF-8 surrogate", "{\"organization-name\":\"O\xED\xA0\x80\"}", "not JSON" },
	{ "past U+10FFFF", "{\"organization-name\":\"O\xF4\x90\x80\x80\"}", "not JSON" },
	{ "vertical tab between tokens", "{\"organization-name\":\v\"O\"}", "not JSON" },
	{ "form feed between tokens", "{\f\"organization-name\":\"O\"}", "not JSON" },
	{ "a string at the top", "\"O\"", "not JSON" },
	{ "unterminated string after the object", "{\"organization-name\":\"O\"} \"x}",
	  "end of file expected" },
	{ "a lone surrogate before a repeated name",
	  "{\"report-id\":\"\\ud800\",\"report-id\":\"x\"}", "lone surrogate" },
	{ "a repeated name before a lone surrogate",
	  "{\"report-id\":\"x\",\"report-id\":\"y\",\"z\":\"\\ud800\"}", "duplicate object key" },
};

static void
test_report_shape_refuses_what_jansson_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct err err = { "" };
		struct report *r = report_parse_json(refused[i].json, strlen(refused[i].json), &err);

		if (r != NULL)
			fail_msg("%s: accepted", refused[i].name);
		if (strstr(err.msg, refused[i].err) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", refused[i].name, err.msg,
				 refused[i].err);
	}
}

/* Nesting: 64 levels are read, 65 are refused, also when the text is
 * broken after them (the depth was always checked first). */
static void
test_report_shape_depth_limit(void **state)
{
	size_t n = REPORT_JSON_MAX_DEPTH;
	char *text = malloc(2 * n + 3);
	struct err err = { "" };

	(void)state;
	memset(text, '[', n);
	memset(text + n, ']', n);
	assert_null(report_parse_json(text, 2 * n, &err));
	assert_non_null(strstr(err.msg, "must be a JSON object"));
	memset(text, '[', n + 1);
	memset(text + n + 1, ']', n + 1);
	assert_null(report_parse_json(text, 2 * n + 2, &err));
	assert_non_null(strstr(err.msg, "nested deeper"));
	text[n + 1] = 'x';
	assert_null(report_parse_json(text, n + 2, &err));
	assert_non_null(strstr(err.msg, "nested deeper"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_shape_refuses_what_jansson_refused),
		cmocka_unit_test(test_report_shape_depth_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
