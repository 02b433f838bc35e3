/* Unit tests for policyd/cache: eviction when the cache is full frees the
 * least recently used entries, never one in use (a resolve job queued or
 * running, or a request waiting on it), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "policyd/cache.h"

#define MAX_ENTRIES 20

/* One entry: its last use and whether it is in use. */
struct slot {
	long last_used;
	int busy;
	unsigned waiters;
};

static const struct {
	const char *name;
	size_t cache_size;
	size_t n;
	struct slot slots[MAX_ENTRIES];
	const char *kept;               /* per slot: '1' kept, '0' removed */
} cases[] = {
	{ "not full: nothing goes", 11, 10,
	  { {0,0,0}, {1,0,0}, {2,0,0}, {3,0,0}, {4,0,0}, {5,0,0}, {6,0,0}, {7,0,0}, {8,0,0}, {9,0,0} },
	  "1111111111" },
	{ "full: the least recently used (at or below the 10% quantile) go", 10, 10,
	  { {9,0,0}, {8,0,0}, {7,0,0}, {6,0,0}, {5,0,0}, {4,0,0}, {3,0,0}, {2,0,0}, {1,0,0}, {0,0,0} },
	  "1111111100" },
	{ "full, all used in the same second: all go but the one a request waits on", 10, 10,
	  { {5,0,0}, {5,0,0}, {5,0,0}, {5,0,1}, {5,0,0}, {5,0,0}, {5,0,0}, {5,0,0}, {5,0,0}, {5,0,0} },
	  "0001000000" },
	{ "full: an old entry with a job queued or running stays", 10, 10,
	  { {0,1,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {0,0,0} },
	  "1111111110" },
	{ "full: an old entry with its job done but its waiters not yet back stays", 10, 10,
	  { {0,0,2}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {9,0,0}, {0,0,0} },
	  "1111111110" },
	{ "full, every entry in use: none goes", 4, 4,
	  { {3,1,0}, {3,0,1}, {3,1,1}, {3,1,0} },
	  "1111" },
};

static void
free_entry(gpointer p)
{
	struct policyd_entry *e = p;

	policyd_entry_free(&e);
}

static void
test_make_room_frees_least_recently_used_never_in_use(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		GHashTable *cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free_entry);
		size_t want_removed = 0, removed;
		char name[32];

		for (size_t j = 0; j < cases[i].n; j++) {
			struct policyd_entry *e;

			snprintf(name, sizeof(name), "d%zu.example", j);
			e = policyd_entry_new(name);
			e->last_used = cases[i].slots[j].last_used;
			e->busy = cases[i].slots[j].busy;
			e->waiters = cases[i].slots[j].waiters;
			g_hash_table_insert(cache, e->domain, e);
			want_removed += cases[i].kept[j] == '0';
		}
		removed = policyd_cache_make_room(cache, cases[i].cache_size);
		if (removed != want_removed)
			fail_msg("%s: %zu removed, want %zu", cases[i].name, removed, want_removed);
		for (size_t j = 0; j < cases[i].n; j++) {
			int kept;

			snprintf(name, sizeof(name), "d%zu.example", j);
			kept = g_hash_table_lookup(cache, name) != NULL;
			if (kept != (cases[i].kept[j] == '1'))
				fail_msg("%s: entry %zu %s", cases[i].name, j, kept ? "kept" : "removed");
		}
		g_hash_table_destroy(cache);
	}
}

static void
test_evictable_only_without_job_and_waiters(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");

	(void)state;
	assert_int_equal(policyd_cache_evictable(e), 1);
	e->busy = 1;
	assert_int_equal(policyd_cache_evictable(e), 0);
	e->busy = 0;
	e->waiters = 1;
	assert_int_equal(policyd_cache_evictable(e), 0);
	policyd_entry_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_room_frees_least_recently_used_never_in_use),
		cmocka_unit_test(test_evictable_only_without_job_and_waiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
