/* Unit tests for model/report_validate: findings with JSON paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/report_json.h"
#include "model/report_validate.h"

/* A clean report: validation must find nothing. */
static const char good[] =
	"{\"organization-name\":\"Example\","
	"\"date-range\":{\"start-datetime\":\"2024-05-01T00:00:00Z\","
	"\"end-datetime\":\"2024-05-01T23:59:59Z\"},"
	"\"contact-info\":\"tlsrpt@example.net\",\"report-id\":\"r1@example.net\","
	"\"policies\":[{\"policy\":{\"policy-type\":\"sts\","
	"\"policy-string\":[\"version: STSv1\",\"mode: enforce\",\"mx: *.example.com\","
	"\"max_age: 86400\"],\"policy-domain\":\"example.com\",\"mx-host\":[\"*.example.com\"]},"
	"\"summary\":{\"total-successful-session-count\":10,\"total-failure-session-count\":2},"
	"\"failure-details\":[{\"result-type\":\"certificate-expired\","
	"\"sending-mta-ip\":\"192.0.2.1\",\"receiving-mx-hostname\":\"mx1.example.com\","
	"\"receiving-ip\":\"2001:db8::25\",\"failed-session-count\":2}]},"
	"{\"policy\":{\"policy-type\":\"tlsa\",\"policy-string\":[\"3 1 1 ABCDEF0123\"],"
	"\"policy-domain\":\"example.com\",\"mx-host\":[\"mx1.example.com\"]},"
	"\"summary\":{\"total-successful-session-count\":3,\"total-failure-session-count\":0},"
	"\"failure-details\":[]}]}";

static char *
edit(const char *from, const char *to)
{
	const char *at = strstr(good, from);
	size_t n = strlen(good) - strlen(from) + strlen(to) + 1;
	char *s = malloc(n);

	if (at == NULL)
		fail_msg("\"%s\" not in the base report", from);
	snprintf(s, n, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
	return s;
}

static int
validate_text(const char *json, struct strlist *out)
{
	struct err err = { "" };
	struct report *r = report_parse_json(json, strlen(json), &err);
	int n;

	if (r == NULL)
		fail_msg("parse failed: %s", err.msg);
	n = report_validate(r, out);
	report_free(r);
	return n;
}

static void
test_report_validate_finds_nothing_in_clean_report(void **state)
{
	struct strlist out = { 0 };

	(void)state;
	assert_int_equal(validate_text(good, &out), 0);
	for (size_t i = 0; i < out.n; i++)
		print_message("# %s\n", out.v[i]);
	assert_int_equal(out.n, 0);
	strlist_clear(&out);
}

static const struct {
	const char *from, *to, *want;   /* want: a finding starting with this text */
	int counted;                    /* 1 problem, 0 note */
} cases[] = {
	{ "\"certificate-expired\"", "\"Testing\"",
	  "policies[0].failure-details[0].result-type: unregistered value \"Testing\"", 1 },
	{ "\"policy-type\":\"sts\"", "\"policy-type\":\"STS\"",
	  "policies[0].policy.policy-type: unregistered value \"STS\"", 1 },
	{ "\"contact-info\":\"tlsrpt@example.net\",", "", "contact-info: missing", 1 },
	{ "tlsrpt@example.net", "Example Ops", "contact-info: \"Example Ops\" is not", 1 },
	{ "2024-05-01T23:59:59Z", "2024-05-03T23:59:59Z", "date-range: not one full UTC day", 1 },
	{ "2024-05-01T00:00:00Z", "2024-05-01T00:00:00", "date-range.start-datetime: "
	  "\"2024-05-01T00:00:00\" has no time zone", 1 },
	{ "\"failed-session-count\":2", "\"failed-session-count\":5",
	  "note: policies[0].failure-details: failed-session-count adds up to 5", 0 },
	{ "\"failure-details\":[{\"result-type\":\"certificate-expired\","
	  "\"sending-mta-ip\":\"192.0.2.1\",\"receiving-mx-hostname\":\"mx1.example.com\","
	  "\"receiving-ip\":\"2001:db8::25\",\"failed-session-count\":2}]", "\"x\":1",
	  "policies[0].failure-details: 2 failed sessions counted but none described", 1 },
	{ "192.0.2.1", "x.x.x.x",
	  "policies[0].failure-details[0].sending-mta-ip: \"x.x.x.x\" is not an IPv4", 1 },
	{ "\"192.0.2.1\"", "\"\"", "policies[0].failure-details[0].sending-mta-ip: empty", 1 },
	{ "\"policy-domain\":\"example.com\",\"mx-host\":[\"*", "\"policy-domain\":\"g\xC3\xB6pher.test\","
	  "\"mx-host\":[\"*", "policies[0].policy.policy-domain: \"g\xC3\xB6pher.test\" is not an A-label",
	  1 },
	{ "\"policy-domain\":\"example.com\",\"mx-host\":[\"*", "\"mx-host\":[\"*",
	  "policies[0].policy.policy-domain: missing", 1 },
	{ "*.example.com\"]", "mx..example.com\"]",
	  "policies[0].policy.mx-host[0]: \"mx..example.com\" has an empty label", 1 },
	{ "\"version: STSv1\",", "", "policies[0].policy.policy-string[0]: \"mode: enforce\"", 1 },
	{ "3 1 1 ABCDEF0123", "3 1 1 ABCD EF01", "policies[1].policy.policy-string[0]: TLSA data", 1 },
	{ "3 1 1 ABCDEF0123", "7 1 1 ABCDEF0123", "policies[1].policy.policy-string[0]: TLSA 7 1 1", 1 },
	{ "[\"3 1 1 ABCDEF0123\"]", "[]", "policies[1].policy.policy-string: empty for a tlsa", 1 },
	{ "\"certificate-expired\"", "\"validation-failure\"",
	  "note: policies[0].failure-details[0].failure-reason-code: missing", 0 },
	{ "\"total-successful-session-count\":3", "\"total-successful-session-count\":0",
	  "note: policies[1].summary: no sessions", 0 },
	{ "\"failed-session-count\":2", "\"failed-session-count\":0",
	  "policies[0].failure-details[0].failed-session-count: 0", 1 },
	{ "\"receiving-mx-hostname\":\"mx1.example.com\"", "\"receiving-mx-hostname\":\"-mx\"",
	  "policies[0].failure-details[0].receiving-mx-hostname: \"-mx\" has a label starting", 1 },
};

static void
test_report_validate_reports_each_defect_with_its_path(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *json = edit(cases[i].from, cases[i].to);
		struct strlist out = { 0 };
		int n = validate_text(json, &out), found = 0;

		for (size_t k = 0; k < out.n; k++)
			if (strncmp(out.v[k], cases[i].want, strlen(cases[i].want)) == 0)
				found = 1;
		if (!found || n != cases[i].counted) {
			for (size_t k = 0; k < out.n; k++)
				print_message("# got: %s\n", out.v[k]);
			fail_msg("case %zu: want \"%s\" and %d counted, got %d", i, cases[i].want,
				 cases[i].counted, n);
		}
		strlist_clear(&out);
		free(json);
	}
}

static void
test_report_validate_survives_empty_and_null_report(void **state)
{
	struct report *r = report_new();
	struct strlist out = { 0 };

	(void)state;
	report_add_policy(r);
	policy_add_failure_detail(&r->policies[0]);
	r->policies[0].total_failure_session_count = 1;
	assert_true(report_validate(r, &out) >= 5);
	strlist_clear(&out);
	assert_int_equal(report_validate(NULL, &out), 1);
	strlist_clear(&out);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_validate_finds_nothing_in_clean_report),
		cmocka_unit_test(test_report_validate_reports_each_defect_with_its_path),
		cmocka_unit_test(test_report_validate_survives_empty_and_null_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
