/*
 * report: the failures only policyd sees, sent to the collector through
 * our libtlsrpt (the same datagrams Postfix sends), for the cases Postfix
 * cannot report: no cached policy, the fetch failed, and the delivery
 * goes ahead without MTA-STS (RFC 8461 §5.1; Postfix's policy_failure=
 * would defer it).  One datagram per such lookup: one failed session of
 * policy type sts for the policy domain, result type sts-policy-fetch-
 * error, sts-policy-invalid or sts-webpki-invalid, the reason in
 * additional-information.  Postfix reports the same delivery's TLS
 * session under no-policy-found (or tlsa): a different policy, so
 * nothing is counted twice.
 */
#ifndef TLSRPT_POLICYD_REPORT_H
#define TLSRPT_POLICYD_REPORT_H

#include "policyd/reply.h"
#include "util/err.h"

struct policyd_reporter;

/* Opens a reporter sending to the collector socket path.  Returns it
 * (release with policyd_reporter_free()) or NULL with err set. */
struct policyd_reporter *policyd_reporter_new(const char *socket_path, struct err *err);

/* Releases *r and sets it to NULL; NULL is fine. */
void policyd_reporter_free(struct policyd_reporter **r);

/* Sends one failed sts session for domain.  Thread-safe.  Returns 0, or
 * -1 with err set (collector not there, queue full: the caller counts
 * and logs it; delivery goes on). */
int policyd_report_failure(struct policyd_reporter *r, const char *domain,
    enum policyd_failure f, const char *why, struct err *err);

#endif
