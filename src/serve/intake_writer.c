/*
 * intake_writer: the queue and the group-commit writer thread of
 * `tlsrpt serve` (see intake.h).
 */
#include "serve/intake.h"
#include "serve/intake_checkpoint.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "store/store.h"
#include "store/store_reports.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

/* One writer thread and its store handle. */
struct writer {
	struct intake *in;
	pthread_t thread;
	int started;
	struct store *store;          /* its own (writer_open()); NULL after an
				       * error */
};

struct intake {
	char *db_url;
	struct writer writers[INTAKE_WRITERS_MAX];
	size_t n_writers;
	pthread_mutex_t lock;         /* guards head, tail, stopping */
	pthread_cond_t wake;          /* a job was queued, or stop */
	struct intake_job *head, *tail;
	int stopping;
	struct intake_checkpoint *ckpt;  /* the log's checkpoints (SQLite: one
					  * writer); started by it when first
					  * needed */
	uint64_t groups, reports;     /* under lock */
	uint64_t commits;             /* transactions the writer committed;
				       * under lock */
	int gather;                   /* the store writes a group at once
				       * (PostgreSQL): gather_locked() */
	int gathering;                /* a writer is gathering; the others
				       * wait (under lock) */
};

/* The jobs of one group, in order of arrival. */
struct group {
	struct intake_job *head, *tail;
	size_t n_reports;
};

/* Opens the writer's handle: its commits leave the log's checkpoints to
 * the checkpoint thread (intake_checkpoint.h). */
static struct store *
writer_open(const struct intake *in, struct err *err)
{
	struct store *s = store_open(in->db_url, err);

	if (s != NULL)
		store_wal_manual(s);
	return s;
}

/* Moves queued jobs to g until it holds INTAKE_GROUP_MAX_REPORTS reports
 * (a job is never split).  Returns the first job moved, or NULL when
 * none.  Called with the lock held. */
static struct intake_job *
take_locked(struct intake *in, struct group *g)
{
	struct intake_job *first = in->head;

	while (in->head != NULL && g->n_reports < INTAKE_GROUP_MAX_REPORTS) {
		struct intake_job *j = in->head;

		in->head = j->next;
		j->next = NULL;
		if (g->tail != NULL)
			g->tail->next = j;
		else
			g->head = j;
		g->tail = j;
		g->n_reports += j->n_items;
	}
	if (in->head == NULL)
		in->tail = NULL;
	return first != in->head ? first : NULL;
}

/* Sets every item from job on to outcome -1 with err's message. */
static void
fail_from(struct intake_job *job, const struct err *err)
{
	for (; job != NULL; job = job->next)
		for (size_t i = 0; i < job->n_items; i++) {
			job->items[i].outcome = -1;
			job->items[i].err = *err;
		}
}

/* Writes the items of the jobs from job on into the open transaction,
 * with no savepoint each (one cost about as much as the report's rows),
 * as one group (store_put_reports_in_batch(): on PostgreSQL one statement
 * per table).  Returns 0, or -1 with *err the reason: the transaction may
 * then hold part of it, and must be rolled back. */
static int
write_in_group(struct store *st, struct intake_job *job, struct err *err)
{
	struct store_put_item *items;
	struct intake_job *j;
	size_t n = 0, k = 0;
	int rc;

	for (j = job; j != NULL; j = j->next)
		n += j->n_items;
	items = xcalloc(n + 1, sizeof(*items));
	for (j = job; j != NULL; j = j->next)
		for (size_t i = 0; i < j->n_items; i++, k++) {
			items[k].report = j->items[i].report;
			items[k].src = &j->items[i].src;
			items[k].digest = j->items[i].digest;
		}
	err_clear(err);
	rc = store_put_reports_in_batch(st, items, n, err);
	k = 0;
	for (j = job; j != NULL; j = j->next)
		for (size_t i = 0; i < j->n_items; i++, k++) {
			struct intake_item *it = &j->items[i];

			it->outcome = rc < 0 ? -1 : items[k].outcome;
			it->err = *err;
		}
	free(items);
	return rc;
}

/* Adds n to the commits counted. */
static void
count_commits(struct intake *in, uint64_t n)
{
	pthread_mutex_lock(&in->lock);
	in->commits += n;
	pthread_mutex_unlock(&in->lock);
}

/* Writes each item of the jobs from job on with store_put_report_digest():
 * in a transaction of its own, or, inside an open one, under a savepoint
 * of its own (a failed item is undone alone, the others stay).  Returns
 * how many failed. */
static size_t
write_each(struct store *st, struct intake_job *job)
{
	size_t failed = 0;

	for (; job != NULL; job = job->next)
		for (size_t i = 0; i < job->n_items; i++) {
			struct intake_item *it = &job->items[i];

			err_clear(&it->err);
			it->outcome = store_put_report_digest(st, it->report, &it->src, it->digest,
							      &it->err);
			it->retryable = it->outcome < 0 && store_put_report_retryable(st);
			if (it->outcome < 0)
				failed++;
		}
	return failed;
}

/* The COMMIT of g failed: nothing of it is stored.  Stores each report
 * again in a transaction of its own, so that one cannot fail the others. */
static size_t
write_one_by_one(struct writer *w, struct group *g)
{
	struct err err;
	size_t failed;

	if (w->store == NULL && (w->store = writer_open(w->in, &err)) == NULL) {
		fail_from(g->head, &err);
		return g->n_reports;
	}
	failed = write_each(w->store, g->head);
	for (struct intake_job *job = g->head; job != NULL; job = job->next)
		for (size_t i = 0; i < job->n_items; i++)
			if (job->items[i].outcome > 0)
				count_commits(w->in, 1);
	return failed;
}

/* A report of g failed in the group, which was rolled back: nothing of it
 * is stored.  Stores g again in one transaction, each report under a
 * savepoint of its own, so the reports the store refuses (however many)
 * are undone alone and the rest is still one commit, not one per report.
 * Falls back to write_one_by_one() when that transaction cannot begin or
 * commit.  Returns how many failed. */
static size_t
write_guarded(struct writer *w, struct group *g)
{
	struct err err;
	size_t failed;

	if (w->store == NULL && (w->store = writer_open(w->in, &err)) == NULL) {
		fail_from(g->head, &err);
		return g->n_reports;
	}
	if (store_begin(w->store, &err) < 0) {
		store_close(&w->store);
		return write_one_by_one(w, g);
	}
	failed = write_each(w->store, g->head);
	if (store_commit(w->store, &err) < 0) {
		log_error("serve: committing %zu reports: %s; storing them one by one",
			  g->n_reports, err.msg);
		store_close(&w->store);
		return write_one_by_one(w, g);
	}
	count_commits(w->in, 1);
	return failed;
}

/* Stores each failed item of g again, in a transaction of its own, up to
 * three times with a short pause: with several hosts writing one
 * PostgreSQL, a group can lose a deadlock on a shared roll-up row, which
 * the same report wins alone a moment later.  Only such failures
 * (it->retryable) are retried, however many, or every failure when all
 * of g failed (all_failed: the store or its connection broke): a report
 * the store refuses fails every time, and a client sending many would
 * otherwise cost the writer ~120 ms each.  Returns how many still
 * failed. */
static size_t
retry_failed(struct writer *w, struct group *g, int all_failed)
{
	size_t failed = 0;

	for (struct intake_job *job = g->head; job != NULL; job = job->next)
		for (size_t i = 0; i < job->n_items; i++) {
			struct intake_item *it = &job->items[i];

			if (it->outcome < 0 && !it->retryable && !all_failed) {
				failed++;
				continue;
			}
			for (int attempt = 1; it->outcome < 0 && attempt <= 3; attempt++) {
				struct timespec pause = { 0, 20000000L * attempt };

				store_close(&w->store);
				nanosleep(&pause, NULL);
				if ((w->store = writer_open(w->in, &it->err)) == NULL)
					continue;
				err_clear(&it->err);
				it->outcome = store_put_report_digest(w->store, it->report,
								      &it->src, it->digest,
								      &it->err);
				it->retryable = it->outcome < 0 &&
						store_put_report_retryable(w->store);
				if (it->outcome > 0)
					count_commits(w->in, 1);
			}
			if (it->outcome < 0)
				failed++;
		}
	return failed;
}

/* Stores group g, taking in what is queued meanwhile (see intake.h), and
 * commits.  Every item of g has its outcome afterwards. */
static void
store_group(struct writer *w, struct group *g)
{
	struct err err;
	size_t failed = 0;
	double t0 = monotime_s() * 1e3;
	struct intake_job *more = g->head;
	int group_failed = 0;

	if (w->store == NULL && (w->store = writer_open(w->in, &err)) == NULL) {
		log_error("serve: cannot open the store: %s", err.msg);
		fail_from(g->head, &err);
		return;
	}
	if (store_begin(w->store, &err) < 0) {
		log_error("serve: cannot begin a transaction: %s", err.msg);
		fail_from(g->head, &err);
		store_close(&w->store);
		return;
	}
	while (more != NULL) {
		if (write_in_group(w->store, more, &err) < 0) {
			group_failed = 1;
			break;
		}
		if (g->n_reports >= INTAKE_GROUP_MAX_REPORTS ||
		    monotime_s() * 1e3 - t0 >= INTAKE_GROUP_MAX_MS)
			break;
		pthread_mutex_lock(&w->in->lock);
		more = take_locked(w->in, g);
		pthread_mutex_unlock(&w->in->lock);
	}
	if (group_failed) {
		log_warn("serve: storing a group of %zu reports: %s; storing it again with a"
			 " savepoint per report", g->n_reports, err.msg);
		store_rollback(w->store);
		failed = write_guarded(w, g);
	} else if (store_commit(w->store, &err) < 0) {
		log_error("serve: committing %zu reports: %s; storing them one by one",
			  g->n_reports, err.msg);
		store_close(&w->store);
		failed = write_one_by_one(w, g);
	} else {
		count_commits(w->in, 1);
	}
	if (failed > 0)
		failed = retry_failed(w, g, failed == g->n_reports);
	if (failed > 0)
		store_close(&w->store);   /* a fresh handle for the next group */
	intake_checkpoint_after_commit(&w->in->ckpt, w->in->db_url, w->store);
}

/* On a store that writes a group with one statement per table
 * (PostgreSQL, store_put_reports_in_batch()), a group of a few reports
 * costs the server nearly what one of many does: measured, half the calls
 * held 1 to 3 reports when writers took whatever was queued.  So a writer
 * whose group holds fewer than INTAKE_GATHER_MIN reports waits for more,
 * at most INTAKE_GATHER_US, taking them as they come, while the other
 * writers leave the queue to it.  Called and returns with the lock held. */
static void
gather_locked(struct intake *in, struct group *g)
{
	struct timespec until;

	if (!in->gather || g->n_reports >= INTAKE_GATHER_MIN)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += INTAKE_GATHER_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	in->gathering = 1;
	while (g->n_reports < INTAKE_GATHER_MIN && !in->stopping) {
		if (in->head != NULL)
			take_locked(in, g);
		else if (pthread_cond_timedwait(&in->wake, &in->lock, &until) != 0)
			break;
	}
	in->gathering = 0;
	pthread_cond_broadcast(&in->wake);   /* the others may take again */
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct intake *in = w->in;

	prctl(PR_SET_NAME, "intake-writer", 0, 0, 0);   /* named in top, /proc */
	pthread_mutex_lock(&in->lock);
	for (;;) {
		struct group g = { NULL, NULL, 0 };
		struct intake_job *j, *next;

		while ((in->head == NULL || in->gathering) && !in->stopping)
			pthread_cond_wait(&in->wake, &in->lock);
		if (in->head == NULL)
			break;        /* stopping, and nothing left */
		take_locked(in, &g);
		gather_locked(in, &g);
		pthread_mutex_unlock(&in->lock);
		store_group(w, &g);
		pthread_mutex_lock(&in->lock);
		in->groups++;
		in->reports += g.n_reports;
		pthread_mutex_unlock(&in->lock);
		for (j = g.head; j != NULL; j = next) {
			next = j->next;    /* j belongs to its owner once done */
			j->done(j);
		}
		pthread_mutex_lock(&in->lock);
	}
	pthread_mutex_unlock(&in->lock);
	return NULL;
}

/* Stops the writers started so far and frees in (intake_start()'s failure
 * and intake_stop()). */
static void
stop_and_free(struct intake *in)
{
	pthread_mutex_lock(&in->lock);
	in->stopping = 1;
	pthread_cond_broadcast(&in->wake);
	pthread_mutex_unlock(&in->lock);
	for (size_t i = 0; i < in->n_writers; i++)
		if (in->writers[i].started)
			pthread_join(in->writers[i].thread, NULL);
	intake_checkpoint_stop(&in->ckpt);
	pthread_cond_destroy(&in->wake);
	pthread_mutex_destroy(&in->lock);
	for (size_t i = 0; i < in->n_writers; i++)
		store_close(&in->writers[i].store);
	free(in->db_url);
	free(in);
}

struct intake *
intake_start(const char *db_url, size_t n_writers, struct err *err)
{
	struct intake *in = xcalloc(1, sizeof(*in));
	struct store *first;
	pthread_condattr_t ca;

	in->db_url = xstrdup(db_url);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* gather_locked() */
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->wake, &ca);
	pthread_condattr_destroy(&ca);
	/* the first handle says how many writers the store can use */
	if ((first = writer_open(in, err)) == NULL) {
		stop_and_free(in);
		return NULL;
	}
	in->gather = store_writers_overlap(first);
	if (!in->gather)
		n_writers = 1;
	else if (n_writers == 0)
		n_writers = INTAKE_WRITERS_DEFAULT;
	else if (n_writers > INTAKE_WRITERS_MAX)
		n_writers = INTAKE_WRITERS_MAX;
	in->n_writers = n_writers;
	in->writers[0].store = first;
	for (size_t i = 0; i < n_writers; i++) {
		struct writer *w = &in->writers[i];

		w->in = in;
		if (w->store == NULL && (w->store = writer_open(in, err)) == NULL)
			goto fail;
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
			err_set(err, "serve: cannot start a store writer thread");
			goto fail;
		}
		w->started = 1;
	}
	return in;
fail:
	stop_and_free(in);
	return NULL;
}

void
intake_stop(struct intake **inp)
{
	if (inp == NULL || *inp == NULL)
		return;
	stop_and_free(*inp);
	*inp = NULL;
}

size_t
intake_writers(const struct intake *in)
{
	return in != NULL ? in->n_writers : 0;
}

void
intake_submit(struct intake *in, struct intake_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&in->lock);
	if (in->tail != NULL)
		in->tail->next = job;
	else
		in->head = job;
	in->tail = job;
	/* a gathering writer must hear of it, not only an idle one */
	if (in->n_writers > 1)
		pthread_cond_broadcast(&in->wake);
	else
		pthread_cond_signal(&in->wake);
	pthread_mutex_unlock(&in->lock);
}

/* intake_store_wait()'s rendezvous. */
struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

static void
wake_waiter(struct intake_job *job)
{
	struct waiter *w = job->ctx;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void
intake_store_wait(struct intake *in, struct intake_job *job)
{
	struct waiter w;

	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	w.done = 0;
	job->done = wake_waiter;
	job->ctx = &w;
	intake_submit(in, job);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
}

void
intake_counts(struct intake *in, uint64_t *groups, uint64_t *reports)
{
	if (in == NULL) {
		*groups = *reports = 0;
		return;
	}
	pthread_mutex_lock(&in->lock);
	*groups = in->groups;
	*reports = in->reports;
	pthread_mutex_unlock(&in->lock);
}

uint64_t
intake_commits(struct intake *in)
{
	uint64_t n;

	if (in == NULL)
		return 0;
	pthread_mutex_lock(&in->lock);
	n = in->commits;
	pthread_mutex_unlock(&in->lock);
	return n;
}
