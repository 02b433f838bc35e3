/*
 * monotime: CLOCK_MONOTONIC in milliseconds or seconds (see monotime.h).
 * Once copied as a static helper into each file that timed something.
 */
#include "util/monotime.h"

#include <time.h>

int64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double
monotime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
