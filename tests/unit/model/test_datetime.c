/* Unit tests for model/datetime: lenient RFC 3339 parsing and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model/datetime.h"

static const struct {
	const char *in;
	int64_t want;
	unsigned flags;
} good[] = {
	{ "2016-04-01T00:00:00Z", 1459468800, 0 },
	{ "2016-04-01T23:59:59Z", 1459555199, 0 },
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2024-03-26T00:00:00", 1711411200, DATETIME_NO_ZONE },       /* Microsoft 2024 */
	{ "2024-03-26T02:00:00+02:00", 1711411200, DATETIME_OFFSET },
	{ "2024-03-25T19:00:00-05:00", 1711411200, DATETIME_OFFSET },
	{ "2024-03-26T00:00:00+00:00", 1711411200, 0 },
	{ "2024-03-26T00:00:00.123456Z", 1711411200, DATETIME_FRACTION },
	{ "2024-03-26t00:00:00z", 1711411200, DATETIME_LOOSE_SEP },
	{ "2024-03-26 00:00:00Z", 1711411200, DATETIME_LOOSE_SEP },
	{ "2024-03-26T02:00:00+0200", 1711411200, DATETIME_OFFSET | DATETIME_LOOSE_SEP },
	{ "2024-03-26", 1711411200, DATETIME_DATE_ONLY | DATETIME_NO_ZONE },
	{ "2016-12-31T23:59:60Z", 1483228799, DATETIME_LEAP_SEC },
	{ "2024-02-29T00:00:00Z", 1709164800, 0 },
	{ "2000-02-29T00:00:00Z", 951782400, 0 },
	{ "2024-03-26T00:00:00,5Z", 1711411200, DATETIME_FRACTION },
	{ "2024-03-26t02:00:00+02:00", 1711411200, DATETIME_LOOSE_SEP | DATETIME_OFFSET },
	{ "2024-03-26T00:00:00-00:00", 1711411200, 0 },
	{ "2016-12-31T23:59:60+01:00", 1483225199, DATETIME_LEAP_SEC | DATETIME_OFFSET },
	{ "9999-12-31T23:59:59Z", 253402300799LL, 0 },
};

static const char *const bad[] = {
	"", "2024", "2024-03-26T", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
	"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-03-26T24:00:00Z",
	"2024-03-26T00:60:00Z", "2024-03-26T00:00:00Q", "2024-03-26T00:00:00+25:00",
	"2024-03-26T00:00:00Z ", " 2024-03-26T00:00:00Z", "2024-03-26T00:00:00.Z",
	"24-03-26T00:00:00Z", "2024-3-26T00:00:00Z", "yesterday",
	"2024-03-26T00:00:00+02:00:00",
	/* ISO 8601 forms glib would take but RFC 3339 has not */
	"20240326T000000Z", "2024-W13-2T00:00:00Z", "2024-086T00:00:00Z", "2024-03-26T00:00Z",
	"2024-03-26T00Z", "2024-03-26T00:00:00+02", "2024-03-26T000000Z", "0000-01-01T00:00:00Z",
	"2024-03-26T00:00:00.00000000000000000000000000000000000000000000000000000000Z",
};

static void
test_datetime_parse_accepts_rfc3339_and_lenient_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct err err;
		int64_t t = -1;
		unsigned flags = 0xffff;

		if (datetime_parse(good[i].in, &t, &flags, &err) != 0)
			fail_msg("%s: rejected: %s", good[i].in, err.msg);
		if (t != good[i].want || flags != good[i].flags)
			fail_msg("%s: got %lld flags %#x, want %lld flags %#x", good[i].in,
				 (long long)t, flags, (long long)good[i].want, good[i].flags);
	}
}

static void
test_datetime_parse_rejects_malformed_text_with_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err err = { "" };
		int64_t t;

		if (datetime_parse(bad[i], &t, NULL, &err) == 0)
			fail_msg("\"%s\": accepted as %lld", bad[i], (long long)t);
		assert_true(strlen(err.msg) > 0);
	}
	assert_int_equal(datetime_parse(NULL, &(int64_t){ 0 }, NULL, NULL), -1);
}

static void
test_datetime_format_gives_canonical_utc_text(void **state)
{
	char buf[DATETIME_FMT_SIZE];

	(void)state;
	assert_string_equal(datetime_format(1459468800, buf), "2016-04-01T00:00:00Z");
	assert_string_equal(datetime_format(1459555199, buf), "2016-04-01T23:59:59Z");
	assert_string_equal(datetime_format(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(datetime_format(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(datetime_format(INT64_MAX, buf), "9999-12-31T23:59:59Z");
	assert_string_equal(datetime_format(INT64_MIN, buf), "0000-01-01T00:00:00Z");
}

static void
test_datetime_format_then_parse_round_trips(void **state)
{
	(void)state;
	for (int64_t t = -86400 * 400LL; t < 253402300799LL; t += 86400 * 367 + 3607) {
		char buf[DATETIME_FMT_SIZE];
		int64_t back;

		assert_int_equal(datetime_parse(datetime_format(t, buf), &back, NULL, NULL), 0);
		assert_int_equal(back, t);
	}
}

static void
test_datetime_day_start_truncates_to_utc_midnight(void **state)
{
	(void)state;
	assert_int_equal(datetime_day_start(1459555199), 1459468800);
	assert_int_equal(datetime_day_start(1459468800), 1459468800);
	assert_int_equal(datetime_day_start(-1), -86400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datetime_parse_accepts_rfc3339_and_lenient_forms),
		cmocka_unit_test(test_datetime_parse_rejects_malformed_text_with_message),
		cmocka_unit_test(test_datetime_format_gives_canonical_utc_text),
		cmocka_unit_test(test_datetime_format_then_parse_round_trips),
		cmocka_unit_test(test_datetime_day_start_truncates_to_utc_midnight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
