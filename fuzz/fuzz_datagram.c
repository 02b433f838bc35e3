/*
 * fuzz_datagram: any bytes as a collector datagram: datagram_decode must
 * return results or a reason, never crash, and leave nothing behind when
 * it drops the datagram.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "collector/datagram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	int n = datagram_decode((const char *)data, size, 20000, &b, &info, &err);

	if ((n < 0 && (b.n != 0 || info.reason == DATAGRAM_OK)) || (n >= 0 && b.n != (size_t)n))
		abort();
	datagram_batch_free(&b);
	return 0;
}
