/*
 * smtp_rcpt_log: the server's reply to each RCPT TO of one SMTP
 * transaction, read from libcurl's protocol trace (CURLOPT_DEBUGFUNCTION).
 * libcurl itself only says whether the transfer worked and the last reply
 * code; with CURLOPT_MAIL_RCPT_ALLOWFAILS it skips refused recipients
 * without saying which.  libcurl sends the RCPT TO commands one at a time,
 * in the order of CURLOPT_MAIL_RCPT, each followed by its (possibly
 * multi-line) reply, so the i-th reply belongs to the i-th recipient.
 */
#ifndef TLSRPT_REPORT_SMTP_RCPT_LOG_H
#define TLSRPT_REPORT_SMTP_RCPT_LOG_H

#include <stddef.h>

#include "model/strlist.h"

struct smtp_rcpt_log {
	struct strlist reply;  /* reply[i]: the reply to the i-th RCPT TO, its lines
				  joined by a space ("550 5.1.1 No such user"); owned */
	int in_reply;          /* 1 while the reply to the last RCPT TO is being read */
};

/* Feeds one piece of libcurl's trace: out = 1 for what the client sent
 * (CURLINFO_HEADER_OUT), 0 for what the server sent (CURLINFO_HEADER_IN);
 * other trace types must not be fed.  data[0..len) holds whole lines
 * (libcurl passes one command or one reply line at a time; several are
 * split at LF).  Commands other than RCPT TO, and their replies, are
 * ignored, so credentials sent by AUTH are never kept.  Start with a
 * zeroed log. */
void smtp_rcpt_log_feed(struct smtp_rcpt_log *l, int out, const char *data, size_t len);

/* Returns 1 if reply was positive (2xx), else 0. */
int smtp_rcpt_log_accepted(const char *reply);

/* Frees the replies; l is a zeroed log afterwards. */
void smtp_rcpt_log_clear(struct smtp_rcpt_log *l);

#endif
