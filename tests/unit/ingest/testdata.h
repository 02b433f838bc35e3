/*
 * testdata: builders for the ingest unit tests — gzip (zlib deflate) and
 * zip (libarchive write API) made in memory, so bombs, nesting and zips
 * need no binary fixtures.  Header-only; results are malloc'd, caller frees.
 */
#ifndef TLSRPT_TESTS_INGEST_TESTDATA_H
#define TLSRPT_TESTS_INGEST_TESTDATA_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

/* gzip of data[0..len); returns a malloc'd buffer, its size in *out_len. */
static inline unsigned char *
testdata_gzip(const void *data, size_t len, size_t *out_len)
{
	z_stream zs;
	size_t cap = len + len / 100 + 1024;
	unsigned char *out = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	if (out == NULL || deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
					Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* A zip holding the given entries (names[i], bodies[i], n of them). */
static inline unsigned char *
testdata_zip(const char *const *names, const char *const *bodies, size_t n,
	     size_t *out_len)
{
	size_t cap = 65536;
	unsigned char *out = malloc(cap);
	struct archive *a = archive_write_new();

	if (out == NULL || archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, out, cap, out_len) != ARCHIVE_OK)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t blen = strlen(bodies[i]);

		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)blen);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    archive_write_data(a, bodies[i], blen) != (la_ssize_t)blen)
			abort();
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		abort();
	archive_write_free(a);
	return out;
}

#endif
