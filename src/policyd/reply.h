/*
 * reply: the socketmap answers, written exactly as Postfix 3.10 parses
 * them (dict_sockmap.c: "OK <data>", "NOTFOUND ", "TEMP <reason>";
 * smtp_tls_policy.c: the policy grammar; research/mta-sts-plugins.md
 * §1.3 and checklist items 5-12).
 *
 * An enforce policy becomes
 *   secure match=mx.example.com:.example.net servername=hostname
 *   policy_type=sts policy_domain=example.com
 *   mx_host_pattern=mx.example.com mx_host_pattern=*.example.net
 *   { policy_string = version: STSv1 } { policy_string = mode: enforce } …
 * match= turns "*.x" into ".x" (what Postfix before 3.10.5 matches);
 * mx_host_pattern= keeps "*.x" (3.10.5+ authorizes MX names with it).
 * Policy lines Postfix cannot carry (holding '{' or '}', empty) are left
 * out of the policy strings; the payload stays under POLICYD_REPLY_MAX.
 */
#ifndef TLSRPT_POLICYD_REPLY_H
#define TLSRPT_POLICYD_REPLY_H

#include <stddef.h>

#include "model/sts_policy.h"

/* Postfix's socketmap_max_reply_size default (3.10): payload bytes. */
#define POLICYD_REPLY_MAX 100000

/* The result types Postfix accepts in policy_failure= (tlsrpt_wrapper.c). */
enum policyd_failure {
	POLICYD_FAIL_NONE = 0,
	POLICYD_FAIL_FETCH,             /* sts-policy-fetch-error */
	POLICYD_FAIL_INVALID,           /* sts-policy-invalid */
	POLICYD_FAIL_WEBPKI,            /* sts-webpki-invalid */
};

/* "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid";
 * "" for POLICYD_FAIL_NONE. */
const char *policyd_failure_name(enum policyd_failure f);

/*
 * The "OK …" answer for policy p (mode enforce, or testing applied as
 * enforce) of policy_domain (A-labels).  With tlsrpt 0, only the level,
 * match= and servername= (Postfix 3.9 and older refuse the TLSRPT
 * attributes).  Returns a new string (caller frees).
 */
char *policyd_reply_enforce(const char *policy_domain, const struct sts_policy *p, int tlsrpt);

/*
 * The "OK …" answer that makes Postfix defer the delivery and report
 * failure f itself (policy_failure=, Postfix 3.10.6 or later): Postfix
 * connects, fails certificate verification on purpose and reports f with
 * the MX host it tried.  Returns a new string (caller frees).
 */
char *policyd_reply_failure(const char *policy_domain, enum policyd_failure f);

#endif
