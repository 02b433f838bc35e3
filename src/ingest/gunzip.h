/*
 * gunzip: gzip (RFC 1952) → bytes, with zlib, bounded.
 *
 * Several concatenated members are decoded one after another (gzip(1)
 * does the same); bytes after the last member that are not a gzip header
 * are ignored.  A truncated or corrupt stream is an error, and so is
 * output beyond the caller's maximum (a decompression bomb).
 */
#ifndef TLSRPT_INGEST_GUNZIP_H
#define TLSRPT_INGEST_GUNZIP_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Decodes the gzip data in data[0..len) into out, which this function
 * initialises (buf_init with max_out); the caller frees it with buf_free()
 * in every case.  Returns 0, or -1 with err set ("gzip member expands beyond
 * 20 MiB limit (decompression bomb?)", "gzip data is truncated …",
 * "gzip data is corrupt …"). */
int gunzip_decode(const void *data, size_t len, size_t max_out,
		  struct buf *out, struct err *err);

/* Formats a byte count for messages: "20 MiB", "512 KiB" or "1234 bytes".
 * Writes into out (outsz bytes) and returns out. */
const char *gunzip_size_text(size_t n, char *out, size_t outsz);

#endif
