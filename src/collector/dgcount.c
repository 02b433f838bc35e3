/*
 * dgcount: (day, datagram bytes) -> count (see dgcount.h), a glib
 * hash table whose keys are the entries themselves: one allocation per
 * distinct datagram (header and bytes together), hashed with XXH3.
 * Ending a window walks the table once to zero the counts.
 */
#include "collector/dgcount.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "util/xalloc.h"

struct entry {
	uint64_t hash;
	uint64_t count;         /* this window */
	void *payload;
	size_t len;
	int32_t day;
	char data[];
};

struct dgcount {
	GHashTable *t;
	dgcount_payload_free_fn payload_free;
	uint64_t total;
	size_t bytes;
	/* the probe used for lookups: an entry big enough for the datagram
	 * looked up (reused, so a hit allocates nothing) */
	struct entry *probe;
	size_t probe_cap;
};

static guint
entry_hash(gconstpointer p)
{
	return (guint)((const struct entry *)p)->hash;
}

static gboolean
entry_equal(gconstpointer pa, gconstpointer pb)
{
	const struct entry *a = pa, *b = pb;

	return a->hash == b->hash && a->day == b->day && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

/* The table's key destructor has no context: the payloads are freed
 * before the entries leave the table (free_payloads()). */
static void
free_payloads(struct dgcount *a)
{
	GHashTableIter it;
	gpointer k;

	if (a->payload_free == NULL)
		return;
	g_hash_table_iter_init(&it, a->t);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		struct entry *e = k;

		if (e->payload != NULL)
			a->payload_free(e->payload);
		e->payload = NULL;
	}
}

struct dgcount *
dgcount_new(dgcount_payload_free_fn payload_free)
{
	struct dgcount *a = xcalloc(1, sizeof(*a));

	a->t = g_hash_table_new_full(entry_hash, entry_equal, free, NULL);
	a->payload_free = payload_free;
	return a;
}

uint64_t
dgcount_hash(int32_t day, const char *data, size_t len)
{
	return XXH3_64bits_withSeed(data, len, (XXH64_hash_t)(uint32_t)day);
}

void
dgcount_add(struct dgcount *a, int32_t day, const char *data, size_t len, uint64_t h)
{
	struct entry *e;

	/* the probe carries the hash, day and length; equal() compares the
	 * bytes only when those match, so it points at the caller's bytes */
	if (a->probe == NULL || a->probe_cap < len) {
		free(a->probe);
		a->probe_cap = len > 4096 ? len : 4096;
		a->probe = xmalloc(sizeof(*a->probe) + a->probe_cap);
	}
	a->probe->hash = h;
	a->probe->day = day;
	a->probe->len = len;
	memcpy(a->probe->data, data, len);
	a->total++;
	e = g_hash_table_lookup(a->t, a->probe);
	if (e != NULL) {
		e->count++;
		return;
	}
	e = xmalloc(sizeof(*e) + len);
	memcpy(e, a->probe, sizeof(*e) + len);
	e->count = 1;
	e->payload = NULL;
	g_hash_table_add(a->t, e);
	/* + the table's own slot, roughly, and the payload (decoded results) */
	a->bytes += sizeof(*e) + 3 * len + 32;
}

size_t
dgcount_distinct(const struct dgcount *a)
{
	return g_hash_table_size(a->t);
}

uint64_t
dgcount_total(const struct dgcount *a)
{
	return a->total;
}

size_t
dgcount_bytes(const struct dgcount *a)
{
	return a->bytes;
}

void
dgcount_foreach(struct dgcount *a, dgcount_fn fn, void *ctx)
{
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, a->t);
	while (g_hash_table_iter_next(&it, &k, NULL)) {
		struct entry *e = k;

		if (e->count > 0)
			fn(ctx, e->day, e->data, e->len, e->count, &e->payload);
	}
}

void
dgcount_end_window(struct dgcount *a)
{
	GHashTableIter it;
	gpointer k;

	g_hash_table_iter_init(&it, a->t);
	while (g_hash_table_iter_next(&it, &k, NULL))
		((struct entry *)k)->count = 0;
	a->total = 0;
}

void
dgcount_clear(struct dgcount *a)
{
	free_payloads(a);
	g_hash_table_remove_all(a->t);
	a->total = 0;
	a->bytes = 0;
}

void
dgcount_free(struct dgcount **pa)
{
	struct dgcount *a;

	if (pa == NULL || *pa == NULL)
		return;
	a = *pa;
	free_payloads(a);
	g_hash_table_destroy(a->t);
	free(a->probe);
	free(a);
	*pa = NULL;
}
