/*
 * deliver_sendmail: hands one report mail to a local MTA by running a
 * configured command (e.g. "/usr/sbin/sendmail -oi -t") through /bin/sh
 * with the message on its standard input.  The command must take the
 * recipients from the To: header (-t); the envelope sender is its business
 * (-f).  Exit status 0 = accepted, 75 (EX_TEMPFAIL) or a signal = retry,
 * anything else = permanent failure.  A command still running after the
 * time limit is killed (SIGTERM, then SIGKILL) and the attempt is retried.
 */
#ifndef TLSRPT_REPORT_DELIVER_SENDMAIL_H
#define TLSRPT_REPORT_DELIVER_SENDMAIL_H

#include <stddef.h>

#include "report/deliver.h"
#include "util/err.h"

/* The time limit when the caller gives none (seconds). */
#define DELIVER_SENDMAIL_TIMEOUT 120

/* Runs command with msg[0..len) on stdin, line ends converted to LF (what a
 * local sendmail expects), and waits for it at most timeout seconds (0:
 * DELIVER_SENDMAIL_TIMEOUT).  The caller ignores SIGPIPE.  Returns the
 * outcome; err says why on failure. */
enum deliver_result deliver_sendmail(const char *command, const char *msg, size_t len,
				     long timeout, struct err *err);

#endif
