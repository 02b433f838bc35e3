/*
 * dkim: RFC 6376 signing of report mails with libopendkim (RFC 8460 §3:
 * reports sent by mail MUST carry a valid DKIM signature of the reporting
 * domain, without l=).  rsa-sha256, relaxed/relaxed; the signed headers
 * include TLS-Report-Domain and TLS-Report-Submitter (§5.3 SHOULD).
 */
#ifndef TLSRPT_REPORT_DKIM_H
#define TLSRPT_REPORT_DKIM_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

struct dkim_signer;

/* Largest private key file read, in bytes. */
#define DKIM_KEY_MAX 65536

/* Reads the PEM private key at key_file (at most DKIM_KEY_MAX bytes) and
 * prepares signing as d=domain, s=selector.  Returns a new signer that the
 * caller releases with dkim_signer_free(), or NULL with err set. */
struct dkim_signer *dkim_signer_new(const char *key_file, const char *selector,
				    const char *domain, struct err *err);

/* Signs msg[0..len) (CRLF line ends) and appends the DKIM-Signature header
 * followed by msg to out.  Returns 0, or -1 with err set. */
int dkim_signer_sign(struct dkim_signer *s, const char *msg, size_t len, struct buf *out,
		     struct err *err);

/* Releases *s and sets it to NULL; NULL is a no-op. */
void dkim_signer_free(struct dkim_signer **s);

#endif
