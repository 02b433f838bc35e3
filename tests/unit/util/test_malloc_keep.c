/*
 * Unit tests for util/malloc_keep: after malloc_keep_freed(), a block
 * glibc would have mapped on its own (over its default 128 KiB threshold)
 * comes from the heap, and freeing it keeps it; after malloc_grow_step(),
 * the heap grows by at least that much when it must grow.  Read through
 * mallinfo2(): hblks counts the blocks mapped one by one, arena the
 * heap's bytes.
 *
 * Under AddressSanitizer (make check's build) malloc is ASan's own, which
 * ignores mallopt(); the test then only checks that the call is refused
 * (returns -1) and says so.  The release build (make test O=build/rel)
 * checks the effect; bench_collectd_drain prints it as page faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "util/malloc_keep.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#if defined(__GLIBC__) && !defined(UNDER_ASAN)
/* Blocks mapped one by one while a 1 MiB block is held. */
static size_t
mapped_blocks_holding_one_mib(void)
{
	char *p = malloc(1 << 20);
	size_t n;

	assert_non_null(p);
	memset(p, 1, 1 << 20);
	n = mallinfo2().hblks;
	free(p);
	return n;
}
#endif

#if defined(__GLIBC__) && !defined(UNDER_ASAN)
/* How much the heap grows the first time 64 KiB blocks no longer fit. */
static size_t
first_growth(void)
{
	enum { BLOCK = 64 << 10, MAX = 4096 };
	static void *v[MAX];
	size_t a0 = mallinfo2().arena, grew = 0, n = 0;

	while (n < MAX && grew == 0) {
		v[n] = malloc(BLOCK);
		assert_non_null(v[n]);
		n++;
		if (mallinfo2().arena > a0)
			grew = mallinfo2().arena - a0;
	}
	while (n > 0)
		free(v[--n]);
	return grew;
}
#endif

static void
test_malloc_grow_step_grows_the_heap_in_big_steps(void **state)
{
	(void)state;
#if defined(UNDER_ASAN)
	assert_int_equal(malloc_grow_step((size_t)16 << 20), -1);
	print_message("malloc_keep: built with AddressSanitizer, whose malloc ignores "
		      "mallopt(); the effect is checked by the release build\n");
#elif defined(__GLIBC__)
	/* glibc's default: 128 KiB beyond the request */
	assert_true(first_growth() < (size_t)1 << 20);
	assert_int_equal(malloc_grow_step((size_t)16 << 20), 0);
	assert_true(first_growth() >= (size_t)16 << 20);
#else
	assert_int_equal(malloc_grow_step((size_t)16 << 20), 0);
#endif
}

static void
test_malloc_keep_freed_takes_big_blocks_from_the_heap(void **state)
{
	(void)state;
#if defined(UNDER_ASAN)
	/* ASan's malloc: mallopt() does nothing and says so */
	assert_int_equal(malloc_keep_freed((size_t)32 << 20), -1);
	print_message("malloc_keep: built with AddressSanitizer, whose malloc ignores "
		      "mallopt(); the effect is checked by the release build\n");
#elif defined(__GLIBC__)
	size_t before = mallinfo2().hblks;

	/* glibc's default: a fresh 1 MiB block is mapped on its own */
	assert_int_equal(mapped_blocks_holding_one_mib(), before + 1);
	assert_int_equal(malloc_keep_freed((size_t)64 << 20), 0);  /* taken as 32 MiB */
	assert_int_equal(mapped_blocks_holding_one_mib(), before);
#else
	assert_int_equal(malloc_keep_freed((size_t)32 << 20), 0);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_keep_freed_takes_big_blocks_from_the_heap),
		cmocka_unit_test(test_malloc_grow_step_grows_the_heap_in_big_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
