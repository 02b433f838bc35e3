/*
 * bqueue: a bounded queue of pointers between two threads (see bqueue.h).
 */
#include "util/bqueue.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/xalloc.h"

struct bqueue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	void **ring;                  /* cap slots, oldest at head */
	size_t cap, batch, head, n;
	int closed;                   /* no more puts */
	int failed;                   /* the consumer gave up */
	int draining;                 /* the consumer takes until empty before waiting */
};

struct bqueue *
bqueue_new(size_t cap, size_t batch)
{
	struct bqueue *q = xcalloc(1, sizeof(*q));

	q->cap = cap < 2 ? 2 : cap;
	q->batch = batch < 1 ? 1 : batch > q->cap ? q->cap : batch;
	q->ring = xcalloc(q->cap, sizeof(*q->ring));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	return q;
}

int
bqueue_put(struct bqueue *q, void *item)
{
	int ret = 0;

	pthread_mutex_lock(&q->mu);
	while (q->n == q->cap && !q->failed)
		pthread_cond_wait(&q->not_full, &q->mu);
	if (q->failed) {
		ret = -1;
	} else {
		q->ring[(q->head + q->n) % q->cap] = item;
		q->n++;
		if (q->n == q->batch)
			pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return ret;
}

void *
bqueue_get(struct bqueue *q)
{
	void *item = NULL;

	pthread_mutex_lock(&q->mu);
	if (q->n == 0)
		q->draining = 0;
	while (!q->closed && !q->failed && (q->n == 0 || (!q->draining && q->n < q->batch)))
		pthread_cond_wait(&q->not_empty, &q->mu);
	if (q->n > 0 && !q->failed) {
		q->draining = 1;
		item = q->ring[q->head];
		q->ring[q->head] = NULL;
		q->head = (q->head + 1) % q->cap;
		q->n--;
		if (q->n == q->cap / 2)
			pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return item;
}

void
bqueue_close(struct bqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

void
bqueue_fail(struct bqueue *q)
{
	pthread_mutex_lock(&q->mu);
	q->failed = 1;
	pthread_cond_broadcast(&q->not_full);
	pthread_cond_broadcast(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
}

void
bqueue_free(struct bqueue *q, void (*release)(void *item))
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < q->n; i++)
		if (release != NULL)
			release(q->ring[(q->head + i) % q->cap]);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q);
}
