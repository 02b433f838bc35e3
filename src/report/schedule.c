/*
 * schedule: daily-run time, backoff and the real clock (see schedule.h).
 */
#include "report/schedule.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

static int64_t
real_now(void *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

static int
real_sleep_until(void *ctx, int64_t until)
{
	sigset_t set;
	int64_t now;

	(void)ctx;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	while ((now = (int64_t)time(NULL)) < until) {
		struct timespec ts = { (time_t)(until - now < 60 ? until - now : 60), 0 };

		if (sigtimedwait(&set, NULL, &ts) > 0)
			return 0;
	}
	/* a stop request that came while we were busy */
	{
		struct timespec zero = { 0, 0 };

		if (sigtimedwait(&set, NULL, &zero) > 0)
			return 0;
	}
	return 1;
}

const struct schedule_clock schedule_real_clock = { real_now, real_sleep_until, NULL };

int64_t
schedule_backoff(int64_t attempts)
{
	int64_t d = SCHEDULE_BACKOFF_FIRST;

	for (int64_t i = 1; i < attempts && d < SCHEDULE_BACKOFF_MAX; i++)
		d *= 2;
	return d < SCHEDULE_BACKOFF_MAX ? d : SCHEDULE_BACKOFF_MAX;
}

int64_t
schedule_next_try(int64_t now, int64_t first_try, int64_t attempts, int64_t retry_for)
{
	int64_t next = now + schedule_backoff(attempts);

	if (first_try <= 0)
		first_try = now;
	return next > first_try + retry_for ? 0 : next;
}

int64_t
schedule_daily_run(int64_t day, int64_t jitter)
{
	return (day + 1) * 86400 + (jitter > 0 ? jitter : 0);
}

int64_t
schedule_jitter(int64_t max)
{
	uint32_t r = 0;

	if (max <= 0)
		return 0;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL);
	return (int64_t)(r % (uint64_t)(max + 1));
}
