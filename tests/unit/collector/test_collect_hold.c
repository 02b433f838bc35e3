/* Unit tests for collector/collect_hold: the hold grows at most 2x a
 * read toward `target` datagrams per read at the rate seen, never past
 * max_ms, drops to 0 when a read finds the queue a quarter full, halves
 * when a read finds nothing, and never starts with a small queue limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/collect_hold.h"

#define STEPS_MAX 8

struct hold_case {
	const char *name;
	long qlen;
	int max_ms;
	int n;
	struct {
		uint64_t got;
		int64_t since_ms;
		int want;               /* hold after this read */
	} step[STEPS_MAX];
};

static const struct hold_case hold_cases[] = {
	/* qlen 512: target 64 datagrams a read */
	{ "20 000/s: doubles up to ~64 datagrams a read", 512, 100, 5,
	  { { 1, 5000, 1 }, { 20, 1, 2 }, { 40, 2, 3 }, { 60, 3, 3 }, { 64, 3, 3 } } },
	{ "1 000/s: capped at max_ms", 512, 50, 8,
	  { { 1, 900, 1 }, { 1, 1, 2 }, { 2, 2, 4 }, { 4, 4, 8 }, { 8, 8, 16 },
	    { 16, 16, 32 }, { 32, 32, 50 }, { 50, 50, 50 } } },
	{ "a burst fills a quarter of the queue: back to 0", 512, 100, 3,
	  { { 1, 5000, 1 }, { 1, 1, 2 }, { 128, 2, 0 } } },
	{ "the rate jumps: shrinks at once", 512, 100, 4,
	  { { 1, 5000, 1 }, { 2, 1, 2 }, { 4, 2, 4 }, { 120, 4, 2 } } },
	{ "idle: halves down to waiting for the socket", 512, 100, 6,
	  { { 1, 5000, 1 }, { 1, 1, 2 }, { 1, 2, 4 }, { 0, 4, 2 }, { 0, 2, 1 }, { 0, 1, 0 } } },
	{ "kernel default queue (10): never holds", 10, 100, 2,
	  { { 1, 5000, 0 }, { 1, 1000, 0 } } },
	{ "queue limit unknown: never holds", -1, 100, 1, { { 1, 5000, 0 } } },
	{ "max_ms 0: never holds", 512, 0, 1, { { 1, 5000, 0 } } },
};

static void
test_collect_hold_steps(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hold_cases) / sizeof(hold_cases[0]); i++) {
		const struct hold_case *c = &hold_cases[i];
		struct collect_hold h;

		collect_hold_init(&h, c->qlen, c->max_ms);
		for (int k = 0; k < c->n; k++) {
			int got = collect_hold_next(&h, c->step[k].got, c->step[k].since_ms);

			if (got != c->step[k].want || h.hold_ms != got)
				fail_msg("%s: step %d: hold %d ms, want %d", c->name, k, got,
					 c->step[k].want);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_hold_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
