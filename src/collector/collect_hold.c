/*
 * collect_hold: the receive loop's hold before reading (see
 * collect_hold.h).
 */
#include "collector/collect_hold.h"

/* Below this queue limit a hold would gain a few datagrams per wake-up
 * at the risk of a full queue: never hold. */
#define HOLD_MIN_QLEN 64

void
collect_hold_init(struct collect_hold *h, long qlen, int max_ms)
{
	h->target = qlen >= HOLD_MIN_QLEN && max_ms > 0 ? (uint64_t)qlen / 8 : 0;
	h->max_ms = max_ms > 0 ? max_ms : 0;
	h->hold_ms = 0;
}

int
collect_hold_next(struct collect_hold *h, uint64_t got, int64_t since_ms)
{
	int64_t want, grow;

	if (h->target == 0 || got >= 2 * h->target) {
		h->hold_ms = 0;
		return 0;
	}
	if (got == 0) {
		/* the traffic stopped (or paused): back to waiting for the
		 * socket within a few reads */
		h->hold_ms /= 2;
		return h->hold_ms;
	}
	if (since_ms < 1)
		since_ms = 1;
	/* the time `target` datagrams take at the rate seen */
	want = since_ms * (int64_t)h->target / (int64_t)got;
	grow = h->hold_ms > 0 ? 2 * (int64_t)h->hold_ms : 1;
	if (want > grow)
		want = grow;
	if (want > h->max_ms)
		want = h->max_ms;
	h->hold_ms = (int)want;
	return h->hold_ms;
}
