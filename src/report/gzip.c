/*
 * gzip: one-shot deflate into a gzip container (zlib deflateInit2 with
 * 16 + MAX_WBITS), appended to a bounded buffer.
 */
#include "report/gzip.h"

#include <stdint.h>
#include <zlib.h>

int
report_gzip(const void *data, size_t n, struct buf *out, struct err *err)
{
	z_stream z = { 0 };
	unsigned char chunk[16384];
	int rc, ret = -1;

	if (n > (size_t)UINT_MAX) {
		err_set(err, "gzip: input of %zu bytes is too large", n);
		return -1;
	}
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		err_set(err, "gzip: deflateInit2 failed");
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			err_set(err, "gzip: deflate failed: %s", z.msg ? z.msg : "stream error");
			goto out;
		}
		if (buf_append(out, chunk, sizeof(chunk) - z.avail_out) < 0) {
			err_set(err, "gzip: compressed report larger than %zu bytes", out->max);
			goto out;
		}
	} while (rc != Z_STREAM_END);
	ret = 0;
out:
	deflateEnd(&z);
	return ret;
}
