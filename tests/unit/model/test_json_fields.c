/* Unit tests for model/json_fields: lenient member readers with paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/json_fields.h"

static const struct {
	const char *json;      /* {"n": ...} */
	int rc;
	uint64_t want;
	const char *text;      /* expected in the quirk (rc 0) or error (rc -1); "" = none */
} counts[] = {
	{ "{\"n\":0}", 0, 0, "" },
	{ "{\"n\":5326}", 0, 5326, "" },
	{ "{\"n\":9007199254740991}", 0, 9007199254740991ULL, "" },
	{ "{\"n\":9007199254740992}", -1, 0, "x.n: count 9007199254740992 is larger than 2^53-1" },
	{ "{\"n\":-1}", -1, 0, "x.n: negative count -1" },
	{ "{\"n\":\"17\"}", 0, 17, "x.n: count given as the string \"17\"" },
	{ "{\"n\":\"17 \"}", -1, 0, "is not a count" },
	{ "{\"n\":\"-3\"}", -1, 0, "is not a count" },
	{ "{\"n\":\"99999999999999999999999\"}", -1, 0, "larger than 2^53-1" },
	{ "{\"n\":4.0}", 0, 4, "x.n: count given as the real number 4" },
	{ "{\"n\":4.5}", -1, 0, "x.n: 4.5 is not a count" },
	{ "{\"n\":-0.0}", 0, 0, "real number" },
	{ "{\"n\":null}", 0, 0, "x.n: null, taken as 0" },
	{ "{}", 0, 0, "x.n: missing, taken as 0" },
	{ "{\"n\":true}", -1, 0, "x.n: must be an integer, not a boolean" },
	{ "{\"n\":[1]}", -1, 0, "x.n: must be an integer, not an array" },
};

static void
test_json_fields_count_coerces_and_bounds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		json_t *o = json_loads(counts[i].json, 0, NULL);
		struct strlist q = { 0 };
		struct err err = { "" };
		struct json_fields f;
		uint64_t n = 12345;
		int rc;

		assert_non_null(o);
		json_fields_init(&f, o, "x", &q, &err);
		rc = json_fields_count(&f, "n", &n);
		if (rc != counts[i].rc || (rc == 0 && n != counts[i].want))
			fail_msg("%s: rc %d n %llu", counts[i].json, rc, (unsigned long long)n);
		if (rc == 0 && counts[i].text[0] != '\0' &&
		    (q.n != 1 || strstr(q.v[0], counts[i].text) == NULL))
			fail_msg("%s: quirk \"%s\"", counts[i].json, q.n ? q.v[0] : "(none)");
		if (rc == 0 && counts[i].text[0] == '\0' && q.n != 0)
			fail_msg("%s: unexpected quirk %s", counts[i].json, q.v[0]);
		if (rc != 0 && strstr(err.msg, counts[i].text) == NULL)
			fail_msg("%s: error \"%s\"", counts[i].json, err.msg);
		strlist_clear(&q);
		json_decref(o);
	}
}

static void
test_json_fields_string_alias_null_and_types(void **state)
{
	json_t *o = json_loads("{\"old\":\"v\",\"nul\":null,\"num\":7,\"arr\":[]}", 0, NULL);
	struct strlist q = { 0 };
	struct err err = { "" };
	struct json_fields f;
	char *s = NULL;

	(void)state;
	json_fields_init(&f, o, NULL, &q, &err);
	assert_int_equal(json_fields_string(&f, "new", "old", 0, &s), 0);
	assert_string_equal(s, "v");
	free(s);
	assert_string_equal(q.v[0], "old: draft-era name, read as \"new\"");
	assert_int_equal(json_fields_string(&f, "nul", NULL, 0, &s), 0);
	assert_null(s);
	assert_string_equal(q.v[1], "nul: null, taken as absent");
	assert_int_equal(json_fields_string(&f, "nul", NULL, JSON_FIELDS_REQUIRED, &s), -1);
	assert_string_equal(err.msg, "nul: required member is null");
	assert_int_equal(json_fields_string(&f, "num", NULL, 0, &s), -1);
	assert_string_equal(err.msg, "num: must be a string, not an integer");
	assert_int_equal(json_fields_string(&f, "num", NULL, JSON_FIELDS_INT_OK, &s), 0);
	assert_string_equal(s, "7");
	free(s);
	assert_int_equal(json_fields_string(&f, "missing", NULL, JSON_FIELDS_REQUIRED, &s), -1);
	assert_string_equal(err.msg, "missing: required member is missing");
	strlist_clear(&q);
	json_decref(o);
}

static void
test_json_fields_strings_accepts_array_or_one_string(void **state)
{
	json_t *o = json_loads("{\"a\":[\"x\",\"y\"],\"s\":\"z\",\"bad\":[\"x\",1],\"n\":null}",
			       0, NULL);
	struct strlist q = { 0 }, l = { 0 };
	struct err err = { "" };
	struct json_fields f;
	int present = -1;

	(void)state;
	json_fields_init(&f, o, "p", &q, &err);
	assert_int_equal(json_fields_strings(&f, "a", NULL, &l, &present), 0);
	assert_int_equal(present, 1);
	assert_int_equal(l.n, 2);
	assert_int_equal(json_fields_strings(&f, "s", NULL, &l, &present), 0);
	assert_string_equal(l.v[2], "z");
	assert_non_null(strstr(q.v[0], "p.s: a string, not an array"));
	assert_int_equal(json_fields_strings(&f, "bad", NULL, &l, &present), -1);
	assert_string_equal(err.msg, "p.bad: element [1] must be a string, not an integer");
	assert_int_equal(json_fields_strings(&f, "n", NULL, &l, &present), 0);
	assert_int_equal(present, 0);
	assert_int_equal(json_fields_strings(&f, "none", NULL, &l, &present), 0);
	assert_int_equal(present, 0);
	strlist_clear(&l);
	strlist_clear(&q);
	json_decref(o);
}

static void
test_json_fields_extra_holds_only_unconsumed_members(void **state)
{
	json_t *o = json_loads("{\"a\":\"1\",\"b\":{\"c\":[1]},\"d\":null}", 0, NULL);
	struct strlist q = { 0 };
	struct json_fields f;
	json_t *extra;
	char *s = NULL, *text;

	(void)state;
	json_fields_init(&f, o, NULL, &q, NULL);
	assert_int_equal(json_fields_string(&f, "a", NULL, 0, &s), 0);
	free(s);
	extra = json_fields_extra(&f);
	text = json_dumps(extra, JSON_COMPACT);
	assert_string_equal(text, "{\"b\":{\"c\":[1]},\"d\":null}");
	free(text);
	json_decref(extra);
	assert_int_equal(json_fields_string(&f, "b", NULL, 0, &s), -1);
	assert_int_equal(json_fields_string(&f, "d", NULL, 0, &s), 0);
	assert_null(json_fields_extra(&f));
	strlist_clear(&q);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields_count_coerces_and_bounds),
		cmocka_unit_test(test_json_fields_string_alias_null_and_types),
		cmocka_unit_test(test_json_fields_strings_accepts_array_or_one_string),
		cmocka_unit_test(test_json_fields_extra_holds_only_unconsumed_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
