/*
 * sniff: what kind of bytes these are, from their first bytes only.
 *
 * Used by ingest at every layer (top-level input, MIME part, gzip output,
 * zip entry), so a part labelled +json that holds gzip (the RFC 8460 §5.3
 * example) is still recognised.  Reads at most the first few KiB.
 */
#ifndef TLSRPT_INGEST_SNIFF_H
#define TLSRPT_INGEST_SNIFF_H

#include <stddef.h>

enum sniff_kind {
	SNIFF_UNKNOWN,
	SNIFF_JSON,    /* '{' after an optional UTF-8 BOM and white space */
	SNIFF_GZIP,    /* 1f 8b */
	SNIFF_ZIP,     /* "PK\3\4" (or "PK\5\6", an empty zip) */
	SNIFF_BASE64,  /* base64 text whose decoded start is gzip, zip or '{' */
	SNIFF_MAIL,    /* an RFC 5322 header line first, or an mbox "From " line */
};

/* Returns the kind of data[0..len). */
enum sniff_kind sniff_kind(const void *data, size_t len);

/* Returns a static name for kind: "unknown", "json", "gzip", "zip",
 * "base64", "mail". */
const char *sniff_kind_name(enum sniff_kind kind);

/* Returns how many bytes of BOM and white space precede the JSON text. */
size_t sniff_json_skip(const void *data, size_t len);

/* Writes a printable, quoted-safe excerpt of the first bytes of data into
 * out (at most outsz - 1 characters, non-printables as '.'), for messages. */
void sniff_excerpt(const void *data, size_t len, char *out, size_t outsz);

#endif
