/*
 * mime: an RFC 5322 / MIME message → its report parts, with gmime 3.
 *
 * The message is parsed once; the tree is walked (multipart children,
 * message/rfc822 parts given whole) and each part that may hold a report
 * (RFC 8460 §5.3 media types, gzip/zip/json types, or a .json/.gz/.zip file
 * name) is decoded from base64/quoted-printable by gmime and handed to a
 * callback.  gmime needs g_mime_init() once per process: mime.c calls it
 * under pthread_once the first time a message is parsed and never shuts it
 * down (its tables live until exit; that is gmime's only global state).
 */
#ifndef TLSRPT_INGEST_MIME_H
#define TLSRPT_INGEST_MIME_H

#include <stddef.h>

#include "util/err.h"

/* Header fields of the message, decoded; owned by the struct (free with
 * mime_info_cleanup); each may be NULL. */
struct mime_info {
	char *subject;           /* decoded, white space runs collapsed */
	char *from;
	char *message_id;
	char *tls_report_domain;
	char *tls_report_submitter;
	int has_dkim_signature;
	unsigned part_count;     /* MIME parts seen (multiparts included) */
};

/* One candidate part, all fields borrowed for the callback. */
struct mime_part {
	const void *data;          /* decoded content (transfer encoding undone) */
	size_t len;
	const char *content_type;  /* "type/subtype", lower case */
	const char *filename;      /* Content-Disposition filename or
				    * Content-Type name; may be NULL */
	unsigned index;            /* 1-based position in the walk */
};

/* Return 0 to go on, 1 to stop without error, -1 to fail (err set). */
typedef int (*mime_part_cb)(void *ctx, const struct mime_part *part,
			    struct err *err);

/* Returns 1 if a leaf part with this content type ("type/subtype", any
 * case) and file name (may be NULL) may hold a report, else 0. */
int mime_part_is_candidate(const char *content_type, const char *filename);

/* Parses the message in data[0..len) (an mbox "From " first line is
 * skipped), fills info_out (always; clean it up even on error) and calls cb
 * for each candidate part, message/rfc822 parts included (content type
 * "message/rfc822", data = the embedded message).  Decoded parts are
 * bounded by the input size.  Returns the number of parts given to cb
 * (0 if none), or -1 with err set: not parseable, more than max_parts parts,
 * multiparts nested over 32 deep, or cb failed. */
int mime_walk(const void *data, size_t len, unsigned max_parts,
	      struct mime_info *info_out, mime_part_cb cb, void *ctx,
	      struct err *err);

/* Frees the strings in info and zeroes it. */
void mime_info_cleanup(struct mime_info *info);

#endif
