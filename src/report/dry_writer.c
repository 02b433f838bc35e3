/*
 * dry_writer: --dry-run files on threads of their own (see dry_writer.h).
 * A pipeline of two bounded queues (bqueue.h): the producer's jobs go to
 * the writer's thread (gzip, MIME, DKIM), whose files go to the filer's
 * thread, which creates them with openat() on the directory opened once.
 * File creation on ext4 was ~60 % of the single writer thread's time, so
 * the two stages are about even.
 */
#include "report/dry_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/reporter_private.h"
#include "util/bqueue.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Jobs queued at most: enough to ride out a slow file creation, small
 * enough that the memory stays O(1) in the number of reports.  Each queue
 * wakes its consumer per DRY_BATCH items (bqueue.h). */
#define DRY_QUEUE 64
#define DRY_FILES 128
#define DRY_BATCH 16

/* One file for the filer's thread to create. */
struct dry_file {
	char *name;                   /* owned */
	char *data;                   /* owned */
	size_t len;
};

struct dry_writer {
	struct reporter *r;           /* borrowed */
	int64_t day, now;
	int dirfd;
	pthread_t writer, filer;
	int filer_started;
	struct bqueue *jobs;          /* struct dry_job *: producer -> writer */
	struct bqueue *files;         /* struct dry_file *: writer -> filer */
	pthread_mutex_t mu;           /* guards failed and err */
	int failed;                   /* a file could not be written: err says which */
	struct err err;
	struct buf body, mail;        /* the writer thread's, reused */
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

static void
job_release(void *v)
{
	dry_job_clear(v);
	free(v);
}

static void
file_release(void *v)
{
	struct dry_file *f = v;

	free(f->name);
	free(f->data);
	free(f);
}

/* Creates (or truncates) name in the directory and writes data to it.
 * Returns 0, or -1 with err set. */
static int
write_file(const struct dry_writer *w, const char *name, const void *data, size_t len,
	   struct err *err)
{
	const char *p = data;
	int fd;

	errno = 0;      /* before openat(): its errno is the message when it fails */
	fd = openat(w->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
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

/* Hands a copy of data, to be written as file name (owned: taken), to
 * the filer.  Returns 0, or -1 when the filer has failed on a file. */
static int
queue_file(struct dry_writer *w, char *name, const struct buf *data)
{
	struct dry_file *f = xcalloc(1, sizeof(*f));

	f->name = name;
	f->data = xmalloc(data->len > 0 ? data->len : 1);
	memcpy(f->data, data->data, data->len);
	f->len = data->len;
	if (bqueue_put(w->files, f) < 0) {
		file_release(f);
		return -1;
	}
	return 0;
}

/* Builds job's files and queues them for the filer.  Returns 0; -1 with
 * *fatal = 1 when the filer has failed (its error is in w->err); -1 with
 * err set when a body or mail could not be built (that report is
 * skipped). */
static int
build_job(struct dry_writer *w, const struct dry_job *job, int *fatal, struct err *err)
{
	buf_reset(&w->body);
	if (reporter_body(w->r, job->report_id, job->json, &w->body, err) < 0)
		return -1;
	if (queue_file(w, xstrdup(job->filename), &w->body) < 0) {
		*fatal = 1;
		return -1;
	}
	for (size_t i = 0; i < job->dests.n; i++) {
		if (strncmp(job->dests.v[i], "mailto:", 7) != 0)
			continue;
		buf_reset(&w->mail);
		if (reporter_mail_from_body(w->r, job->report_id, job->policy_domain, w->day,
					    &w->body, job->dests.v[i] + 7, w->now, &w->mail,
					    err) < 0)
			return -1;
		if (queue_file(w, xasprintf("%s.%zu.eml", job->report_id, i + 1), &w->mail) < 0) {
			*fatal = 1;
			return -1;
		}
	}
	return 0;
}

/* The writer's thread: gzip, MIME composition and DKIM of each job; its
 * files go to the filer in job order. */
static void *
writer_main(void *arg)
{
	struct dry_writer *w = arg;
	struct dry_job *job;
	struct err e;
	int fatal = 0;

	while (!fatal && (job = bqueue_get(w->jobs)) != NULL) {
		if (build_job(w, job, &fatal, &e) < 0 && !fatal)
			log_warn("%s", e.msg);
		job_release(job);
	}
	/* after a failed file, what is still queued is dropped */
	if (fatal)
		bqueue_fail(w->jobs);
	bqueue_close(w->files);
	return NULL;
}

/* The filer's thread: creates the files, in order; the first that cannot
 * be written stops it and fails both queues. */
static void *
filer_main(void *arg)
{
	struct dry_writer *w = arg;
	struct dry_file *f;
	struct err e;

	while ((f = bqueue_get(w->files)) != NULL) {
		int rc = write_file(w, f->name, f->data, f->len, &e);

		file_release(f);
		if (rc < 0) {
			pthread_mutex_lock(&w->mu);
			w->failed = 1;
			w->err = e;
			pthread_mutex_unlock(&w->mu);
			bqueue_fail(w->files);
			bqueue_fail(w->jobs);
			break;
		}
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
	w->jobs = bqueue_new(DRY_QUEUE, DRY_BATCH);
	w->files = bqueue_new(DRY_FILES, DRY_BATCH);
	if (pthread_create(&w->filer, NULL, filer_main, w) != 0)
		goto fail;
	w->filer_started = 1;
	if (pthread_create(&w->writer, NULL, writer_main, w) != 0)
		goto fail;
	return w;
fail:
	err_set(err, "dry run: cannot start the writer threads");
	if (w->filer_started) {
		bqueue_close(w->files);
		pthread_join(w->filer, NULL);
	}
	bqueue_free(w->files, file_release);
	bqueue_free(w->jobs, job_release);
	pthread_mutex_destroy(&w->mu);
	buf_free(&w->body);
	buf_free(&w->mail);
	close(w->dirfd);
	free(w);
	return NULL;
}

/* Copies the filer's error into err (if not NULL).  Returns -1 if the
 * filer has failed, else 0. */
static int
filer_failed(struct dry_writer *w, struct err *err)
{
	int failed;

	pthread_mutex_lock(&w->mu);
	failed = w->failed;
	if (failed && err != NULL)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}

int
dry_writer_put(struct dry_writer *w, struct dry_job *job, struct err *err)
{
	struct dry_job *item = xmalloc(sizeof(*item));

	*item = *job;
	memset(job, 0, sizeof(*job));
	if (filer_failed(w, err) < 0 || bqueue_put(w->jobs, item) < 0) {
		filer_failed(w, err);
		job_release(item);
		return -1;
	}
	return 0;
}

int
dry_writer_finish(struct dry_writer **wp, struct err *err)
{
	struct dry_writer *w;
	int ret;

	if (wp == NULL || (w = *wp) == NULL)
		return 0;
	bqueue_close(w->jobs);
	pthread_join(w->writer, NULL);  /* it closes the files' queue */
	pthread_join(w->filer, NULL);
	ret = filer_failed(w, err);
	bqueue_free(w->files, file_release);
	bqueue_free(w->jobs, job_release);
	pthread_mutex_destroy(&w->mu);
	buf_free(&w->body);
	buf_free(&w->mail);
	close(w->dirfd);
	free(w);
	*wp = NULL;
	return ret;
}
