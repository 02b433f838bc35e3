/*
 * dns_wire: an answer message in wire format (RFC 1035 §4), as libunbound's
 * event API hands it over, turned into a struct dns_answer: the status from
 * the RCODE, the CNAME chain from the answer section, and the RRs of the
 * type asked at the chain's end, decoded by dns_rdata.  The message is
 * parsed with glibc's libresolv (ns_initparse / ns_parserr), which checks
 * every count and length against the message; names compressed inside
 * RDATA (MX, CNAME) are expanded with ns_name_unpack.
 */
#ifndef TLSRPT_NET_DNS_WIRE_H
#define TLSRPT_NET_DNS_WIRE_H

#include <stddef.h>

#include "net/dns.h"

/*
 * Fills ans (status, rr, mx, tlsa, cnames; not qname, secure or why unless
 * said) from the answer msg of len bytes to the query qname (A-labels, no
 * trailing dot) for type:
 *   RCODE 3: DNS_NXDOMAIN; another non-zero RCODE: DNS_SERVFAIL with why
 *   "rcode N"; no RR of type at the chain's end: DNS_NODATA; else DNS_OK.
 * The chain (qname, each alias target, ...) is kept in ans->cnames when the
 * name is an alias, at most DNS_MAX_CNAME_CHAIN hops; a CNAME query is not
 * followed.  A message that does not parse gives DNS_SERVFAIL with why set;
 * a malformed RR is skipped.  ans must be cleared before.
 */
void dns_wire_fill(struct dns_answer *ans, const char *qname, int type,
    const unsigned char *msg, size_t len);

#endif
