/*
 * bqueue: a bounded first-in first-out queue of pointers between one
 * producer thread and one consumer thread, under one mutex and two
 * condition variables.  Wake-ups come in batches: the consumer is woken
 * when `batch` items wait (or the queue is closed), and a blocked
 * producer when the queue has drained to half, so a busy pipeline pays
 * one wake-up per batch, not a futex call and a context switch per item.
 * Once the consumer has started taking items it goes on until the queue
 * is empty before waiting for a batch again.
 *
 * The queue does not own what the pointers point to, except that
 * bqueue_free() hands whatever is left to a release function.
 */
#ifndef TLSRPT_UTIL_BQUEUE_H
#define TLSRPT_UTIL_BQUEUE_H

#include <stddef.h>

struct bqueue;

/* A queue of at most cap items (cap >= 2), the consumer woken per batch
 * items (1 <= batch <= cap).  Never NULL (allocation failure aborts). */
struct bqueue *bqueue_new(size_t cap, size_t batch);

/*
 * Appends item (not NULL), waiting while the queue is full.  Returns 0,
 * or -1 when the consumer has given up (bqueue_fail): item is then not
 * taken and stays the caller's.
 */
int bqueue_put(struct bqueue *q, void *item);

/*
 * Takes the oldest item, waiting for a batch (or for the close).  Returns
 * NULL when the queue is closed and empty, or failed.
 */
void *bqueue_get(struct bqueue *q);

/* The producer is done: bqueue_get() returns what is left, then NULL. */
void bqueue_close(struct bqueue *q);

/* The consumer gives up: waiting and later bqueue_put() calls return -1
 * at once, bqueue_get() returns NULL.  What is queued stays queued. */
void bqueue_fail(struct bqueue *q);

/* Releases q, handing every item still queued to release (if not NULL).
 * No thread may be using q.  NULL is a no-op. */
void bqueue_free(struct bqueue *q, void (*release)(void *item));

#endif
