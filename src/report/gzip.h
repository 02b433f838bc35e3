/*
 * gzip: RFC 1952 compression of a report body (RFC 8460 §5.2) with zlib.
 * The output is deterministic for the same input (no name, mtime 0), so a
 * regenerated report has the same bytes (GEN-17).
 */
#ifndef TLSRPT_REPORT_GZIP_H
#define TLSRPT_REPORT_GZIP_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Appends gzip(data[0..n)) to out (whose maximum bounds the result).
 * Returns 0, or -1 with err set (zlib error, or out's maximum reached). */
int report_gzip(const void *data, size_t n, struct buf *out, struct err *err);

#endif
