/*
 * fuzz_datagram: any bytes as a collector datagram: datagram_decode (yajl
 * callbacks) must return results or a reason, never crash, leave nothing
 * behind when it drops the datagram, and agree with the former jansson
 * decoder (datagram_jansson.c): same count, reason, remarks and results;
 * and the packed copy the collector keeps (dgknown_decode()) must hold the
 * same results.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector/datagram.h"
#include "collector/datagram_jansson.h"
#include "collector/dgknown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct datagram_batch b = { 0 }, scratch = { 0 };
	struct datagram_info info, kinfo;
	struct err err, kerr;
	char why[1024];
	int n = datagram_decode((const char *)data, size, 20000, &b, &info, &err);
	struct dgknown *k = dgknown_decode((const char *)data, size, 20000, &scratch, &kinfo, &kerr);

	if ((n < 0 && (b.n != 0 || info.reason == DATAGRAM_OK)) || (n >= 0 && b.n != (size_t)n))
		abort();
	if ((k == NULL) != (n < 0) || scratch.n != 0 || kinfo.reason != info.reason)
		abort();
	for (size_t i = 0; k != NULL && i < k->n; i++)
		if (k->n != b.n || k->keys[i] != 0 || !result_equal(&k->v[i], &b.v[i]))
			abort();
	dgknown_free(k);
	datagram_batch_free(&scratch);
	datagram_batch_free(&b);
	if (!datagram_decoders_agree((const char *)data, size, why, sizeof(why))) {
		fprintf(stderr, "fuzz_datagram: the decoders disagree: %s\n", why);
		abort();
	}
	return 0;
}
