/*
 * gunzip: gzip → bytes with zlib's inflate (windowBits 16+MAX_WBITS: gzip
 * header and CRC checked by zlib).  Output goes through a bounded buffer,
 * so a bomb stops at the limit (see gunzip.h).
 */
#include "ingest/gunzip.h"

#include <limits.h>
#include <stdio.h>

#define ZLIB_CONST
#include <zlib.h>

const char *
gunzip_size_text(size_t n, char *out, size_t outsz)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(out, outsz, "%zu MiB", n / (1024 * 1024));
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(out, outsz, "%zu KiB", n / 1024);
	else
		snprintf(out, outsz, "%zu bytes", n);
	return out;
}

int
gunzip_decode(const void *data, size_t len, size_t max_out, struct buf *out,
	      struct err *err)
{
	unsigned char chunk[65536];
	char sz[32];
	z_stream zs = { 0 };
	unsigned members = 1;
	int rc, ret = -1;

	buf_init(out, max_out);
	if (len > UINT_MAX) {
		err_set(err, "gzip data of %zu bytes is too large", len);
		return -1;
	}
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		err_set(err, "gzip: cannot initialise zlib");
		return -1;
	}
	zs.next_in = (z_const Bytef *)data;
	zs.avail_in = (uInt)len;
	for (;;) {
		size_t produced;

		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = inflate(&zs, Z_NO_FLUSH);
		produced = sizeof(chunk) - zs.avail_out;
		if (buf_append(out, chunk, produced) != 0) {
			err_set(err, "gzip member expands beyond %s limit (decompression bomb?)",
				gunzip_size_text(max_out, sz, sizeof(sz)));
			goto out;
		}
		if (rc == Z_STREAM_END) {
			/* Another member follows only if a gzip header does. */
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
			    zs.next_in[1] == 0x8b) {
				members++;
				if (inflateReset(&zs) != Z_OK)
					goto corrupt;
				continue;
			}
			break;
		}
		if (rc == Z_OK)
			continue;
		if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
			err_set(err, "gzip data is truncated: input ends inside member %u "
				"after %zu bytes of output", members, out->len);
			goto out;
		}
		goto corrupt;
	}
	ret = 0;
	goto out;
corrupt:
	err_set(err, "gzip data is corrupt at input byte %zu (member %u): %s",
		len - zs.avail_in, members, zs.msg ? zs.msg : "inflate failed");
out:
	inflateEnd(&zs);
	return ret;
}
