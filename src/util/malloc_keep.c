/* malloc_keep: glibc's trim and mmap thresholds and its growth step for a
 * batch daemon (see malloc_keep.h). */
#include "util/malloc_keep.h"

#include <stdlib.h>      /* defines __GLIBC__ on glibc */

#ifdef __GLIBC__
#include <malloc.h>
#endif

/* glibc refuses a larger M_MMAP_THRESHOLD (half its largest thread heap) */
#define MMAP_THRESHOLD_MAX (32 << 20)

int
malloc_keep_freed(size_t bytes)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
	int v = bytes > MMAP_THRESHOLD_MAX ? MMAP_THRESHOLD_MAX : (int)bytes;
	int rc = 0;

	/* mallopt() returns 1 on success, 0 on error */
	if (mallopt(M_MMAP_THRESHOLD, v) != 1)
		rc = -1;
	if (mallopt(M_TRIM_THRESHOLD, v) != 1)
		rc = -1;
	return rc;
#else
	(void)bytes;
	return 0;
#endif
}

int
malloc_grow_step(size_t bytes)
{
#if defined(__GLIBC__) && defined(M_TOP_PAD)
	/* mallopt() takes an int */
	int v = bytes > (size_t)1 << 30 ? 1 << 30 : (int)bytes;

	return mallopt(M_TOP_PAD, v) == 1 ? 0 : -1;
#else
	(void)bytes;
	return 0;
#endif
}
