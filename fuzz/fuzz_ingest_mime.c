/*
 * fuzz_ingest_mime: any bytes through ingest_extract (sniff → MIME →
 * gzip/zip/base64 → JSON), with small limits so a bomb shows up as an
 * error, not as the fuzzer running out of memory.  Seeds: real report mails.
 */
#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"

static int
count(void *ctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	size_t *n = ctx;

	(void)json;
	(void)meta;
	*n += len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_limits lim;
	struct err err;
	size_t total = 0;

	ingest_limits_default(&lim);
	lim.max_decompressed = 1024 * 1024;
	(void)ingest_extract(data, size, &lim, count, &total, &err);
	return 0;
}
