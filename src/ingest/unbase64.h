/*
 * unbase64: base64 text (RFC 4648, line breaks allowed) → bytes, with
 * glib's decoder.  Used for a report attachment saved as base64 text
 * (corpus marcbradshaw+mail-tls-rpt/report.json.gz.b64); base64 inside
 * mail is decoded by gmime (mime.c).
 */
#ifndef TLSRPT_INGEST_UNBASE64_H
#define TLSRPT_INGEST_UNBASE64_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Decodes text[0..len) into out, which this function initialises; the
 * output is at most 3/4 of len, so it is bounded by the input.  The caller
 * frees out with buf_free() in every case.  Returns 0, or -1 with err set
 * when a character is outside the base64 alphabet. */
int unbase64_decode(const char *text, size_t len, struct buf *out,
		    struct err *err);

#endif
