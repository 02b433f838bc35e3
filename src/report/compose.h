/*
 * compose: the RFC 8460 §5.3 report mail — multipart/report;
 * report-type="tlsrpt" with a human-readable text/plain part and the report
 * as application/tlsrpt+gzip (or +json), base64, named per §5.1 — built
 * with gmime.  The result uses CRLF line ends, ready for DKIM and SMTP.
 */
#ifndef TLSRPT_REPORT_COMPOSE_H
#define TLSRPT_REPORT_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* What the mail says; all strings borrowed. */
struct compose_mail {
	const char *from;             /* addr-spec of the From: header */
	const char *to;               /* addr-spec of the rua recipient */
	const char *submitter;        /* TLS-Report-Submitter, contact-info domain */
	const char *policy_domain;    /* TLS-Report-Domain */
	const char *report_id;        /* the JSON report-id */
	const char *organization;     /* for the text part */
	int64_t begin, end;           /* the report's date-range, Unix seconds */
	int64_t date;                 /* Date: header, Unix seconds */
	const char *message_id;       /* without <>, or NULL for a generated one */
	int compressed;               /* 1: body is gzip (+gzip); 0: JSON (+json) */
	const void *body;             /* the attachment bytes */
	size_t body_len;
};

struct composer;

/* Returns a new composer: one gmime message tree reused for many mails
 * (only the values change), which is several times cheaper than building
 * a tree per mail.  It keeps its content and output buffers between
 * mails: until freed it holds the largest attachment and the largest mail
 * built so far.  Release with composer_free(). */
struct composer *composer_new(void);

/* Appends the complete message for m (headers and body, CRLF line ends) to
 * out.  Returns 0, or -1 with err set (bad address, out's maximum reached). */
int composer_build(struct composer *c, const struct compose_mail *m, struct buf *out,
		   struct err *err);

/* Releases *c and sets it to NULL; NULL is a no-op. */
void composer_free(struct composer **c);

/* One-shot composer_build() with a temporary composer. */
int compose_report_mail(const struct compose_mail *m, struct buf *out, struct err *err);

#endif
