/*
 * deliver_smtp: hands one report mail to a submission server (smarthost)
 * over SMTP with libcurl: smtp:// with STARTTLS opportunistic or required,
 * or smtps://; AUTH when a user is configured, and then only over TLS:
 * with a user, smtp:// requires STARTTLS (the password never goes out in
 * clear) unless auth_plaintext says the operator allows it.  The mail is sent despite
 * any TLS-related failure of the final hop: that is the relay's
 * business, and the mail says TLS-Required: No.
 */
#ifndef TLSRPT_REPORT_DELIVER_SMTP_H
#define TLSRPT_REPORT_DELIVER_SMTP_H

#include <stddef.h>

#include "model/strlist.h"
#include "report/deliver.h"
#include "util/err.h"

struct smtp_options {
	const char *url;           /* smtp://host[:port][/helo] or smtps://… */
	const char *helo;          /* EHLO name when url has no path; may be NULL */
	int require_tls;           /* 1: STARTTLS required; 0: used when offered */
	const char *user;          /* AUTH user, or NULL for no AUTH */
	const char *password;
	int auth_plaintext;        /* 1: AUTH allowed without TLS (a relay offering
				    * no STARTTLS); 0: then refused before AUTH */
	const char *cacert;        /* CA bundle file, or NULL for the system one */
	int insecure;              /* 1: do not verify the server certificate */
	long timeout;              /* seconds; 0 means 120 */
};

/* Sends msg[0..len) (CRLF lines) from mail_from to the single recipient
 * rcpt.  Returns DELIVER_OK, DELIVER_PERMFAIL on a 5xx reply, else
 * DELIVER_TEMPFAIL; err says why.  *rcpt_refused (rcpt_refused may be
 * NULL) is set to 1 when the failure is the server's permanent refusal of
 * rcpt itself (5xx to RCPT TO, seen in libcurl's trace), else to 0: a 5xx
 * to MAIL FROM or DATA (or the greeting, EHLO, AUTH) is a permanent
 * failure of this attempt that says nothing about the address. */
enum deliver_result deliver_smtp(const struct smtp_options *o, const char *mail_from,
				 const char *rcpt, const char *msg, size_t len, int *rcpt_refused,
				 struct err *err);

/* Sends msg[0..len) from mail_from to every address in rcpts (at least
 * one) in ONE SMTP transaction: one MAIL FROM, one RCPT TO per address,
 * one DATA, so that each recipient gets the message once.  With one
 * address this is deliver_smtp().  With more, a recipient the server
 * refuses (4xx or 5xx to its RCPT TO) is skipped and the message goes to
 * the others (CURLOPT_MAIL_RCPT_ALLOWFAILS).
 * Returns DELIVER_OK when the server took the message for at least one
 * recipient; then each refused recipient is appended to refused_out as
 * "ADDRESS: REPLY", the reply as the server gave it ("550 5.1.1 No such
 * user"), in the order of rcpts; the list owns the strings (strlist_clear()).
 * The replies come from libcurl's protocol trace (smtp_rcpt_log.h); a
 * recipient whose reply the trace lacks is listed too, as "may be refused".
 * refused_out may be NULL when the caller does not want the list.
 * Otherwise (every recipient refused, MAIL FROM or DATA refused, no
 * connection...) returns DELIVER_PERMFAIL when the last reply was 5xx, else
 * DELIVER_TEMPFAIL, leaves refused_out alone and says why in err (with the
 * reply to each recipient when all were refused). */
enum deliver_result deliver_smtp_many(const struct smtp_options *o, const char *mail_from,
				      const struct strlist *rcpts, const char *msg, size_t len,
				      struct strlist *refused_out, struct err *err);

#endif
