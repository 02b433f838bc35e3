/*
 * check: `tlsrpt check DOMAIN`: is the domain's TLS reporting set up
 * right?  Looks at the _smtp._tls record and its rua targets, the MX set,
 * the _mta-sts record and policy, and the TLSA records of every MX, and
 * appends one finding per observation (finding.h), each with a fix.
 * With --dkim-selector it checks the sending side instead: the DKIM key
 * record `tlsrpt send` signs with (check_dkim.c).
 * All network access goes through struct check_io, so unit tests give a
 * stub resolver and a stub HTTPS fetcher.
 */
#ifndef TLSRPT_CHECK_CHECK_H
#define TLSRPT_CHECK_CHECK_H

#include "check/finding.h"
#include "net/dns.h"
#include "net/https_fetch.h"
#include "util/err.h"

struct check_io {
	struct dns *dns;                /* borrowed */
	https_get_fn *get;              /* NULL: https_get() */
	void *get_ctx;
	struct https_options https;     /* CA file, --resolve / --connect-to, timeout */
};

/* What the MX lookup found, shared by the STS and DANE checks. */
struct check_mx {
	int ok;                         /* 1 if the MX set is known (hosts may be the implicit MX) */
	int secure;                     /* MX RRset DNSSEC-secure */
	int null_mx;                    /* "0 ." : the domain takes no mail */
	struct strlist hosts;           /* MX hosts by preference, or the domain itself (implicit MX) */
};

/*
 * Runs every check for domain (U-labels accepted) and appends findings to
 * out.  Returns 0, or -1 with err only when checking could not start (an
 * empty or unconvertible domain name); DNS and HTTPS failures are findings.
 */
int check_domain(struct check_io *io, const char *domain, struct findings *out, struct err *err);

/* The parts, in the order check_domain() runs them (each appends findings). */
void check_tlsrpt(struct check_io *io, const char *domain, struct findings *out);
void check_mx_lookup(struct check_io *io, const char *domain, struct check_mx *mx, struct findings *out);
/* Returns 1 if a valid MTA-STS policy (mode testing or enforce) is published. */
int check_sts(struct check_io *io, const char *domain, const struct check_mx *mx, struct findings *out);
/* Returns 1 if every MX has DNSSEC-secure, usable TLSA records (DANE in force). */
int check_dane(struct check_io *io, const struct check_mx *mx, struct findings *out);

/*
 * HTTPS request for the checks: if io->https has no --resolve/--connect-to
 * entry for host, host's address is looked up through io->dns (so the
 * chosen resolver is used for HTTPS too) and passed to libcurl.
 * Same returns as https_get().
 */
int check_https_get(struct check_io *io, const char *url, const char *host, int head_only,
    struct https_response *r, struct err *err);

void check_mx_clear(struct check_mx *mx);

/* Appends an ok finding naming a's CNAME chain ("a -> b -> c"), if any. */
void check_cname_chain(const struct dns_answer *a, struct findings *out, const char *check);

/*
 * `tlsrpt check --dkim-selector SEL DOMAIN`: the DKIM key record at
 * SEL._domainkey.DOMAIN that `tlsrpt send` signs report mails with
 * (rsa-sha256; RFC 8460 §3 wants s=tlsrpt or no s=).  When key_file (the
 * PEM private key given to --dkim-key) is not NULL, its public key must be
 * the published one.  Findings are named "dkim.record" (the record and the
 * key in it), "dkim.key" (the private key file) and "dkim.dns" (the lookup
 * could not be made or failed temporarily).  Returns 0, or -1 with err
 * only when checking could not start (empty or unconvertible name).
 */
int check_dkim(struct check_io *io, const char *selector, const char *domain, const char *key_file,
    struct findings *out, struct err *err);

#endif
