/*
 * key: what Postfix asks for → the policy domain to look up.
 *
 * smtp(8) sends the next-hop destination as the key, not case-folded
 * (research/mta-sts-plugins.md §1.1-1.2): "example.com", "[host]",
 * "[host]:port", "host:port", and after a NOTFOUND the parent domains
 * with a leading dot (".example.com").  Only a domain name (optionally
 * with ":port": a transport nexthop "smtp:example.com:2525" still goes
 * to the domain's MX hosts) can carry an MTA-STS policy; everything else
 * is answered NOTFOUND at once, without DNS.
 */
#ifndef TLSRPT_POLICYD_KEY_H
#define TLSRPT_POLICYD_KEY_H

#include <stddef.h>

/* Longest key considered (a DNS name is at most 253 bytes; U-labels and a
 * port take more). */
#define POLICYD_KEY_MAX 1024

/*
 * Normalizes key[0..len).  Returns a new string (caller frees): the
 * domain in lower case, A-labels, without a trailing dot or ":port".
 * Returns NULL when the key names no policy domain, with *why set to a
 * static reason ("leading dot: a parent-domain lookup", "IP address",
 * "bracketed next hop (no MX lookup)", "not a port after ':'", "not a
 * domain name").
 */
char *policyd_key_domain(const char *key, size_t len, const char **why);

#endif
