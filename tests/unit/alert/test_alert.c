/* Unit tests for alert/alert: thresholds, "new" selection and the memory,
 * over a temporary SQLite store holding parsed reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "alert/alert.h"
#include "model/report_json.h"
#include "store/store_reports.h"
#include "util/xalloc.h"

#define DAY 86400

struct fixture {
	char dir[64];
	struct store *st;
};

/* Stores a report for day (YYYY-MM-DD): example.com, ok/bad sessions, one
 * failure group. */
static void
put_day(struct store *st, const char *day, const char *id, int ok, int bad, const char *type,
	const char *mx)
{
	struct report_source src = { 0 };
	struct report *r;
	struct err err;
	char *json = xasprintf("{\"organization-name\":\"Org\",\"date-range\":{"
		"\"start-datetime\":\"%sT00:00:00Z\",\"end-datetime\":"
		"\"%sT23:59:59Z\"},\"report-id\":\"%s\",\"policies\":[{\"policy\":{"
		"\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},\"summary\":{"
		"\"total-successful-session-count\":%d,\"total-failure-session-count\":%d},"
		"\"failure-details\":[{\"result-type\":\"%s\",\"receiving-mx-hostname\":\"%s\","
		"\"failed-session-count\":%d}]}]}", day, day, id, ok, bad, type, mx, bad);

	r = report_parse_json(json, strlen(json), &err);
	if (r == NULL)
		fail_msg("parse: %s", err.msg);
	src.channel = "file";
	src.raw_json = json;
	assert_int_equal(store_put_report(st, r, &src, &err), 1);
	report_free(r);
	free(json);
}

static void
put(struct store *st, const char *id, int ok, int bad, const char *type, const char *mx)
{
	put_day(st, "2024-03-01", id, ok, bad, type, mx);
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct err err;
	char *url;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tlsrpt-alert-unit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	url = xasprintf("sqlite:%s/db.sqlite", fx->dir);
	fx->st = store_open(url, &err);
	free(url);
	if (fx->st == NULL)
		fail_msg("store_open: %s", err.msg);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	store_close(&fx->st);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	free(cmd);
	free(fx);
	return 0;
}

static struct alert_config
config(double rate, uint64_t min, int64_t now)
{
	struct alert_config c;

	memset(&c, 0, sizeof(c));
	c.threshold_rate = rate;
	c.min_failures = min;
	c.since = 1;
	c.now = now;
	c.renotify = 7 * DAY;
	return c;
}

static void
test_alert_thresholds_table(void **state)
{
	static const struct {
		double rate;
		uint64_t min;
		size_t want;
	} cases[] = {
		{ 0.01, 1, 2 },      /* 15 failed of 115: 13 % */
		{ 0.13, 1, 2 },
		{ 0.14, 1, 0 },      /* the domain's rate is below */
		{ 0.01, 6, 1 },      /* only the 10-session group */
		{ 0.01, 11, 0 },
	};
	struct fixture *fx = *state;
	size_t i;

	put(fx->st, "r1", 50, 10, "certificate-expired", "mx1.example.com");
	put(fx->st, "r2", 50, 5, "starttls-not-supported", "mx2.example.com");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct alert_config c = config(cases[i].rate, cases[i].min, 2000000000);
		struct alert_list l = { 0 };
		struct err err;

		assert_int_equal(alert_find(fx->st, &c, &l, &err), (int)cases[i].want);
		if (l.n > 0) {
			assert_string_equal(l.v[0].result_type, "certificate-expired");
			assert_int_equal(l.v[0].type, RESULT_CERTIFICATE_EXPIRED);
			assert_string_equal(l.v[0].mx, "mx1.example.com");
			assert_int_equal(l.v[0].count, 10);
			assert_int_equal(l.v[0].domain_failure, 15);
			assert_non_null(strstr(l.v[0].fix, "mx1.example.com"));
		}
		alert_list_free(&l);
	}
}

static void
test_alert_remembered_group_is_not_new_until_renotify_and_new_failures(void **state)
{
	struct fixture *fx = *state;
	struct alert_config c = config(0.01, 1, 2000000000);
	struct alert_list l = { 0 };
	struct err err;

	put(fx->st, "r1", 50, 10, "certificate-expired", "mx1.example.com");
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 1);
	assert_int_equal(alert_remember(fx->st, &c, &l, &err), 0);
	alert_list_free(&l);
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 0);
	/* a week later, but no failure seen after the alert: still quiet */
	c.now += 8 * DAY;
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 0);
	/* another kind appears: only that one is new */
	put(fx->st, "r2", 50, 5, "starttls-not-supported", "mx1.example.com");
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 1);
	assert_string_equal(l.v[0].result_type, "starttls-not-supported");
	alert_list_free(&l);
}

/* The same group failing again after the alert: quiet until renotify has
 * passed since the alert, then new once; with renotify 0, never again. */
static void
test_alert_group_seen_again_is_new_only_after_renotify(void **state)
{
	struct fixture *fx = *state;
	struct alert_config c = config(0.01, 1, 2000000000);
	struct alert_list l = { 0 };
	struct err err;
	int64_t alerted = c.now;

	put(fx->st, "r1", 50, 10, "certificate-expired", "mx1.example.com");
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 1);
	assert_int_equal(alert_remember(fx->st, &c, &l, &err), 0);
	alert_list_free(&l);
	put_day(fx->st, "2024-03-05", "r3", 50, 10, "certificate-expired", "mx1.example.com");
	c.now = alerted + 7 * DAY - 1;
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 0);
	c.renotify = 0;
	c.now = alerted + 30 * DAY;
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 0);
	c.renotify = 7 * DAY;
	c.now = alerted + 7 * DAY;
	assert_int_equal(alert_find(fx->st, &c, &l, &err), 1);
	assert_string_equal(l.v[0].result_type, "certificate-expired");
	assert_int_equal(l.v[0].count, 20);
	alert_list_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alert_thresholds_table, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_alert_remembered_group_is_not_new_until_renotify_and_new_failures,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_group_seen_again_is_new_only_after_renotify,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
