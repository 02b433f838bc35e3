/*
 * deliver_https: RFC 8460 §5.4 HTTPS POST of one report with libcurl.
 * Body = the report bytes, Content-Type application/tlsrpt+gzip (or +json),
 * no Content-Encoding.  Any 2xx is success; redirects are not followed
 * (counted as failure, HTTP-06); the certificate is verified unless the
 * caller relaxes it (R-3.16 allows that; HTTP-07).
 */
#ifndef TLSRPT_REPORT_DELIVER_HTTPS_H
#define TLSRPT_REPORT_DELIVER_HTTPS_H

#include <stddef.h>

#include "report/deliver.h"
#include "util/err.h"

struct https_options {
	const char *cacert;        /* CA bundle file, or NULL for the system one */
	int insecure;              /* 1: do not verify the peer certificate or name */
	long timeout;              /* whole transfer, seconds; 0 means 120 */
};

/* POSTs body[0..len) to url (https only).  Returns DELIVER_OK on 2xx,
 * DELIVER_TEMPFAIL otherwise (err says why: curl error or HTTP status). */
enum deliver_result deliver_https(const char *url, const void *body, size_t len, int compressed,
				  const struct https_options *o, struct err *err);

#endif
