/*
 * test_bqueue: the bounded queue between two threads: every item arrives
 * once and in order through a small queue, close ends the consumer after
 * the last item, fail releases a producer blocked on a full queue, and
 * bqueue_free hands what is left to the release function.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/bqueue.h"

struct consumer {
	struct bqueue *q;
	size_t got, out_of_order;
	size_t stop_after;              /* fail the queue after this many; 0: never */
};

static void *
consume(void *arg)
{
	struct consumer *c = arg;
	void *item;

	while ((item = bqueue_get(c->q)) != NULL) {
		if ((uintptr_t)item != c->got + 1)
			c->out_of_order++;
		c->got++;
		if (c->stop_after > 0 && c->got == c->stop_after) {
			bqueue_fail(c->q);
			break;
		}
	}
	return NULL;
}

/* Through queues of several sizes and batches: all items, in order. */
static void
test_bqueue_passes_every_item_in_order(void **state)
{
	static const struct {
		size_t cap, batch, n;
	} cases[] = { { 2, 1, 1000 }, { 4, 4, 1001 }, { 64, 16, 10000 }, { 8, 3, 7 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct consumer c = { .q = bqueue_new(cases[i].cap, cases[i].batch) };
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, consume, &c), 0);
		for (size_t k = 1; k <= cases[i].n; k++)
			assert_int_equal(bqueue_put(c.q, (void *)(uintptr_t)k), 0);
		bqueue_close(c.q);
		pthread_join(t, NULL);
		assert_int_equal(c.got, cases[i].n);
		assert_int_equal(c.out_of_order, 0);
		bqueue_free(c.q, NULL);
	}
}

/* Marks the item (a char in the test's array) as released. */
static void
mark_release(void *item)
{
	*(char *)item = 'r';
}

static void *
consume_marks(void *arg)
{
	struct consumer *c = arg;
	char *item;

	while ((item = bqueue_get(c->q)) != NULL) {
		*item = 'c';
		if (++c->got == c->stop_after) {
			usleep(100 * 1000);     /* the producer is blocked on a full queue by now */
			bqueue_fail(c->q);
			break;
		}
	}
	return NULL;
}

/* A consumer that gives up: the producer, blocked on the full queue, gets
 * -1 and keeps its item; what was queued is released by bqueue_free, so
 * every item is consumed, released or refused, exactly once. */
static void
test_bqueue_fail_releases_the_producer(void **state)
{
	struct consumer c = { .q = bqueue_new(4, 2), .stop_after = 3 };
	char items[100] = { 0 };
	size_t k, consumed = 0, released = 0, refused = 0;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, consume_marks, &c), 0);
	for (k = 0; k < 100; k++)
		if (bqueue_put(c.q, &items[k]) < 0)
			items[k] = 'x';
	pthread_join(t, NULL);
	assert_null(bqueue_get(c.q));
	bqueue_free(c.q, mark_release);
	for (k = 0; k < 100; k++) {
		consumed += items[k] == 'c';
		released += items[k] == 'r';
		refused += items[k] == 'x';
	}
	assert_int_equal(consumed, 3);
	assert_true(released <= 4);
	assert_int_equal(consumed + released + refused, 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bqueue_passes_every_item_in_order),
		cmocka_unit_test(test_bqueue_fail_releases_the_producer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
