/*
 * fuzz_datagram: any bytes as a collector datagram: datagram_decode (yajl
 * callbacks) must return results or a reason, never crash, leave nothing
 * behind when it drops the datagram, and agree with the former jansson
 * decoder (datagram_jansson.c): same count, reason, remarks and results.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "collector/datagram.h"
#include "collector/datagram_jansson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	char why[1024];
	int n = datagram_decode((const char *)data, size, 20000, &b, &info, &err);

	if ((n < 0 && (b.n != 0 || info.reason == DATAGRAM_OK)) || (n >= 0 && b.n != (size_t)n))
		abort();
	datagram_batch_free(&b);
	if (!datagram_decoders_agree((const char *)data, size, why, sizeof(why))) {
		fprintf(stderr, "fuzz_datagram: the decoders disagree: %s\n", why);
		abort();
	}
	return 0;
}
