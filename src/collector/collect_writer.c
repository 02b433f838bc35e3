/*
 * collect_writer: a queue of journal segments and the thread that
 * replays, decodes and stores them (see collect_writer.h).  One mutex
 * guards the queue, the counters and the stop flag; the store handle and
 * the aggregate (with the decoded datagrams it keeps) are used by the
 * writer thread only.
 */
#include "collector/collect_writer.h"
#include "collector/collect_writer_private.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/dgcount.h"
#include "collector/dgknown.h"
#include "collector/journal.h"
#include "store/store_results.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Replaces control characters (from the datagram: "\n" in a domain…) so
 * that one log line stays one line. */
static void
defang(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int
should_log(struct collect_writer *w)
{
	int yes;

	pthread_mutex_lock(&w->mu);
	yes = w->logged < INVALID_LOG_MAX;
	if (yes && ++w->logged == INVALID_LOG_MAX)
		log_warn("collectd: more invalid datagrams this period are only counted");
	pthread_mutex_unlock(&w->mu);
	return yes;
}

/* The UTC day number now. */
static int64_t
today(void)
{
	return (int64_t)(time(NULL) / 86400);
}

/* Appends k's results, weighted by count, to the flush's results; the
 * row keys of today's results are remembered after the commit. */
static void
add_flat(struct collect_writer *w, struct dgknown *k, int32_t day, uint64_t count)
{
	if (w->n_flat + k->n > w->flat_cap) {
		w->flat_cap = 2 * (w->n_flat + k->n) + 64;
		w->flat = xreallocarray(w->flat, w->flat_cap, sizeof(*w->flat));
		w->counts = xreallocarray(w->counts, w->flat_cap, sizeof(*w->counts));
		w->keys = xreallocarray(w->keys, w->flat_cap, sizeof(*w->keys));
		w->keys_out = xreallocarray(w->keys_out, w->flat_cap, sizeof(*w->keys_out));
	}
	for (size_t i = 0; i < k->n; i++) {
		size_t j = w->n_flat++;

		/* Only a row of today is trusted: the reporter deletes the rows
		 * of past days once reported (store_delete_day_results()). */
		int trusted = day == w->known_day;

		w->flat[j] = k->v[i];
		w->counts[j] = count;
		w->keys[j] = trusted ? k->keys[i] : 0;
		w->keys_out[j] = trusted ? &k->keys[i] : NULL;
	}
}

/* dgcount_fn: one distinct datagram of the window: decoded on its first
 * window (kept as the entry's payload), its results added to the flush
 * weighted by `count`. */
static void
decode_entry(void *ctx, int32_t day, const char *data, size_t len, uint64_t count,
	     void **payload)
{
	struct collect_writer *w = ctx;
	struct collect_writer_stats *d = &w->delta;
	struct datagram_info info;
	struct err err;
	struct dgknown *k = *payload;

	if (k == NULL) {
		k = dgknown_decode(data, len, day, &w->scratch, &info, &err);
		*payload = k;
	} else {
		info = k->info;
	}
	d->dpv_missing += count * (uint64_t)info.dpv_missing;
	d->dpv_bad += count * (uint64_t)info.dpv_bad;
	d->utf8_repaired += count * (uint64_t)info.utf8_repaired;
	d->t_mismatch += count * (uint64_t)info.t_mismatch;
	if (info.dpv_bad && should_log(w))
		log_warn("collectd: datagram with an unknown \"dpv\" (not \"1\"), processed anyway");
	if (k == NULL) {
		d->invalid[info.reason] += count;
		if (should_log(w)) {
			defang(err.msg);
			log_warn("collectd: dropped datagram (%s, %" PRIu64 " times): %s",
				 datagram_reason_name(info.reason), count, err.msg);
		}
		return;
	}
	add_flat(w, k, day, count);
	d->results += count * (uint64_t)k->n;
}

/* Adds the decode counters of w->delta to w->stats; called locked. */
static void
add_delta(struct collect_writer *w)
{
	struct collect_writer_stats *s = &w->stats, *d = &w->delta;

	s->results += d->results;
	for (int r = 0; r < DATAGRAM_REASON_COUNT; r++)
		s->invalid[r] += d->invalid[r];
	s->dpv_missing += d->dpv_missing;
	s->dpv_bad += d->dpv_bad;
	s->utf8_repaired += d->utf8_repaired;
	s->t_mismatch += d->t_mismatch;
	s->torn_bytes += d->torn_bytes;
	memset(d, 0, sizeof(*d));
}

/* Opens the store if it is not open yet (the collector starts without
 * one when it cannot be opened: disk full, database down).  Returns 0 or
 * -1 with err set. */
static int
open_store(struct collect_writer *w, struct err *err)
{
	if (w->store != NULL)
		return 0;
	if ((w->store = store_open(w->db_url, err)) == NULL)
		return -1;
	log_info("collectd: the store is open");
	return 0;
}

/* Stores the flush's results, retrying once a second; while stopping,
 * gives up after STOP_RETRIES failures.  After the commit the row keys
 * of today's results are kept in their entries.  Returns 0 when stored,
 * -1 when given up. */
static int
store_batch(struct collect_writer *w)
{
	int failures = 0;

	for (;;) {
		struct err err;
		int rc = w->n_flat == 0 ? 0 : open_store(w, &err);

		if (rc == 0 && w->n_flat > 0)
			rc = store_put_results_keyed(w->store, w->flat, w->counts, w->keys, w->n_flat,
						     &err);
		if (rc == 0)
			for (size_t i = 0; i < w->n_flat; i++)
				if (w->keys_out[i] != NULL)
					*w->keys_out[i] = w->keys[i];

		pthread_mutex_lock(&w->mu);
		if (rc == 0) {
			for (size_t i = 0; i < w->n_flat; i++)
				w->stats.stored += w->counts[i];
			w->stats.transactions += w->n_flat > 0;
			pthread_mutex_unlock(&w->mu);
			return 0;
		}
		w->stats.store_errors++;
		failures++;
		if (w->stopping && failures >= STOP_RETRIES) {
			pthread_mutex_unlock(&w->mu);
			return -1;
		}
		pthread_mutex_unlock(&w->mu);
		log_error("collectd: storing %zu results: %s (kept in the journal, retrying)",
			  w->n_flat, err.msg);
		sleep_ms(RETRY_MS);
	}
}

/* When the aggregate is due at the latest (w->n_held > 0). */
static int64_t
flush_deadline(const struct collect_writer *w)
{
	return w->held_since_ms + (w->busy ? AGG_FLUSH_BUSY_MS : AGG_FLUSH_MS);
}

/* Is it time to store the aggregate?  Called locked. */
static int
flush_due(struct collect_writer *w, int64_t now)
{
	return w->n_held > 0 &&
	       (((w->stopping || w->flush_now) && w->q_len == 0) || now >= flush_deadline(w) ||
		w->n_held + TAKE_MAX > HELD_MAX || w->held_bytes >= w->hold_max ||
		dgcount_bytes(w->agg) >= DGCOUNT_MAX_BYTES);
}

/* Decodes the aggregate's distinct datagrams, stores them weighted by
 * their counts in one transaction, then removes the segments they came
 * from.  Called unlocked.  Returns 0, or -1 when the store kept failing
 * while stopping (the segments stay in the journal). */
static int
flush(struct collect_writer *w)
{
	int rc = 0, new_day;

	pthread_mutex_lock(&w->mu);
	w->flush_now = 0;
	pthread_mutex_unlock(&w->mu);
	/* a new day: the kept entries' rows are no longer today's (forgotten
	 * after this flush) */
	new_day = w->known_day != today();
	w->known_day = today();
	w->n_flat = 0;
	dgcount_foreach(w->agg, decode_entry, w);
	pthread_mutex_lock(&w->mu);
	add_delta(w);
	pthread_mutex_unlock(&w->mu);
	if (store_batch(w) < 0) {
		log_error("collectd: the store keeps failing at shutdown; the results "
			  "stay in the journal %s for the next start", w->dir);
		pthread_mutex_lock(&w->mu);
		collect_segments_keep_rest(w, w->held, w->n_held);
		pthread_mutex_unlock(&w->mu);
		rc = -1;
	} else {
		collect_segments_finish(w, w->held, w->n_held);
	}
	w->n_flat = 0;
	/* the entries stay for the next window, within the memory bound; a
	 * failed flush forgets them (nothing of them is known to be stored) */
	if (rc < 0 || new_day || dgcount_bytes(w->agg) >= DGCOUNT_MAX_BYTES / 2)
		dgcount_clear(w->agg);
	else
		dgcount_end_window(w->agg);
	w->n_held = 0;
	w->held_bytes = 0;
	return rc;
}

/* Waits (locked) for queued segments, the stop flag or, while the
 * aggregate holds something, its flush time. */
static void
wait_work(struct collect_writer *w)
{
	while (w->q_len == 0 && !w->stopping) {
		struct timespec ts;
		int64_t due;

		if (w->flush_now) {
			if (w->n_held > 0)
				return;
			w->flush_now = 0;       /* nothing to store */
		}
		if (w->n_held == 0) {
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		due = flush_deadline(w);
		if (monotime_ms() >= due)
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (due - monotime_ms()) / 1000;
		ts.tv_nsec += ((due - monotime_ms()) % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->work, &w->mu, &ts);
	}
}

static void *
writer_main(void *arg)
{
	struct collect_writer *w = arg;
	struct segment take[TAKE_MAX];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		size_t n;

		wait_work(w);
		n = collect_segments_take(w, take);
		if (n > 0) {
			pthread_mutex_unlock(&w->mu);
			collect_segments_replay(w, take, n);
			collect_segments_hold(w, take, n);
			pthread_mutex_lock(&w->mu);
			add_delta(w);
		}
		if (flush_due(w, monotime_ms())) {
			pthread_mutex_unlock(&w->mu);
			if (flush(w) < 0) {
				pthread_mutex_lock(&w->mu);
				break;
			}
			pthread_mutex_lock(&w->mu);
		}
		if (n == 0 && w->stopping && w->n_held == 0)
			break;  /* stopping and nothing left */
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct collect_writer *
collect_writer_start(struct store *s, const char *db_url, const char *dir, size_t batch_max,
		     struct err *err)
{
	struct collect_writer *w = xcalloc(1, sizeof(*w));
	int rc;

	w->store = s;
	w->db_url = db_url;
	w->dir = dir;
	w->batch_max = batch_max > 0 ? batch_max : 1;
	w->hold_max = HOLD_BYTES_DEFAULT;
	w->agg = dgcount_new(dgknown_free);
	w->known_day = today();
	w->held = xreallocarray(NULL, HELD_MAX, sizeof(*w->held));
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0) {
		err_set(err, "collectd: starting the writer thread: %s", strerror(rc));
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->mu);
		store_close(&w->store);
		dgcount_free(&w->agg);
		free(w->held);
		free(w);
		return NULL;
	}
	return w;
}

void
collect_writer_push(struct collect_writer *w, uint64_t seq, uint64_t records, uint64_t bytes)
{
	pthread_mutex_lock(&w->mu);
	if (w->q_len == w->q_cap) {
		size_t cap = w->q_cap ? 2 * w->q_cap : 64;
		struct segment *q = xreallocarray(NULL, cap, sizeof(*q));

		for (size_t i = 0; i < w->q_len; i++)
			q[i] = w->q[(w->q_head + i) % w->q_cap];
		free(w->q);
		w->q = q;
		w->q_head = 0;
		w->q_cap = cap;
	}
	w->q[(w->q_head + w->q_len) % w->q_cap] = (struct segment){ seq, records, bytes };
	w->q_len++;
	w->stats.pending += records;
	w->stats.pending_bytes += bytes;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

void
collect_writer_set_hold_max(struct collect_writer *w, uint64_t bytes)
{
	pthread_mutex_lock(&w->mu);
	w->hold_max = bytes > 0 ? bytes : 1;
	pthread_mutex_unlock(&w->mu);
}

void
collect_writer_flush(struct collect_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->flush_now = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

void
collect_writer_get_stats(struct collect_writer *w, struct collect_writer_stats *out)
{
	pthread_mutex_lock(&w->mu);
	*out = w->stats;
	w->logged = 0;
	pthread_mutex_unlock(&w->mu);
}

uint64_t
collect_writer_pending_bytes(struct collect_writer *w)
{
	uint64_t b;

	pthread_mutex_lock(&w->mu);
	b = w->stats.pending_bytes;
	pthread_mutex_unlock(&w->mu);
	return b;
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
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	rc = w->stats.kept_segments > 0 ? 1 : 0;
	if (final_out != NULL)
		*final_out = w->stats;
	store_close(&w->store);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->mu);
	dgcount_free(&w->agg);
	datagram_batch_free(&w->scratch);
	free(w->held);
	free(w->flat);
	free(w->counts);
	free(w->keys);
	free(w->keys_out);
	free(w->q);
	free(w);
	*pw = NULL;
	return rc;
}
