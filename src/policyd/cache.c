/*
 * cache: eviction from policyd's in-memory cache (see cache.h).  The
 * quantile comes from sorting the last-use times (qsort, n log n): at the
 * default 100 000 entries this runs under the cache lock, so it must not
 * take long.
 */
#include "policyd/cache.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/xalloc.h"

int
policyd_cache_evictable(const struct policyd_entry *e)
{
	return !e->busy && e->waiters == 0;
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

size_t
policyd_cache_make_room(GHashTable *cache, size_t cache_size)
{
	GHashTableIter it;
	gpointer k, v;
	int64_t cut, *ages;
	size_t n = 0, removed = 0, total = g_hash_table_size(cache);

	if (total == 0 || total < cache_size)
		return 0;
	ages = xcalloc(total, sizeof(*ages));
	g_hash_table_iter_init(&it, cache);
	while (g_hash_table_iter_next(&it, &k, &v))
		ages[n++] = ((struct policyd_entry *)v)->last_used;
	qsort(ages, n, sizeof(*ages), cmp_time);
	cut = ages[n / 10];
	free(ages);
	g_hash_table_iter_init(&it, cache);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct policyd_entry *e = v;

		if (policyd_cache_evictable(e) && e->last_used <= cut) {
			g_hash_table_iter_remove(&it);
			removed++;
		}
	}
	return removed;
}
