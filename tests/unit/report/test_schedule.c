/* Unit tests for report/schedule: daily run time, backoff, give-up
 * (sender.md SCHED-01, HTTP-04, HTTP-05). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/schedule.h"

static void
test_daily_run_is_after_the_day_ends_plus_jitter(void **state)
{
	(void)state;
	assert_int_equal(schedule_daily_run(20778, 0), 20779LL * 86400);
	assert_int_equal(schedule_daily_run(20778, 3600), 20779LL * 86400 + 3600);
	for (int i = 0; i < 100; i++) {
		int64_t j = schedule_jitter(14400);

		assert_true(j >= 0 && j <= 14400);
	}
	assert_int_equal(schedule_jitter(0), 0);
}

static void
test_backoff_at_least_doubles_until_its_cap(void **state)
{
	(void)state;
	assert_int_equal(schedule_backoff(1), SCHEDULE_BACKOFF_FIRST);
	for (int64_t a = 2; a < 20; a++) {
		int64_t prev = schedule_backoff(a - 1), cur = schedule_backoff(a);

		assert_true(cur == SCHEDULE_BACKOFF_MAX || cur >= 2 * prev);
		assert_true(cur <= SCHEDULE_BACKOFF_MAX);
	}
}

static void
test_retries_stop_24_hours_after_the_first_attempt(void **state)
{
	int64_t first = 1000000, now = first, attempts = 0, next;

	(void)state;
	while ((next = schedule_next_try(now, first, ++attempts, SCHEDULE_RETRY_FOR)) != 0) {
		assert_true(next > now);
		assert_true(next <= first + SCHEDULE_RETRY_FOR);
		now = next;
	}
	assert_true(attempts > 5);
	assert_true(now + schedule_backoff(attempts) > first + SCHEDULE_RETRY_FOR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daily_run_is_after_the_day_ends_plus_jitter),
		cmocka_unit_test(test_backoff_at_least_doubles_until_its_cap),
		cmocka_unit_test(test_retries_stop_24_hours_after_the_first_attempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
