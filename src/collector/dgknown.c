/*
 * dgknown: one datagram's decoded results and their row keys (see
 * dgknown.h).
 */
#include "collector/dgknown.h"

#include <stdlib.h>

#include "util/xalloc.h"

struct dgknown *
dgknown_decode(const char *data, size_t len, int32_t day, struct datagram_info *info,
	       struct err *err)
{
	struct datagram_batch b = { 0 };
	struct dgknown *k;
	int n = datagram_decode(data, len, day, &b, info, err);

	if (n < 0) {
		datagram_batch_free(&b);
		return NULL;
	}
	k = xcalloc(1, sizeof(*k));
	k->v = b.v;             /* the batch's array, moved */
	k->n = b.n;
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
