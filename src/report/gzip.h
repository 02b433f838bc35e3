/*
 * gzip: RFC 1952 compression of a report body (RFC 8460 §5.2) with zlib.
 * The output is deterministic for the same input (no name, mtime 0), so a
 * regenerated report has the same bytes (GEN-17).  A gzipper keeps one
 * zlib stream for many reports (deflateReset), which avoids allocating
 * and clearing zlib's state per report; memLevel 5 keeps the hash table
 * that deflateReset clears small (reports are small; big ones compress
 * almost as well); level 1 (Z_BEST_SPEED) is a third faster than 6 and
 * gives the same size on report-sized JSON.
 */
#ifndef TLSRPT_REPORT_GZIP_H
#define TLSRPT_REPORT_GZIP_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct gzipper;

/* Returns a new compressor; release with gzipper_free(). */
struct gzipper *gzipper_new(void);

/* Appends gzip(data[0..n)) to out (whose maximum bounds the result).
 * Returns 0, or -1 with err set (zlib error, or out's maximum reached). */
int gzipper_run(struct gzipper *g, const void *data, size_t n, struct buf *out,
		struct err *err);

/* Releases *g and sets it to NULL; NULL is a no-op. */
void gzipper_free(struct gzipper **g);

/* One-shot gzipper_run() with a temporary compressor. */
int report_gzip(const void *data, size_t n, struct buf *out, struct err *err);

#endif
