/*
 * dgknown: one datagram's decoded results and their row keys (see
 * dgknown.h).
 */
#include "collector/dgknown.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct dgknown *
dgknown_decode(const char *data, size_t len, int32_t day, struct datagram_batch *scratch,
	       struct datagram_info *info, struct err *err)
{
	struct dgknown *k;
	int n;

	datagram_batch_clear(scratch);
	if ((n = datagram_decode(data, len, day, scratch, info, err)) < 0)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	/* the results are moved into an array of their size: the scratch
	 * batch's spare room is not kept per datagram */
	k->n = scratch->n;
	k->v = xreallocarray(NULL, k->n > 0 ? k->n : 1, sizeof(*k->v));
	memcpy(k->v, scratch->v, k->n * sizeof(*k->v));
	scratch->n = 0;
	k->keys = xcalloc(k->n > 0 ? k->n : 1, sizeof(*k->keys));
	k->info = *info;
	return k;
}

void
dgknown_free(void *p)
{
	struct dgknown *k = p;

	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++)
		result_clear(&k->v[i]);
	free(k->v);
	free(k->keys);
	free(k);
}
