/* Unit tests for model/when: every accepted syntax at both ends, every
 * refusal with the reason and the list of syntaxes in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/when.h"

#define NOW 1772366400          /* 2026-03-01T12:00:00Z */
#define DAY1 1772323200         /* 2026-03-01T00:00:00Z */

static const struct {
	const char *in;
	int64_t start, end;     /* WHEN_START, WHEN_END */
} good[] = {
	{ "2026-03-01", DAY1, DAY1 + 86400 },                   /* a day: inclusive end */
	{ "2024-02-29", 1709164800, 1709251200 },
	{ "1970-01-01", 0, 86400 },
	{ "2026-03-01T00:00:00Z", DAY1, DAY1 },
	{ "2026-03-01T02:00:00+02:00", DAY1, DAY1 },            /* any offset */
	{ "2026-02-28T19:00:00-05:00", DAY1, DAY1 },
	{ "2026-03-01T02:00:00+0200", DAY1, DAY1 },
	{ "2026-03-01T00:00:00.75Z", DAY1, DAY1 },              /* fraction dropped */
	{ "2026-03-01t00:00:00z", DAY1, DAY1 },
	{ "2026-03-01 00:00:00Z", DAY1, DAY1 },
	{ "1772323200", DAY1, DAY1 },                           /* Unix seconds */
	{ "0", 0, 0 },
	{ "7d", NOW - 7 * 86400, NOW - 7 * 86400 },             /* now minus 7 days */
	{ "24h", NOW - 86400, NOW - 86400 },
	{ "0d", NOW, NOW },
	{ "20000d", NOW - 20000LL * 86400, NOW - 20000LL * 86400 },
};

static const struct {
	const char *in;
	const char *why;        /* part of the message */
} bad[] = {
	{ "", "empty" },
	{ "yesterday", "not a date" },
	{ "2026-13-01", "not a calendar date" },
	{ "2026-02-29", "not a calendar date" },
	{ "2026-03-01T25:00:00Z", "not a time of day" },
	{ "2026-03-01T12:00:00", "no time zone" },
	{ "2026-03-01T12:00", "not an RFC 3339 date-time" },
	{ "2026-03-01x", "not an RFC 3339 date-time;" },
	{ " 2026-03-01", "not a date" },
	{ "7 d", "not a date" },
	{ "7w", "not a date" },
	{ "7dd", "not a date" },
	{ "d", "not a date" },
	{ "-7d", "not a date" },
	{ "+1772323200", "not a date" },
	{ "36501d", "more than 36500 days ago" },
	{ "876001h", "more than 36500 days ago" },
	{ "1234567890123", "after 9999-12-31" },
	{ "1969-12-30", "before 1970-01-01" },
	{ "36500d", "before 1970-01-01" },
	{ "1970-01-01T01:00:00+02:00", "before 1970-01-01" },
	{ "2026-03-01T00:00:00.0000000000000000000000000000000000000000000000000Z", "too long" },
};

static void
test_when_parse_accepts_every_syntax_at_both_ends(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err err = { { 0 } };
		int64_t s = -1, e = -1;

		if (when_parse(good[i].in, WHEN_START, NOW, &s, &err) != 0 ||
		    when_parse(good[i].in, WHEN_END, NOW, &e, &err) != 0)
			fail_msg("%s: refused: %s", good[i].in, err.msg);
		if (s != good[i].start || e != good[i].end)
			fail_msg("%s: got %lld..%lld, want %lld..%lld", good[i].in, (long long)s,
				 (long long)e, (long long)good[i].start, (long long)good[i].end);
	}
}

static void
test_when_parse_refuses_with_reason_and_syntaxes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = { { 0 } };
		int64_t t = 42;

		if (when_parse(bad[i].in, WHEN_END, NOW, &t, &err) != -1)
			fail_msg("%s: accepted as %lld", bad[i].in, (long long)t);
		if (t != 42)
			fail_msg("%s: *out changed on error", bad[i].in);
		if (strstr(err.msg, bad[i].why) == NULL || strstr(err.msg, WHEN_SYNTAX) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\" or the syntaxes", bad[i].in,
				 err.msg, bad[i].why);
	}
	assert_int_equal(when_parse(NULL, WHEN_START, NOW, &(int64_t){ 0 }, NULL), -1);
}

static void
test_when_parse_day_is_the_utc_day_holding_the_instant(void **state)
{
	static const struct { const char *in; int64_t day; } days[] = {
		{ "2026-03-01", DAY1 / 86400 },
		{ "1d", DAY1 / 86400 - 1 },
		{ "0d", DAY1 / 86400 },
		{ "2026-03-01T01:00:00+02:00", DAY1 / 86400 - 1 },     /* 02-28 23:00Z */
		{ "1772323199", DAY1 / 86400 - 1 },
	};
	struct err err = { { 0 } };
	int64_t d = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
		if (when_parse_day(days[i].in, NOW, &d, &err) != 0)
			fail_msg("%s: refused: %s", days[i].in, err.msg);
		if (d != days[i].day)
			fail_msg("%s: day %lld, want %lld", days[i].in, (long long)d,
				 (long long)days[i].day);
	}
	assert_int_equal(when_parse_day("2026-02-30", NOW, &d, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when_parse_accepts_every_syntax_at_both_ends),
		cmocka_unit_test(test_when_parse_refuses_with_reason_and_syntaxes),
		cmocka_unit_test(test_when_parse_day_is_the_utc_day_holding_the_instant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
