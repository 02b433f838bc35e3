/*
 * ingest: bytes → TLSRPT report JSON documents (RFC 8460 §5).
 *
 * Whatever arrives (a mail by pipe or IMAP, a file, an HTTPS POST body) is
 * sniffed and unwrapped recursively: RFC 5322 mail → MIME part → zip entry
 * → gzip → JSON text.  Each JSON document found is handed to a callback; the
 * JSON itself is not parsed here (model/report_json does that).  Every layer
 * is bounded by struct ingest_limits so bombs and deep nesting are refused.
 */
#ifndef TLSRPT_INGEST_INGEST_H
#define TLSRPT_INGEST_INGEST_H

#include <stddef.h>

#include "util/err.h"

/* Limits for one ingest_extract() call. */
struct ingest_limits {
	size_t max_input;         /* bytes of input accepted (default 10 MiB) */
	size_t max_decompressed;  /* bytes one gzip stream or zip entry may expand
				   * to (default 20 MiB) */
	unsigned max_depth;       /* containers nested inside each other: mail,
				   * gzip, zip, base64 each count one (default 4,
				   * e.g. forwarded mail → mail → zip → gzip) */
	unsigned max_parts;       /* MIME parts per message, entries per zip
				   * (default 64) */
};

/* Fills l with the defaults documented above. */
void ingest_limits_default(struct ingest_limits *l);

/* What is known about where a document came from.  Every pointer is
 * borrowed, valid only during the callback, and may be NULL. */
struct ingest_meta {
	const char *container;            /* the containers unwrapped, outside in,
					   * "/"-separated: "json" (bare), "gzip",
					   * "mail", "mail/gzip", "base64/gzip",
					   * "zip/gzip", "mail/mail/gzip" … */
	const char *filename;             /* attachment or zip entry name */
	const char *mail_subject;         /* decoded Subject of the innermost mail */
	const char *mail_from;            /* From, as text */
	const char *mail_message_id;      /* Message-ID without <> */
	const char *tls_report_domain;    /* TLS-Report-Domain header (§5.3) */
	const char *tls_report_submitter; /* TLS-Report-Submitter header */
	int has_dkim_signature;           /* the mail carries DKIM-Signature */
};

/* Called once per JSON document found.  json is the document text (a
 * leading UTF-8 BOM and white space skipped; not NUL-terminated, len bytes),
 * borrowed for the call.  Return 0 to go on, non-zero to stop. */
typedef int (*ingest_doc_cb)(void *ctx, const char *json, size_t len,
			     const struct ingest_meta *meta);

/*
 * Finds the report documents in data[0..len) (see the file comment for the
 * forms accepted; mbox "From " first lines are skipped) and calls cb for
 * each.  lim may be NULL for the defaults.
 * Returns the number of documents given to cb (>= 1); 0 if the input holds
 * no report candidate at all (err says why, e.g. "no TLSRPT report found in
 * message: …"): a mail with no report part (by media type or .json/.gz/.zip
 * file name), a top-level input or zip entry that is not JSON, gzip, zip,
 * base64 or mail, a zip with no such entry, an empty input; -1 on error,
 * for a candidate that is bad: input over a limit, containers nested too
 * deep, corrupt or truncated gzip/zip, an unparseable mail, a report part
 * or gzip content that is not a report.  Callers that read a mailbox skip
 * the first kind and count the second as an error (ingest_store.h).
 * cb may already have been called for documents found before an error.
 * Thread-safe (no shared state besides gmime's one-time initialisation,
 * see mime.h).
 */
int ingest_extract(const void *data, size_t len, const struct ingest_limits *lim,
		   ingest_doc_cb cb, void *ctx, struct err *err);

#endif
