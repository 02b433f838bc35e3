/*
 * deliver: what the three delivery channels (deliver_smtp.h,
 * deliver_sendmail.h, deliver_https.h) share: the outcome of one attempt.
 */
#ifndef TLSRPT_REPORT_DELIVER_H
#define TLSRPT_REPORT_DELIVER_H

enum deliver_result {
	DELIVER_OK = 0,          /* accepted by the destination */
	DELIVER_TEMPFAIL = -1,   /* failed; worth retrying (RFC 8460 §5.5) */
	DELIVER_PERMFAIL = -2,   /* refused for good (e.g. SMTP 5xx); do not retry */
};

#endif
