/*
 * collect_writer: a queue of result batches and the thread that stores
 * them (see collect_writer.h).  One mutex guards the queue, the counters
 * and the stop flag; the store handle is used by the writer thread only.
 */
#include "collector/collect_writer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_results.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RETRY_MS 1000
#define STOP_RETRIES 3
#define PUSH_WAIT_S 2

struct node {
	struct datagram_batch batch;
	struct node *next;
};

struct collect_writer {
	struct store *store;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;            /* queue not empty, or stopping */
	pthread_cond_t room;            /* pending dropped below max_pending */
	struct node *head, *tail;
	uint64_t max_pending;
	int stopping;
	struct collect_writer_stats stats;
};

/* Takes every queued batch as one (merged) batch; called locked. */
static struct node *
take_all(struct collect_writer *w)
{
	struct node *first = w->head, *n, *next;

	if (first == NULL)
		return NULL;
	for (n = first->next; n != NULL; n = next) {
		struct datagram_batch *a = &first->batch, *b = &n->batch;

		next = n->next;
		if (a->n + b->n > a->cap) {
			a->cap = a->n + b->n;
			a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
		}
		memcpy(a->v + a->n, b->v, b->n * sizeof(*b->v));
		a->n += b->n;
		free(b->v);     /* the results moved; only the array is freed */
		free(n);
	}
	first->next = NULL;
	w->head = w->tail = NULL;
	return first;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *
writer_main(void *arg)
{
	struct collect_writer *w = arg;
	struct node *job = NULL;
	int failures = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct err err;
		int rc;

		if (job == NULL) {
			while (w->head == NULL && !w->stopping)
				pthread_cond_wait(&w->work, &w->mu);
			job = take_all(w);
			if (job == NULL)
				break;  /* stopping and nothing left */
		}
		pthread_mutex_unlock(&w->mu);
		rc = store_put_results(w->store, job->batch.v, job->batch.n, &err);
		if (rc < 0)
			log_error("collectd: storing %zu results: %s", job->batch.n, err.msg);
		pthread_mutex_lock(&w->mu);
		if (rc == 0) {
			w->stats.stored += job->batch.n;
			w->stats.transactions++;
		} else {
			w->stats.store_errors++;
			failures++;
		}
		if (rc == 0 || (w->stopping && failures >= STOP_RETRIES)) {
			if (rc != 0) {
				log_error("collectd: giving up on %zu results at shutdown",
					  job->batch.n);
				w->stats.lost += job->batch.n;
			}
			w->stats.pending -= job->batch.n;
			pthread_cond_broadcast(&w->room);
			datagram_batch_free(&job->batch);
			free(job);
			job = NULL;
			failures = 0;
		} else {
			pthread_mutex_unlock(&w->mu);
			sleep_ms(RETRY_MS);
			pthread_mutex_lock(&w->mu);
			/* Fold anything queued meanwhile into the retried batch. */
			if (w->head != NULL) {
				struct node *more = take_all(w);

				w->head = w->tail = job;
				job->next = more;
				job = take_all(w);
			}
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct collect_writer *
collect_writer_start(struct store *s, size_t max_pending, struct err *err)
{
	struct collect_writer *w = xcalloc(1, sizeof(*w));
	int rc;

	w->store = s;
	w->max_pending = max_pending > 0 ? max_pending : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->room, NULL);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		err_set(err, "collectd: starting the writer thread: %s", strerror(rc));
		pthread_cond_destroy(&w->room);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		store_close(&w->store);
		free(w);
		return NULL;
	}
	return w;
}

void
collect_writer_push(struct collect_writer *w, struct datagram_batch *b)
{
	struct node *n;

	if (b->n == 0)
		return;
	n = xcalloc(1, sizeof(*n));
	n->batch = *b;
	memset(b, 0, sizeof(*b));
	pthread_mutex_lock(&w->mu);
	if (w->stats.pending >= w->max_pending && !w->stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PUSH_WAIT_S;
		while (w->stats.pending >= w->max_pending && !w->stopping)
			if (pthread_cond_timedwait(&w->room, &w->mu, &until) != 0)
				break;
		if (w->stats.pending >= w->max_pending && !w->stopping) {
			/* The store is stuck: drop rather than grow or stop reading for good. */
			w->stats.lost += n->batch.n;
			pthread_mutex_unlock(&w->mu);
			log_error("collectd: %zu results dropped: %" PRIu64 " results wait for the "
				  "database already", n->batch.n, w->max_pending);
			datagram_batch_free(&n->batch);
			free(n);
			return;
		}
	}
	if (w->tail != NULL)
		w->tail->next = n;
	else
		w->head = n;
	w->tail = n;
	w->stats.pending += n->batch.n;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

void
collect_writer_get_stats(struct collect_writer *w, struct collect_writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	pthread_mutex_unlock(&w->mu);
}

int
collect_writer_stop(struct collect_writer **pw, struct collect_writer_stats *final_out)
{
	struct collect_writer *w;
	int rc;

	if (pw == NULL || *pw == NULL)
		return 0;
	w = *pw;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->room);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	rc = w->stats.lost > 0 ? -1 : 0;
	if (final_out != NULL)
		*final_out = w->stats;
	store_close(&w->store);
	pthread_cond_destroy(&w->room);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*pw = NULL;
	return rc;
}
