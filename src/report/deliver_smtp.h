/*
 * deliver_smtp: hands one report mail to a submission server (smarthost)
 * over SMTP with libcurl: smtp:// with STARTTLS opportunistic or required,
 * or smtps://; AUTH when a user is configured.  The mail is sent despite
 * any TLS-related failure of the final hop: that is the relay's
 * business, and the mail says TLS-Required: No.
 */
#ifndef TLSRPT_REPORT_DELIVER_SMTP_H
#define TLSRPT_REPORT_DELIVER_SMTP_H

#include <stddef.h>

#include "report/deliver.h"
#include "util/err.h"

struct smtp_options {
	const char *url;           /* smtp://host[:port][/helo] or smtps://… */
	const char *helo;          /* EHLO name when url has no path; may be NULL */
	int require_tls;           /* 1: STARTTLS required; 0: used when offered */
	const char *user;          /* AUTH user, or NULL for no AUTH */
	const char *password;
	const char *cacert;        /* CA bundle file, or NULL for the system one */
	int insecure;              /* 1: do not verify the server certificate */
	long timeout;              /* seconds; 0 means 120 */
};

/* Sends msg[0..len) (CRLF lines) from mail_from to the single recipient
 * rcpt.  Returns DELIVER_OK, DELIVER_PERMFAIL on a 5xx reply, else
 * DELIVER_TEMPFAIL; err says why. */
enum deliver_result deliver_smtp(const struct smtp_options *o, const char *mail_from,
				 const char *rcpt, const char *msg, size_t len, struct err *err);

#endif
