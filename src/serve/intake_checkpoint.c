/*
 * intake_checkpoint: the write-ahead log checkpoint thread of `tlsrpt
 * serve`'s intake (see intake_checkpoint.h).
 */
#include "serve/intake_checkpoint.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/prctl.h>

#include "util/log.h"
#include "util/xalloc.h"

struct intake_checkpoint {
	char *db_url;
	pthread_t thread;
	pthread_mutex_t lock;   /* guards asked, stopping, runs */
	pthread_cond_t wake;
	int asked, stopping;
	unsigned long runs;
	struct store *store;    /* the thread's own; NULL until first asked */
	long asked_at;          /* the log's frames at the last ask (the
				 * writer's; intake_checkpoint_after_commit()) */
};

/* One checkpoint on the thread's handle (opened first if need be). */
static void
run_one(struct intake_checkpoint *c)
{
	struct err err;

	if (c->store == NULL && (c->store = store_open(c->db_url, &err)) == NULL) {
		log_warn("serve: checkpoint: cannot open the store: %s", err.msg);
		return;
	}
	if (store_checkpoint(c->store, &err) < 0) {
		log_warn("serve: checkpoint: %s", err.msg);
		store_close(&c->store);         /* a fresh handle next time */
	}
}

static void *
checkpoint_main(void *arg)
{
	struct intake_checkpoint *c = arg;

	prctl(PR_SET_NAME, "intake-ckpt", 0, 0, 0);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->asked && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->asked = 0;
		pthread_mutex_unlock(&c->lock);
		run_one(c);
		pthread_mutex_lock(&c->lock);
		c->runs++;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct intake_checkpoint *
intake_checkpoint_start(const char *db_url, struct err *err)
{
	struct intake_checkpoint *c = xcalloc(1, sizeof(*c));

	c->db_url = xstrdup(db_url);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
		err_set(err, "serve: cannot start the checkpoint thread");
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c->db_url);
		free(c);
		return NULL;
	}
	return c;
}

void
intake_checkpoint_ask(struct intake_checkpoint *c)
{
	pthread_mutex_lock(&c->lock);
	c->asked = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void
intake_checkpoint_after_commit(struct intake_checkpoint **c, const char *db_url,
			       struct store *st)
{
	long frames = st != NULL ? store_wal_frames(st) : 0;
	struct err err;

	if (*c != NULL && frames < (*c)->asked_at)
		(*c)->asked_at = 0;     /* the log started over */
	if (frames < INTAKE_WAL_FRAMES)
		return;
	if (*c == NULL && frames < INTAKE_WAL_FRAMES_MAX &&
	    (*c = intake_checkpoint_start(db_url, &err)) == NULL)
		log_warn("%s; the store writer checkpoints itself", err.msg);
	if (frames >= INTAKE_WAL_FRAMES_MAX || *c == NULL) {
		if (store_checkpoint(st, &err) < 0)
			log_warn("serve: checkpoint: %s", err.msg);
		return;
	}
	/* once per INTAKE_WAL_FRAMES new frames: each checkpoint copies a
	 * page once however often it was written since the last */
	if (frames - (*c)->asked_at >= INTAKE_WAL_FRAMES) {
		(*c)->asked_at = frames;
		intake_checkpoint_ask(*c);
	}
}

void
intake_checkpoint_stop(struct intake_checkpoint **cp)
{
	struct intake_checkpoint *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	store_close(&c->store);
	free(c->db_url);
	free(c);
	*cp = NULL;
}

unsigned long
intake_checkpoint_runs(struct intake_checkpoint *c)
{
	unsigned long n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->runs;
	pthread_mutex_unlock(&c->lock);
	return n;
}
