/*
 * resolve: the network side of policyd, one step at a time, so that the
 * caller can consult its cache between the steps (without holding a lock
 * during network I/O): the _mta-sts TXT record (RFC 8461 §3.1), the
 * policy over HTTPS (§3.3: WebPKI, no redirects, 200 only, text/plain,
 * 64 KiB, timeout), and the DANE verdict on the MX set (RFC 7672).
 * Every step is bounded by the DNS and HTTPS timeouts given.
 */
#ifndef TLSRPT_POLICYD_RESOLVE_H
#define TLSRPT_POLICYD_RESOLVE_H

#include "net/dns.h"
#include "net/https_fetch.h"
#include "policyd/entry.h"

/* At most this many MX hosts are looked at for DANE. */
#define POLICYD_DANE_MAX_MX 16

/* Looks up _mta-sts.DOMAIN: sets res->txt and res->id.  A record that is
 * not exactly one valid v=STSv1 record counts as none (RFC 8461 §3.1);
 * *why (may be NULL) receives a new string saying why when not OK. */
void policyd_resolve_txt(struct dns *dns, const char *domain, struct policyd_result *res,
    char **why);

/* Fetches and parses https://mta-sts.DOMAIN/.well-known/mta-sts.txt:
 * sets res->fetched, and res->body + res->policy, or res->failure +
 * res->failure_msg (sts-webpki-invalid for a certificate problem,
 * sts-policy-invalid for a body that is not a valid text/plain policy,
 * sts-policy-fetch-error for the rest, a redirect included). */
void policyd_resolve_policy(const struct https_options *o, const char *domain,
    struct policyd_result *res);

/* The DANE verdict for DOMAIN's MX set: sets res->dane_checked,
 * res->dane, and res->dane_ttl to ttl (retry_ttl for POLICYD_DANE_TEMP). */
void policyd_resolve_dane(struct dns *dns, const char *domain, int64_t ttl, int64_t retry_ttl,
    struct policyd_result *res);

#endif
