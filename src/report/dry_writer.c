/*
 * dry_writer: --dry-run files on a thread of their own (see dry_writer.h).
 * A bounded ring of jobs between one producer and the writer's thread,
 * under one mutex and two condition variables; files are created with
 * openat() on the directory opened once.
 */
#include "report/dry_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/reporter_private.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Jobs queued at most: enough to ride out a slow file creation, small
 * enough that the memory stays O(1) in the number of reports. */
#define DRY_QUEUE 64
/* The writer is woken when this many jobs wait (or at the end), and the
 * producer when the queue has drained to half: one wake-up per batch,
 * not two futex calls and a context switch per report. */
#define DRY_BATCH 16

struct dry_writer {
	struct reporter *r;           /* borrowed */
	int64_t day, now;
	int dirfd;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	struct dry_job q[DRY_QUEUE];  /* ring, oldest at head */
	size_t head, n;
	int closing;                  /* no more jobs: the thread ends when empty */
	int failed;                   /* a file could not be written: err says which */
	struct err err;
	struct buf body, mail;        /* the thread's, reused */
};

void
dry_job_clear(struct dry_job *job)
{
	free(job->report_id);
	free(job->policy_domain);
	free(job->filename);
	free(job->json);
	strlist_clear(&job->dests);
	memset(job, 0, sizeof(*job));
}

/* Creates (or truncates) name in the directory and writes data to it.
 * Returns 0, or -1 with err set. */
static int
write_file(struct dry_writer *w, const char *name, const void *data, size_t len,
	   struct err *err)
{
	int fd = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	const char *p = data;

	errno = 0;
	if (fd < 0)
		goto fail;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	err_set(err, "dry run: cannot write %s/%s: %s", w->r->cfg.dry_run_dir, name,
		errno ? strerror(errno) : "short write");
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Writes job's files.  Returns 0; -1 with err set and *fatal = 1 when a
 * file could not be written; -1 with err set when a body or mail could
 * not be built (that report is skipped). */
static int
write_job(struct dry_writer *w, const struct dry_job *job, int *fatal, struct err *err)
{
	buf_reset(&w->body);
	if (reporter_body(w->r, job->report_id, job->json, &w->body, err) < 0)
		return -1;
	if (write_file(w, job->filename, w->body.data, w->body.len, err) < 0) {
		*fatal = 1;
		return -1;
	}
	for (size_t i = 0; i < job->dests.n; i++) {
		char *eml;
		int rc;

		if (strncmp(job->dests.v[i], "mailto:", 7) != 0)
			continue;
		buf_reset(&w->mail);
		if (reporter_mail_from_body(w->r, job->report_id, job->policy_domain, w->day,
					    &w->body, job->dests.v[i] + 7, w->now, &w->mail,
					    err) < 0)
			return -1;
		eml = xasprintf("%s.%zu.eml", job->report_id, i + 1);
		rc = write_file(w, eml, w->mail.data, w->mail.len, err);
		free(eml);
		if (rc < 0) {
			*fatal = 1;
			return -1;
		}
	}
	return 0;
}

static void *
writer_main(void *arg)
{
	struct dry_writer *w = arg;
	struct dry_job job;
	struct err e;
	int fatal, busy = 0;          /* busy: drain the queue before waiting */

	for (;;) {
		pthread_mutex_lock(&w->mu);
		if (w->n == 0)
			busy = 0;
		while (!w->closing && (w->n == 0 || (!busy && w->n < DRY_BATCH)))
			pthread_cond_wait(&w->not_empty, &w->mu);
		if (w->n == 0) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		busy = 1;
		job = w->q[w->head];
		memset(&w->q[w->head], 0, sizeof(w->q[w->head]));
		w->head = (w->head + 1) % DRY_QUEUE;
		w->n--;
		fatal = w->failed;
		if (w->n == DRY_QUEUE / 2)
			pthread_cond_signal(&w->not_full);
		pthread_mutex_unlock(&w->mu);
		/* after a failed file, what is still queued is dropped */
		if (!fatal && write_job(w, &job, &fatal, &e) < 0) {
			if (fatal) {
				pthread_mutex_lock(&w->mu);
				w->failed = 1;
				w->err = e;
				pthread_cond_signal(&w->not_full);
				pthread_mutex_unlock(&w->mu);
			} else {
				log_warn("%s", e.msg);
			}
		}
		dry_job_clear(&job);
	}
	return NULL;
}

struct dry_writer *
dry_writer_new(struct reporter *r, int64_t day, int64_t now, struct err *err)
{
	struct dry_writer *w = xcalloc(1, sizeof(*w));

	w->r = r;
	w->day = day;
	w->now = now;
	w->dirfd = open(r->cfg.dry_run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		err_set(err, "dry run: cannot write %s: %s", r->cfg.dry_run_dir, strerror(errno));
		free(w);
		return NULL;
	}
	buf_init(&w->body, REPORTER_MAX_SIZE);
	buf_init(&w->mail, REPORTER_MAX_SIZE * 2);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->not_empty, NULL);
	pthread_cond_init(&w->not_full, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		err_set(err, "dry run: cannot start the writer thread");
		goto fail;
	}
	return w;
fail:
	pthread_cond_destroy(&w->not_full);
	pthread_cond_destroy(&w->not_empty);
	pthread_mutex_destroy(&w->mu);
	buf_free(&w->body);
	buf_free(&w->mail);
	close(w->dirfd);
	free(w);
	return NULL;
}

int
dry_writer_put(struct dry_writer *w, struct dry_job *job, struct err *err)
{
	int ret = 0;

	pthread_mutex_lock(&w->mu);
	while (w->n == DRY_QUEUE && !w->failed)
		pthread_cond_wait(&w->not_full, &w->mu);
	if (w->failed) {
		if (err != NULL)
			*err = w->err;
		ret = -1;
	} else {
		w->q[(w->head + w->n) % DRY_QUEUE] = *job;
		memset(job, 0, sizeof(*job));
		w->n++;
		if (w->n == DRY_BATCH)
			pthread_cond_signal(&w->not_empty);
	}
	pthread_mutex_unlock(&w->mu);
	if (ret < 0)
		dry_job_clear(job);
	return ret;
}

int
dry_writer_finish(struct dry_writer **wp, struct err *err)
{
	struct dry_writer *w;
	int ret;

	if (wp == NULL || (w = *wp) == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->closing = 1;
	pthread_cond_signal(&w->not_empty);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	ret = w->failed ? -1 : 0;
	if (ret < 0 && err != NULL)
		*err = w->err;
	for (size_t i = 0; i < w->n; i++)
		dry_job_clear(&w->q[(w->head + i) % DRY_QUEUE]);
	pthread_cond_destroy(&w->not_full);
	pthread_cond_destroy(&w->not_empty);
	pthread_mutex_destroy(&w->mu);
	buf_free(&w->body);
	buf_free(&w->mail);
	close(w->dirfd);
	free(w);
	*wp = NULL;
	return ret;
}
