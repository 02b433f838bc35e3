/* Unit tests for util/monotime: the two readings agree, and a sleep of a
 * table of lengths moves the clock at least that far (not a wall clock
 * test: CLOCK_MONOTONIC only moves forward, and nanosleep sleeps at
 * least as long as asked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "util/monotime.h"

static void
test_monotime_ms_and_s_agree(void **state)
{
	int64_t a, b;
	double s;

	(void)state;
	a = monotime_ms();
	s = monotime_s();
	b = monotime_ms();
	assert_true(a > 0);
	assert_true(b >= a);
	/* s was read between a and b: within them, give or take the truncation */
	assert_true(s * 1e3 >= (double)a);
	assert_true(s * 1e3 < (double)b + 1.0);
}

static void
test_monotime_moves_at_least_the_time_slept(void **state)
{
	static const long sleeps_ms[] = { 0, 1, 15, 60 };

	(void)state;
	for (size_t i = 0; i < sizeof(sleeps_ms) / sizeof(sleeps_ms[0]); i++) {
		struct timespec d = { 0, sleeps_ms[i] * 1000000L };
		int64_t t0 = monotime_ms();
		double s0 = monotime_s();

		while (nanosleep(&d, &d) != 0)
			;
		assert_true(monotime_ms() - t0 >= sleeps_ms[i]);
		assert_true(monotime_s() - s0 >= (double)sleeps_ms[i] / 1e3);
		/* and not a wildly wrong unit (a load of minutes would be odd) */
		assert_true(monotime_ms() - t0 < 60000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotime_ms_and_s_agree),
		cmocka_unit_test(test_monotime_moves_at_least_the_time_slept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
