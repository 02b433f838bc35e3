/*
 * Unit tests for model/report_json: the parser's leniencies and hard
 * errors, and the writer's canonical and as-received forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "model/report_json.h"
#include "model/report_json_direct.h"

/* A well-formed RFC 8460 report (errata 6241 form) used as the base. */
static const char rfc_report[] =
	"{\"organization-name\":\"Company-X\","
	"\"date-range\":{\"start-datetime\":\"2016-04-01T00:00:00Z\","
	"\"end-datetime\":\"2016-04-01T23:59:59Z\"},"
	"\"contact-info\":\"sts-reporting@company-x.example\","
	"\"report-id\":\"5065427c-23d3-47ca-b6e0-946ea0e8c4be\","
	"\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	"\"policy-string\":[\"version: STSv1\",\"mode: testing\","
	"\"mx: *.mail.company-y.example\",\"max_age: 86400\"],"
	"\"policy-domain\":\"company-y.example\","
	"\"mx-host\":[\"*.mail.company-y.example\"]},"
	"\"summary\":{\"total-successful-session-count\":5326,"
	"\"total-failure-session-count\":303},"
	"\"failure-details\":[{\"result-type\":\"certificate-expired\","
	"\"sending-mta-ip\":\"2001:db8:abcd:0012::1\","
	"\"receiving-mx-hostname\":\"mx1.mail.company-y.example\","
	"\"failed-session-count\":100},"
	"{\"result-type\":\"validation-failure\",\"sending-mta-ip\":\"198.51.100.62\","
	"\"receiving-mx-hostname\":\"mx-backup.mail.company-y.example\","
	"\"receiving-ip\":\"203.0.113.58\",\"failed-session-count\":3,"
	"\"failure-reason-code\":\"X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED\"}]}]}";

static struct report *
parse_ok(const char *json)
{
	struct err err = { "" };
	struct report *r = report_parse_json(json, strlen(json), &err);

	if (r == NULL)
		fail_msg("parse failed: %s\ninput: %s", err.msg, json);
	return r;
}

/* Returns 1 if some quirk starts with path and contains word. */
static int
has_quirk(const struct report *r, const char *path, const char *word)
{
	for (size_t i = 0; i < r->quirks.n; i++)
		if (strncmp(r->quirks.v[i], path, strlen(path)) == 0 &&
		    strstr(r->quirks.v[i], word) != NULL)
			return 1;
	return 0;
}

static void
test_report_json_parses_rfc_example_fields(void **state)
{
	struct report *r = parse_ok(rfc_report);
	struct policy *p;

	(void)state;
	assert_string_equal(r->organization_name, "Company-X");
	assert_int_equal(r->start, 1459468800);
	assert_int_equal(r->end, 1459555199);
	assert_string_equal(r->contact_info, "sts-reporting@company-x.example");
	assert_int_equal(r->n_policies, 1);
	p = &r->policies[0];
	assert_int_equal(p->type, POLICY_TYPE_STS);
	assert_int_equal(p->policy_string.n, 4);
	assert_string_equal(p->policy_string.v[2], "mx: *.mail.company-y.example");
	assert_string_equal(p->policy_domain, "company-y.example");
	assert_int_equal(p->mx_host.n, 1);
	assert_int_equal(p->total_successful_session_count, 5326);
	assert_int_equal(p->total_failure_session_count, 303);
	assert_int_equal(p->n_failure_details, 2);
	assert_int_equal(p->failure_details[0].type, RESULT_CERTIFICATE_EXPIRED);
	assert_null(p->failure_details[0].receiving_ip);
	assert_int_equal(p->failure_details[1].failed_session_count, 3);
	assert_string_equal(p->failure_details[1].failure_reason_code,
			    "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");
	assert_int_equal(r->quirks.n, 0);
	assert_null(r->extra_json);
	report_free(r);
}

/* Replaces the first occurrence of from in rfc_report with to. */
static char *
edit(const char *from, const char *to)
{
	const char *at = strstr(rfc_report, from);
	size_t n = strlen(rfc_report) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	assert_non_null(at);
	snprintf(s, n, "%.*s%s%s", (int)(at - rfc_report), rfc_report, to, at + strlen(from));
	return s;
}

static const struct {
	const char *name, *from, *to, *quirk_path, *quirk_word;
} lenient[] = {
	{ "microsoft date without zone", "\"2016-04-01T00:00:00Z\"", "\"2016-04-01T00:00:00\"",
	  "date-range.start-datetime", "no time zone" },
	{ "end at next midnight", "\"2016-04-01T23:59:59Z\"", "\"2016-04-02T00:00:00Z\"",
	  "date-range.end-datetime", "next day" },
	{ "contact-info null", "\"sts-reporting@company-x.example\"", "null",
	  "contact-info", "null" },
	{ "mx-host as string", "[\"*.mail.company-y.example\"]}", "\"*.mail.company-y.example\"}",
	  "policies[0].policy.mx-host", "one-element" },
	{ "count as string", "5326", "\"5326\"",
	  "policies[0].summary.total-successful-session-count", "string" },
	{ "count as real", "5326", "5326.0",
	  "policies[0].summary.total-successful-session-count", "real" },
	{ "draft failure-error-code", "failure-reason-code", "failure-error-code",
	  "policies[0].failure-details[1].failure-error-code", "draft" },
	{ "draft mx-host-pattern", "\"mx-host\"", "\"mx-host-pattern\"",
	  "policies[0].policy.mx-host-pattern", "draft" },
	{ "missing policy-domain", "\"policy-domain\":\"company-y.example\",", "",
	  "policies[0].policy.policy-domain", "missing" },
	{ "report-id integer", "\"5065427c-23d3-47ca-b6e0-946ea0e8c4be\"", "42",
	  "report-id", "integer" },
	{ "missing summary count", "\"total-successful-session-count\":5326,", "",
	  "policies[0].summary.total-successful-session-count", "missing" },
	{ "null optional detail member", "\"receiving-ip\":\"203.0.113.58\"",
	  "\"receiving-ip\":null", "policies[0].failure-details[1].receiving-ip", "null" },
};

static void
test_report_json_accepts_sender_deviations_with_quirks(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
		char *json = edit(lenient[i].from, lenient[i].to);
		struct err err = { "" };
		struct report *r = report_parse_json(json, strlen(json), &err);

		if (r == NULL)
			fail_msg("%s: rejected: %s", lenient[i].name, err.msg);
		if (!has_quirk(r, lenient[i].quirk_path, lenient[i].quirk_word)) {
			for (size_t q = 0; q < r->quirks.n; q++)
				print_message("# quirk: %s\n", r->quirks.v[q]);
			fail_msg("%s: no quirk \"%s ... %s\"", lenient[i].name,
				 lenient[i].quirk_path, lenient[i].quirk_word);
		}
		report_free(r);
		free(json);
	}
}

static const struct {
	const char *name, *from, *to, *err_word;
} fatal[] = {
	{ "no organization-name", "\"organization-name\":\"Company-X\",", "",
	  "organization-name: required member is missing" },
	{ "no report-id", "\"report-id\":\"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",", "",
	  "report-id: required" },
	{ "no policies", ",\"policies\":[", ",\"x\":[", "policies: required" },
	{ "policies a string", "\"policies\":[{", "\"policies\":\"x\",\"y\":[{",
	  "policies: must be an array" },
	{ "no date-range", "\"date-range\"", "\"date-rang\"", "date-range: required" },
	{ "bad date", "2016-04-01T00:00:00Z", "April 1st",
	  "date-range.start-datetime: \"April 1st\"" },
	{ "negative count", "5326", "-1", "total-successful-session-count: negative" },
	{ "count too big", "5326", "9007199254740992", "larger than 2^53-1" },
	{ "count implausible", "5326", "1000000000001",
	  "policies[0].summary.total-successful-session-count: 1000000000001 sessions is "
	  "more than the plausibility limit (1000000000000 per report): refused" },
	{ "failure count implausible", "\"failed-session-count\":100",
	  "\"failed-session-count\":9007199254740991",
	  "policies[0].failure-details[0].failed-session-count: 9007199254740991 sessions" },
	{ "report total implausible", "5326", "999999999999",
	  "policies[0..0] (all summaries together): 1000000000302 sessions is more" },
	{ "duplicate key", "\"report-id\"", "\"report-id\":\"first\",\"report-id\"",
	  "duplicate object key near '\"report-id\"': refused (a report must not repeat" },
	{ "duplicate count", "\"total-failure-session-count\":",
	  "\"total-failure-session-count\":0,\"total-failure-session-count\":",
	  "refused" },
	{ "count garbage string", "5326", "\"lots\"", "\"lots\" is not a count" },
	{ "count fractional", "5326", "1.5", "is not a count" },
	{ "policy-type number", "\"policy-type\":\"sts\"", "\"policy-type\":1",
	  "policies[0].policy.policy-type: must be a string" },
	{ "no result-type", "\"result-type\":\"certificate-expired\",", "",
	  "policies[0].failure-details[0].result-type: required" },
	{ "policy-string of numbers", "\"version: STSv1\"", "1",
	  "policy-string: element [0] must be a string" },
	{ "detail not object", "[{\"result-type\":\"certificate-expired\"", "[7,{\"a\":\"b\"",
	  "policies[0].failure-details[0]: must be an object" },
	{ "not json", "{\"organization-name\"", "{organization-name", "not JSON" },
	{ "no policy object", "{\"policy\":{", "{\"policx\":{", "policies[0].policy: required" },
	{ "no summary", "\"summary\"", "\"x-summary\"",
	  "policies[0].summary: required member is missing" },
	{ "summary null", "\"summary\":{\"total-successful-session-count\":5326,",
	  "\"summary\":null,\"x\":{\"total-successful-session-count\":5326,",
	  "policies[0].summary: required member is null" },
	{ "no failed-session-count", "\"failed-session-count\":100", "\"x-new\":1",
	  "policies[0].failure-details[0].failed-session-count: required member is missing" },
	{ "failed-session-count null", "\"failed-session-count\":100",
	  "\"failed-session-count\":null",
	  "policies[0].failure-details[0].failed-session-count: required member is null" },
};

static void
test_report_json_rejects_unusable_reports_with_path(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		char *json = edit(fatal[i].from, fatal[i].to);
		struct err err = { "" };
		struct report *r = report_parse_json(json, strlen(json), &err);

		if (r != NULL)
			fail_msg("%s: accepted", fatal[i].name);
		if (strstr(err.msg, fatal[i].err_word) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", fatal[i].name, err.msg,
				 fatal[i].err_word);
		free(json);
	}
}

static void
test_report_json_rejects_non_objects_and_limits(void **state)
{
	struct err err = { "" };
	char *deep;
	size_t n = REPORT_JSON_MAX_DEPTH + 2;

	(void)state;
	assert_null(report_parse_json("[1,2]", 5, &err));
	assert_non_null(strstr(err.msg, "must be a JSON object"));
	assert_null(report_parse_json("", 0, &err));
	assert_null(report_parse_json("{\"a\":1}\0{}", 10, &err));
	deep = malloc(2 * n + 1);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	assert_null(report_parse_json(deep, 2 * n, &err));
	assert_non_null(strstr(err.msg, "nested deeper"));
	free(deep);
	assert_null(report_parse_json("{}", REPORT_JSON_MAX_SIZE + 1, &err));
	assert_non_null(strstr(err.msg, "too large"));
}

static void
test_report_json_splits_microsoft_tlsa_policy_string(void **state)
{
	char *json = edit("[\"version: STSv1\",\"mode: testing\","
			  "\"mx: *.mail.company-y.example\",\"max_age: 86400\"]",
			  "[\"[\\\"3 1 1 AB12\\\",\\\"3 1 1 CD34\\\"]\"]");
	struct report *r = parse_ok(json);

	(void)state;
	assert_int_equal(r->policies[0].policy_string.n, 2);
	assert_string_equal(r->policies[0].policy_string.v[0], "3 1 1 AB12");
	assert_string_equal(r->policies[0].policy_string.v[1], "3 1 1 CD34");
	assert_true(has_quirk(r, "policies[0].policy.policy-string", "split into 2"));
	report_free(r);
	free(json);
}

static void
test_report_json_wraps_policies_object(void **state)
{
	char *json = edit("\"policies\":[{", "\"policies\":{");
	char *end = strrchr(json, ']');
	struct report *r;

	(void)state;
	memmove(end, end + 1, strlen(end));   /* drop the closing ']' of policies */
	r = parse_ok(json);
	assert_int_equal(r->n_policies, 1);
	assert_int_equal(r->policies[0].n_failure_details, 2);
	assert_true(has_quirk(r, "policies", "taken as one policy"));
	report_free(r);
	free(json);
}

static void
test_report_json_keeps_unknown_types_verbatim(void **state)
{
	char *a = edit("\"certificate-expired\"", "\"Testing\"");
	char *b;
	struct report *r;

	(void)state;
	r = parse_ok(a);
	assert_int_equal(r->policies[0].failure_details[0].type, RESULT_UNKNOWN);
	assert_string_equal(r->policies[0].failure_details[0].result_type, "Testing");
	report_free(r);
	b = edit("\"policy-type\":\"sts\"", "\"policy-type\":\"invalid-policy-type\"");
	r = parse_ok(b);
	assert_int_equal(r->policies[0].type, POLICY_TYPE_UNKNOWN);
	assert_string_equal(r->policies[0].policy_type, "invalid-policy-type");
	report_free(r);
	free(a);
	free(b);
}

static void
test_report_json_keeps_unknown_members_at_every_level(void **state)
{
	char *a = edit("\"contact-info\"", "\"x-top\":{\"k\":[1,2]},\"contact-info\"");
	char *b = edit("\"end-datetime\"", "\"x-dr\":true,\"end-datetime\"");
	char *c = edit("\"policy-domain\"", "\"x-pol\":\"v\",\"policy-domain\"");
	char *d = edit("\"total-failure-session-count\"", "\"x-sum\":0,\"total-failure-session-count\"");
	char *e = edit("\"failed-session-count\":3", "\"failed-session-count\":3,\"x-fd\":null");
	char *f = edit("\"summary\"", "\"x-item\":1.5,\"summary\"");
	struct report *r;

	(void)state;
	r = parse_ok(a);
	assert_string_equal(r->extra_json, "{\"x-top\":{\"k\":[1,2]}}");
	report_free(r);
	r = parse_ok(b);
	assert_string_equal(r->extra_json, "{\"date-range\":{\"x-dr\":true}}");
	report_free(r);
	r = parse_ok(c);
	assert_string_equal(r->policies[0].extra_json, "{\"policy\":{\"x-pol\":\"v\"}}");
	report_free(r);
	r = parse_ok(d);
	assert_string_equal(r->policies[0].extra_json, "{\"summary\":{\"x-sum\":0}}");
	report_free(r);
	r = parse_ok(e);
	assert_string_equal(r->policies[0].failure_details[1].extra_json, "{\"x-fd\":null}");
	report_free(r);
	r = parse_ok(f);
	assert_string_equal(r->policies[0].extra_json, "{\"x-item\":1.5}");
	report_free(r);
	free(a), free(b), free(c), free(d), free(e), free(f);
}

/* Draft-era names: read when the RFC name is absent; kept as unknown
 * members, in their place, when it is there. */
static void
test_report_json_keeps_an_unread_alias_in_order(void **state)
{
	char *json = edit("\"failure-reason-code\"",
			  "\"x-1\":1,\"failure-error-code\":\"old\",\"x-2\":2,\"failure-reason-code\"");
	struct report *r;

	(void)state;
	r = parse_ok(json);
	assert_string_equal(r->policies[0].failure_details[1].extra_json,
			    "{\"x-1\":1,\"failure-error-code\":\"old\",\"x-2\":2}");
	report_free(r);
	free(json);
}

static void
test_report_json_accepts_leading_whitespace_and_bom(void **state)
{
	char buf[sizeof(rfc_report) + 8];
	struct report *r;

	(void)state;
	snprintf(buf, sizeof(buf), " \n\t%s\n", rfc_report);
	r = parse_ok(buf);
	report_free(r);
	snprintf(buf, sizeof(buf), "\xEF\xBB\xBF%s", rfc_report);
	r = parse_ok(buf);
	assert_true(has_quirk(r, "(top)", "byte order mark"));
	report_free(r);
}

static void
test_report_json_write_canonical_has_rfc_order(void **state)
{
	char *json = edit("\"2016-04-01T00:00:00Z\"", "\"2016-04-01T02:00:00+02:00\"");
	struct report *r = parse_ok(json);
	char *out = report_write_json(r, 0);
	const char *order[] = { "\"organization-name\"", "\"date-range\"", "\"start-datetime\"",
				"\"end-datetime\"", "\"contact-info\"", "\"report-id\"",
				"\"policies\"", "\"policy\"", "\"policy-type\"",
				"\"policy-string\"", "\"policy-domain\"", "\"mx-host\"",
				"\"summary\"", "\"total-successful-session-count\"",
				"\"total-failure-session-count\"", "\"failure-details\"",
				"\"result-type\"", "\"sending-mta-ip\"",
				"\"receiving-mx-hostname\"", "\"failed-session-count\"" };
	const char *at = out;

	(void)state;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *next = strstr(at, order[i]);

		if (next == NULL)
			fail_msg("%s missing or out of order in %s", order[i], out);
		at = next;
	}
	assert_non_null(strstr(out, "\"start-datetime\":\"2016-04-01T00:00:00Z\""));
	free(out);
	out = report_write_json(r, REPORT_JSON_AS_RECEIVED);
	assert_non_null(strstr(out, "\"start-datetime\":\"2016-04-01T02:00:00+02:00\""));
	free(out);
	report_free(r);
	free(json);
}

static void
test_report_json_write_canonical_always_has_arrays(void **state)
{
	struct report *r = report_new();
	struct policy *p = report_add_policy(r);
	char *out;

	(void)state;
	r->organization_name = strdup("Example");
	r->report_id = strdup("id-1");
	r->start = 1459468800;
	r->end = 1459555199;
	p->policy_type = strdup("no-policy-found");
	p->type = POLICY_TYPE_NO_POLICY_FOUND;
	p->policy_domain = strdup("example.com");
	out = report_write_json(r, 0);
	assert_string_equal(out,
		"{\"organization-name\":\"Example\",\"date-range\":{\"start-datetime\":"
		"\"2016-04-01T00:00:00Z\",\"end-datetime\":\"2016-04-01T23:59:59Z\"},"
		"\"report-id\":\"id-1\",\"policies\":[{\"policy\":{\"policy-type\":"
		"\"no-policy-found\",\"policy-string\":[],\"policy-domain\":\"example.com\","
		"\"mx-host\":[]},\"summary\":{\"total-successful-session-count\":0,"
		"\"total-failure-session-count\":0},\"failure-details\":[]}]}");
	free(out);
	out = report_write_json(r, REPORT_JSON_AS_RECEIVED);
	assert_null(strstr(out, "failure-details"));
	assert_null(strstr(out, "mx-host"));
	free(out);
	report_free(r);
}

static void
test_report_json_write_replaces_invalid_utf8(void **state)
{
	struct report *r = parse_ok(rfc_report);
	char *out;
	json_t *back;

	(void)state;
	free(r->organization_name);
	r->organization_name = strdup("Bad\xC3(\xFF\xED\xA0\x80" "end\xE2\x82");
	out = report_write_json(r, 0);
	back = json_loads(out, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "organization-name")),
			    "Bad\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
			    "end\xEF\xBF\xBD\xEF\xBF\xBD");
	json_decref(back);
	free(out);
	report_free(r);
}

/* The direct writer and the jansson one agree on every string that needs
 * escaping or repair, and on counts past the cap, in each form. */
static void
test_report_json_write_direct_escapes_as_jansson(void **state)
{
	static const char *const texts[] = {
		"quote\" back\\slash /slash", "ctl\x01\x1f\b\f\n\r\t\x7f end",
		"utf8 \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "Bad\xC3(\xFF\xED\xA0\x80" "end\xE2\x82",
		"", "\xF4\x90\x80\x80 over U+10FFFF", "\xC0\xAF overlong",
	};
	static const unsigned flags[] = { 0, REPORT_JSON_AS_RECEIVED, REPORT_JSON_KEEP_EXTRA };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct report *r = parse_ok(rfc_report);

		free(r->organization_name);
		r->organization_name = strdup(texts[i]);
		free(r->policies[0].failure_details[0].receiving_mx_hostname);
		r->policies[0].failure_details[0].receiving_mx_hostname = strdup(texts[i]);
		strlist_add(&r->policies[0].policy_string, texts[i]);
		r->policies[0].total_successful_session_count = UINT64_MAX;
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
			char *direct = report_write_json_direct(r, flags[k]);
			char *tree = report_write_json_tree(r, flags[k]);

			assert_non_null(direct);
			assert_string_equal(direct, tree);
			free(direct);
			free(tree);
		}
		report_free(r);
	}
}

static void
test_report_json_write_keep_extra_restores_unknown_members(void **state)
{
	char *a = edit("\"end-datetime\"", "\"x-dr\":true,\"end-datetime\"");
	char *b = edit("\"policy-domain\"", "\"x-pol\":\"v\",\"policy-domain\"");
	struct report *r;
	char *out;

	(void)state;
	r = parse_ok(a);
	out = report_write_json(r, REPORT_JSON_KEEP_EXTRA);
	assert_non_null(strstr(out, "\"end-datetime\":\"2016-04-01T23:59:59Z\",\"x-dr\":true}"));
	free(out);
	out = report_write_json(r, 0);
	assert_null(strstr(out, "x-dr"));
	free(out);
	report_free(r);
	r = parse_ok(b);
	out = report_write_json(r, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_PRETTY);
	assert_non_null(strstr(out, "\"x-pol\": \"v\""));
	assert_non_null(strstr(out, "\n  \"organization-name\""));
	free(out);
	report_free(r);
	free(a);
	free(b);
}

static void
test_report_json_write_then_parse_is_stable(void **state)
{
	struct report *r = parse_ok(rfc_report);
	char *one = report_write_json(r, 0), *two;
	struct report *back = parse_ok(one);

	(void)state;
	two = report_write_json(back, 0);
	assert_string_equal(one, two);
	assert_string_equal(one, rfc_report);
	free(one);
	free(two);
	report_free(back);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_json_parses_rfc_example_fields),
		cmocka_unit_test(test_report_json_accepts_sender_deviations_with_quirks),
		cmocka_unit_test(test_report_json_rejects_unusable_reports_with_path),
		cmocka_unit_test(test_report_json_keeps_an_unread_alias_in_order),
		cmocka_unit_test(test_report_json_rejects_non_objects_and_limits),
		cmocka_unit_test(test_report_json_splits_microsoft_tlsa_policy_string),
		cmocka_unit_test(test_report_json_wraps_policies_object),
		cmocka_unit_test(test_report_json_keeps_unknown_types_verbatim),
		cmocka_unit_test(test_report_json_keeps_unknown_members_at_every_level),
		cmocka_unit_test(test_report_json_accepts_leading_whitespace_and_bom),
		cmocka_unit_test(test_report_json_write_canonical_has_rfc_order),
		cmocka_unit_test(test_report_json_write_canonical_always_has_arrays),
		cmocka_unit_test(test_report_json_write_replaces_invalid_utf8),
		cmocka_unit_test(test_report_json_write_direct_escapes_as_jansson),
		cmocka_unit_test(test_report_json_write_keep_extra_restores_unknown_members),
		cmocka_unit_test(test_report_json_write_then_parse_is_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
