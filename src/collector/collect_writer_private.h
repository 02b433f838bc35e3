/*
 * collect_writer_private: the writer's state, shared by collect_writer.c
 * (the thread, the count's flush, the store) and collect_segments.c (the
 * journal segments it covers).  Not for other modules.
 */
#ifndef TLSRPT_COLLECT_WRITER_PRIVATE_H
#define TLSRPT_COLLECT_WRITER_PRIVATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/collect_writer.h"
#include "collector/datagram.h"
#include "model/result.h"

#define RETRY_MS 1000
/* The aggregate is flushed this long after its first datagram... */
#define AGG_FLUSH_MS 2000
/* ...or this long while segments come in full (batch_max records: at
 * least batch_max datagrams a second): a longer window under load counts
 * more repeats of the same datagram together, so fewer rows are written.
 * A partial segment (the socket went idle) ends the long window. */
#define AGG_FLUSH_BUSY_MS 10000
/* Journal bytes one aggregate covers at most, unless
 * collect_writer_set_hold_max() says otherwise. */
#define HOLD_BYTES_DEFAULT ((uint64_t)256 << 20)
/* Segments covered by one flush at most (their removal list). */
#define HELD_MAX 4096
#define STOP_RETRIES 3
/* Segments stored in one transaction at most. */
#define TAKE_MAX 64
/* Invalid datagrams logged one by one per stats period. */
#define INVALID_LOG_MAX 20

struct segment {
	uint64_t seq, records, bytes;
};

struct collect_writer {
	struct store *store;            /* NULL until opened (open_store()) */
	const char *db_url;
	const char *dir;
	size_t batch_max;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;            /* queue not empty, or stopping */
	struct segment *q;              /* ring of queued segments */
	size_t q_head, q_len, q_cap;
	int stopping;
	int flush_now;                  /* collect_writer_flush() was called */
	unsigned logged;                /* invalid datagrams logged this period */
	struct collect_writer_stats stats;
	/* writer thread only */
	struct dgcount *agg;          /* datagrams counted, not yet stored */
	struct segment *held;           /* segments the aggregate covers */
	size_t n_held;
	uint64_t held_bytes;            /* their journal bytes */
	uint64_t hold_max;              /* flush when held_bytes reaches this */
	int busy;                       /* the last segment taken was full */
	int64_t held_since_ms;          /* when the first of them was taken */
	int64_t known_day;              /* the UTC day the kept entries were made on */
	struct datagram_batch scratch;  /* decoding room (dgknown_decode()) */
	/* the flush's results: borrowed from the entries' payloads */
	struct result *flat;
	uint64_t *counts;               /* weight of flat[i] */
	int64_t *keys;                  /* its row key (0: unknown) */
	int64_t **keys_out;             /* where a committed key of today is kept */
	size_t n_flat, flat_cap;
	struct collect_writer_stats delta;      /* counted while decoding */
};

/* Moves up to TAKE_MAX queued segments (about batch_max records) to
 * take[]; called locked.  Returns how many. */
size_t collect_segments_take(struct collect_writer *w, struct segment *take);

/* Replays take[0..n) into w->agg.  A segment that cannot be read stays in
 * the journal (counted as kept) and gets seq = 0 so it is not removed. */
void collect_segments_replay(struct collect_writer *w, struct segment *take, size_t n);

/* Removes the stored segments of take[0..n) and counts them; called
 * unlocked. */
void collect_segments_finish(struct collect_writer *w, const struct segment *take, size_t n);

/* Counts every still queued segment (and take[0..n)) as kept; called
 * locked. */
void collect_segments_keep_rest(struct collect_writer *w, const struct segment *take, size_t n);

/* Moves take[0..n) to the segments the count covers (w->held). */
void collect_segments_hold(struct collect_writer *w, const struct segment *take, size_t n);

#endif
