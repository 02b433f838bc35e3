/*
 * collect_segments: the collector writer's journal segments: taken from
 * the queue, replayed into the count, held while the count covers them,
 * removed once stored (see collect_writer_private.h).
 */
#include "collector/collect_writer_private.h"

#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "collector/dgcount.h"
#include "collector/journal.h"
#include "util/log.h"
#include "util/monotime.h"

/* journal_record_fn: counts one journaled datagram in the aggregate. */
static int
count_record(void *ctx, int32_t day, const char *data, size_t len, uint64_t hash)
{
	struct collect_writer *w = ctx;

	dgcount_add(w->agg, day, data, len, hash);
	return 0;
}

/* Moves up to TAKE_MAX queued segments (about batch_max records) to
 * take[]; called locked.  Returns how many. */
size_t
collect_segments_take(struct collect_writer *w, struct segment *take)
{
	size_t n = 0;
	uint64_t records = 0;

	while (w->q_len > 0 && n < TAKE_MAX && (n == 0 || records < w->batch_max)) {
		take[n] = w->q[w->q_head];
		records += take[n].records;
		n++;
		w->q_head = (w->q_head + 1) % w->q_cap;
		w->q_len--;
	}
	return n;
}

/* Replays take[0..n) into the aggregate.  A segment that cannot be read stays
 * in the journal (counted as kept) and is marked with records = 0,
 * bytes = 0 and seq = 0 so it is not removed. */
void
collect_segments_replay(struct collect_writer *w, struct segment *take, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct journal_scan_info si;
		struct err err;

		if (journal_replay(w->dir, take[i].seq, count_record, w, &si, &err) < 0) {
			log_error("collectd: %s (left in the journal)", err.msg);
			pthread_mutex_lock(&w->mu);
			w->stats.kept += take[i].records;
			w->stats.kept_segments++;
			w->stats.pending -= take[i].records;
			w->stats.pending_bytes -= take[i].bytes;
			pthread_mutex_unlock(&w->mu);
			take[i].seq = 0;
			continue;
		}
		if (si.torn_bytes > 0) {
			log_warn("collectd: journal segment %016" PRIx64 ": %" PRIu64 " bytes at its "
				 "end are not a whole record (a write cut by a crash), ignored",
				 take[i].seq, si.torn_bytes);
			w->delta.torn_bytes += si.torn_bytes;
		}
	}
}

/* Removes the stored segments and counts them; called unlocked. */
void
collect_segments_finish(struct collect_writer *w, const struct segment *take, size_t n)
{
	uint64_t records = 0, bytes = 0;

	for (size_t i = 0; i < n; i++) {
		struct err err;

		if (take[i].seq == 0)
			continue;
		if (journal_remove(w->dir, take[i].seq, &err) < 0)
			log_error("collectd: %s (its results would be stored again at the next "
				  "start)", err.msg);
		records += take[i].records;
		bytes += take[i].bytes;
	}
	pthread_mutex_lock(&w->mu);
	w->stats.pending -= records < w->stats.pending ? records : w->stats.pending;
	w->stats.pending_bytes -= bytes < w->stats.pending_bytes ? bytes : w->stats.pending_bytes;
	pthread_mutex_unlock(&w->mu);
}

/* Counts every still queued segment (and take[0..n)) as kept; called locked. */
void
collect_segments_keep_rest(struct collect_writer *w, const struct segment *take, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (take[i].seq != 0) {
			w->stats.kept += take[i].records;
			w->stats.kept_segments++;
		}
	for (size_t i = 0; i < w->q_len; i++) {
		w->stats.kept += w->q[(w->q_head + i) % w->q_cap].records;
		w->stats.kept_segments++;
	}
	w->q_len = 0;
}

/* Moves take[0..n) to the segments the aggregate covers. */
void
collect_segments_hold(struct collect_writer *w, const struct segment *take, size_t n)
{
	if (w->n_held == 0)
		w->held_since_ms = monotime_ms();
	memcpy(w->held + w->n_held, take, n * sizeof(*take));
	w->n_held += n;
	for (size_t i = 0; i < n; i++)
		w->held_bytes += take[i].bytes;
	if (n > 0)
		w->busy = take[n - 1].records >= w->batch_max;
}
