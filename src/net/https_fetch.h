/*
 * https_fetch: one HTTPS GET (or HEAD) with libcurl, as RFC 8461 §3.3
 * wants for MTA-STS policies: https only, no redirects followed (only 200
 * is valid, the caller judges the status), bounded body, timeout, and
 * certificate problems reported as such.  Also used by `tlsrpt check` to
 * see whether an https rua endpoint answers with a valid certificate.
 */
#ifndef TLSRPT_NET_HTTPS_FETCH_H
#define TLSRPT_NET_HTTPS_FETCH_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

#define HTTPS_MAX_BODY_DEFAULT 65536            /* RFC 8461 §3.3: 64 KiB */
#define HTTPS_TIMEOUT_MS_DEFAULT 60000          /* RFC 8461 §3.3: one minute */

struct https_options {
	const char *cacert;             /* CA bundle file; NULL: the system's */
	const struct strlist *resolve;  /* "HOST:PORT:ADDR" (CURLOPT_RESOLVE); NULL: none */
	const struct strlist *connect_to; /* "HOST:PORT:CHOST:CPORT" (CURLOPT_CONNECT_TO); NULL: none */
	long timeout_ms;                /* whole transfer; <= 0: HTTPS_TIMEOUT_MS_DEFAULT */
	size_t max_body;                /* 0: HTTPS_MAX_BODY_DEFAULT */
	int head_only;                  /* 1: HEAD request, no body (endpoint probe) */
};

/* Everything is owned by the response; release with https_response_clear().
 * Zero it before the first use. */
struct https_response {
	long status;                    /* HTTP status, 0 if no response */
	char *body;                     /* NUL-terminated (not counted in body_len); NULL if none */
	size_t body_len;
	char *content_type;             /* Content-Type header, or NULL */
	int cert_error;                 /* 1 if the failure was certificate verification */
};

/*
 * GETs url (https: only).  Returns 0 when a response arrived, whatever
 * its status (r->status; redirects are not followed, a 3xx is returned as
 * is).  Returns -1 with err set when none did: bad URL, connection or TLS
 * failure (r->cert_error = 1 when the certificate did not verify; err then
 * holds libcurl's reason), timeout, or a body over max_body.
 */
int https_get(const struct https_options *o, const char *url,
    struct https_response *r, struct err *err);

/* Signature of https_get(), for callers that take a replacement in tests. */
typedef int https_get_fn(void *ctx, const struct https_options *o, const char *url,
    struct https_response *r, struct err *err);

/* Releases what r owns and zeroes it. */
void https_response_clear(struct https_response *r);

#endif
