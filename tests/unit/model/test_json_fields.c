/* Unit tests for model/json_fields: lenient member readers with paths, over
 * objects read by report_shape (one level of the report's shape each). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/json_fields.h"

#define N "total-successful-session-count"

/* {"total-successful-session-count": ...} read at the summary level */
static const struct {
	const char *value;     /* the member's value; NULL = no member */
	int rc;
	uint64_t want;
	const char *text;      /* expected after "x.N: " in the quirk (rc 0) or error (rc -1); "" = none */
} counts[] = {
	{ "0", 0, 0, "" },
	{ "5326", 0, 5326, "" },
	{ "9007199254740991", 0, 9007199254740991ULL, "" },
	{ "9007199254740992", -1, 0, "count 9007199254740992 is larger than 2^53-1" },
	{ "-1", -1, 0, "negative count -1" },
	{ "\"17\"", 0, 17, "count given as the string \"17\"" },
	{ "\"17 \"", -1, 0, "\"17 \" is not a count" },
	{ "\"-3\"", -1, 0, "\"-3\" is not a count" },
	{ "\"99999999999999999999999\"", -1, 0, "count 99999999999999999999999 is larger than 2^53-1" },
	{ "4.0", 0, 4, "count given as the real number 4" },
	{ "4.5", -1, 0, "4.5 is not a count (0..2^53-1)" },
	{ "-0.0", 0, 0, "count given as the real number -0" },
	{ "null", 0, 0, "null, taken as 0" },
	{ NULL, 0, 0, "missing, taken as 0" },
	{ "true", -1, 0, "must be an integer, not a boolean" },
	{ "[1]", -1, 0, "must be an integer, not an array" },
	{ "{\"a\":1}", -1, 0, "must be an integer, not an object" },
};

/* Reads text as an object of level (the test fails if it does not read). */
static struct jobj *
read_level(const char *text, enum shape_level level)
{
	struct err err = { "" };
	struct jobj *o = shape_read(text, strlen(text), level, NULL, &err);

	if (o == NULL)
		fail_msg("%s: %s", text, err.msg);
	return o;
}

static void
test_json_fields_count_coerces_and_bounds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		char text[128], want[160];
		struct strlist q = { 0 };
		struct err err = { "" };
		struct json_fields f;
		struct jobj *o;
		uint64_t n = 12345;
		int rc;

		if (counts[i].value != NULL)
			snprintf(text, sizeof(text), "{\"" N "\":%s}", counts[i].value);
		else
			snprintf(text, sizeof(text), "{}");
		snprintf(want, sizeof(want), "x." N ": %s", counts[i].text);
		o = read_level(text, LV_SUMMARY);
		json_fields_init(&f, o, "x", &q, &err);
		rc = json_fields_count(&f, N, &n);
		if (rc != counts[i].rc || (rc == 0 && n != counts[i].want))
			fail_msg("%s: rc %d n %llu", text, rc, (unsigned long long)n);
		if (rc == 0 && counts[i].text[0] != '\0' &&
		    (q.n != 1 || strcmp(q.v[0], want) != 0))
			fail_msg("%s: quirk \"%s\"", text, q.n ? q.v[0] : "(none)");
		if (rc == 0 && counts[i].text[0] == '\0' && q.n != 0)
			fail_msg("%s: unexpected quirk %s", text, q.v[0]);
		if (rc != 0 && strcmp(err.msg, want) != 0)
			fail_msg("%s: error \"%s\"", text, err.msg);
		strlist_clear(&q);
		jobj_free(o);
	}
}

static void
test_json_fields_string_alias_null_and_types(void **state)
{
	struct jobj *o = read_level("{\"failure-error-code\":\"v\",\"sending-mta-ip\":null,"
				    "\"receiving-ip\":7,\"receiving-mx-helo\":[]}", LV_DETAIL);
	struct strlist q = { 0 };
	struct err err = { "" };
	struct json_fields f;
	char *s = NULL;

	(void)state;
	json_fields_init(&f, o, NULL, &q, &err);
	assert_int_equal(json_fields_string(&f, "failure-reason-code", "failure-error-code", 0,
					    &s), 0);
	assert_string_equal(s, "v");
	free(s);
	assert_string_equal(q.v[0], "failure-error-code: draft-era name, read as "
			    "\"failure-reason-code\"");
	assert_int_equal(json_fields_string(&f, "sending-mta-ip", NULL, 0, &s), 0);
	assert_null(s);
	assert_string_equal(q.v[1], "sending-mta-ip: null, taken as absent");
	assert_int_equal(json_fields_string(&f, "sending-mta-ip", NULL, JSON_FIELDS_REQUIRED, &s),
			 -1);
	assert_string_equal(err.msg, "sending-mta-ip: required member is null");
	assert_int_equal(json_fields_string(&f, "receiving-ip", NULL, 0, &s), -1);
	assert_string_equal(err.msg, "receiving-ip: must be a string, not an integer");
	assert_int_equal(json_fields_string(&f, "receiving-ip", NULL, JSON_FIELDS_INT_OK, &s), 0);
	assert_string_equal(s, "7");
	free(s);
	assert_int_equal(json_fields_string(&f, "receiving-mx-helo", NULL, 0, &s), -1);
	assert_string_equal(err.msg, "receiving-mx-helo: must be a string, not an array");
	assert_int_equal(json_fields_string(&f, "result-type", NULL, JSON_FIELDS_REQUIRED, &s), -1);
	assert_string_equal(err.msg, "result-type: required member is missing");
	/* the alias was consumed: nothing is left over */
	assert_null(json_fields_extra(&f));
	strlist_clear(&q);
	jobj_free(o);
}

static void
test_json_fields_strings_accepts_array_or_one_string(void **state)
{
	struct jobj *good = read_level("{\"policy-string\":[\"x\",\"y\"],\"mx-host\":\"z\"}",
				       LV_POLICY);
	struct jobj *bad = read_level("{\"policy-string\":[\"x\",1],\"mx-host\":null}", LV_POLICY);
	struct jobj *draft = read_level("{\"mx-host-pattern\":[\"a\"]}", LV_POLICY);
	struct strlist q = { 0 }, l = { 0 };
	struct err err = { "" };
	struct json_fields f;
	int present = -1;

	(void)state;
	json_fields_init(&f, good, "p", &q, &err);
	assert_int_equal(json_fields_strings(&f, "policy-string", NULL, &l, &present), 0);
	assert_int_equal(present, 1);
	assert_int_equal(l.n, 2);
	assert_int_equal(json_fields_strings(&f, "mx-host", NULL, &l, &present), 0);
	assert_string_equal(l.v[2], "z");
	assert_string_equal(q.v[0], "p.mx-host: a string, not an array: taken as a one-element array");
	json_fields_init(&f, bad, "p", &q, &err);
	assert_int_equal(json_fields_strings(&f, "policy-string", NULL, &l, &present), -1);
	assert_string_equal(err.msg, "p.policy-string: element [1] must be a string, not an integer");
	assert_int_equal(json_fields_strings(&f, "mx-host", NULL, &l, &present), 0);
	assert_int_equal(present, 0);
	assert_string_equal(q.v[1], "p.mx-host: null, taken as absent");
	json_fields_init(&f, draft, "p", &q, &err);
	assert_int_equal(json_fields_strings(&f, "policy-string", NULL, &l, &present), 0);
	assert_int_equal(present, 0);
	assert_int_equal(json_fields_strings(&f, "mx-host", "mx-host-pattern", &l, &present), 0);
	assert_int_equal(present, 1);
	assert_string_equal(l.v[3], "a");
	assert_string_equal(q.v[2], "p.mx-host-pattern: draft-era name, read as \"mx-host\"");
	assert_null(json_fields_extra(&f));
	strlist_clear(&l);
	strlist_clear(&q);
	jobj_free(good);
	jobj_free(bad);
	jobj_free(draft);
}

static void
test_json_fields_extra_holds_only_unconsumed_members(void **state)
{
	struct jobj *o = read_level("{\"x-a\":1,\"result-type\":\"1\",\"b\":{\"c\":[1.5e3]},"
				    "\"failure-error-code\":\"old\",\"failure-reason-code\":\"new\","
				    "\"d\":null}", LV_DETAIL);
	struct strlist q = { 0 };
	struct json_fields f;
	json_t *extra;
	char *s = NULL, *text;

	(void)state;
	json_fields_init(&f, o, NULL, &q, NULL);
	assert_int_equal(json_fields_string(&f, "result-type", NULL, 0, &s), 0);
	free(s);
	/* the RFC name is there: the draft-era one stays an unknown member */
	assert_int_equal(json_fields_string(&f, "failure-reason-code", "failure-error-code", 0,
					    &s), 0);
	assert_string_equal(s, "new");
	free(s);
	extra = json_fields_extra(&f);
	text = json_dumps(extra, JSON_COMPACT);
	assert_string_equal(text, "{\"x-a\":1,\"b\":{\"c\":[1500.0]},\"failure-error-code\":\"old\","
			    "\"d\":null}");
	free(text);
	json_decref(extra);
	assert_null(json_fields_extra(&f));
	strlist_clear(&q);
	jobj_free(o);
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
