/*
 * fuzz_ingest_gunzip: any bytes through gunzip_decode with a 1 MiB output
 * limit: corrupt, truncated and multi-member streams must end in 0 or -1,
 * never in a crash or unbounded output.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ingest/gunzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	struct err err;

	if (gunzip_decode(data, size, 1024 * 1024, &out, &err) == 0 &&
	    out.len > 1024 * 1024)
		abort();
	buf_free(&out);
	return 0;
}
