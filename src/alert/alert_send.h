/*
 * alert_send: hands an alert mail to a mail server: SMTP with libcurl
 * (smtp:// with STARTTLS when offered, or smtps://; AUTH from the
 * environment, never from the command line) or a local sendmail command.
 */
#ifndef TLSRPT_ALERT_ALERT_SEND_H
#define TLSRPT_ALERT_ALERT_SEND_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

struct alert_smtp {
	const char *url;          /* smtp://host:port or smtps://host:port */
	const char *user;         /* AUTH user or NULL (TLSRPT_SMTP_USER) */
	const char *password;     /* (TLSRPT_SMTP_PASSWORD) */
	const char *cacert;       /* CA file for the server certificate, or NULL */
	int require_tls;          /* 1: STARTTLS required */
};

/* Sends msg[0..len) (CRLF lines) from the address from to every address in
 * rcpts.  Returns 0 when the server accepted it, -1 with err set. */
int alert_send_smtp(const struct alert_smtp *o, const char *from, const struct strlist *rcpts,
		    const char *msg, size_t len, struct err *err);

/* Runs command through /bin/sh with msg (line ends turned into LF) on its
 * standard input; the command must find the recipients itself (e.g.
 * "/usr/sbin/sendmail -t -i").  Returns 0 if it exited with status 0, -1
 * with err set.  SIGPIPE must be ignored by the caller. */
int alert_send_sendmail(const char *command, const char *msg, size_t len, struct err *err);

#endif
