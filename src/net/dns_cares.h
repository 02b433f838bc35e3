/*
 * dns_cares: lookups through c-ares, a stub resolver, for dns.c when the
 * resolver is on loopback and the caller does not use DNSSEC status.
 *
 * Why: libunbound opens, binds, connects and closes a new UDP socket for
 * every query (its source-port randomisation) and runs its iterator and
 * validator modules on every answer; against a resolver on the same host
 * that was ~46 µs of CPU per lookup on the development VM, c-ares ~13 µs
 * (bench/README.md, "The reporter's lookups through c-ares").  c-ares
 * keeps one connected UDP socket per server, so its source port does not
 * change between queries: that is safe only where no one off the host can
 * inject answers, i.e. towards a resolver on loopback, and dns.c uses it
 * only there (dns_cares_on_loopback()).
 *
 * Answers come as wire-format messages (read by dns_wire.c, as
 * libunbound's are).  Everything runs on the caller's thread: answers are
 * handed to their callbacks inside dns_cares_wait() (and, with msg NULL,
 * inside dns_cares_free() for those still in flight).
 */
#ifndef TLSRPT_NET_DNS_CARES_H
#define TLSRPT_NET_DNS_CARES_H

#include <stddef.h>

#include "util/err.h"

struct dns_cares;

/* An answer: msg[0..len) is the message (any RCODE), or msg is NULL when
 * none came (why says what happened: a timeout, the port refused, the
 * channel destroyed). */
typedef void dns_cares_answer_fn(void *arg, const unsigned char *msg, size_t len,
				 const char *why);

/* Writes resolver "IP" or "IP@PORT" (port 1-65535; IPv6 without
 * brackets) as c-ares's "IP:PORT" or "[IP]:PORT" into out (at least
 * INET6_ADDRSTRLEN + 16 bytes).  Returns 0, or -1 when it is not that.
 * dns.c checks every --resolver with it, whichever library is used. */
int dns_cares_server_csv(const char *resolver, char *out, size_t outsz);

/*
 * A channel to resolver ("IP" or "IP@PORT", IPv6 without brackets; NULL:
 * the servers of /etc/resolv.conf) with one try per query, given up by
 * c-ares after twice timeout_ms (the caller's deadline comes first).
 * Returns it (dns_cares_free() releases it), or NULL with err set.
 */
struct dns_cares *dns_cares_new(const char *resolver, int timeout_ms, struct err *err);

/* 1 if every server of c is a loopback address (127.0.0.0/8, ::1). */
int dns_cares_on_loopback(const struct dns_cares *c);

/* Sends a query for qname (A-labels, no trailing dot) and type (an RR
 * type code), with EDNS0 (1232 bytes), falling back to TCP when the answer
 * is truncated.  fn(arg, ...) is called exactly once, later. */
void dns_cares_send(struct dns_cares *c, const char *qname, int type, dns_cares_answer_fn *fn,
		    void *arg);

/* Waits at most max_ms (0: not at all) for the channel's sockets, then
 * hands every answer that has come, and every query c-ares gave up on, to
 * its callback.  Returns 0, or -1 with err set when poll() failed. */
int dns_cares_wait(struct dns_cares *c, long max_ms, struct err *err);

/* Releases c; the callbacks of queries still in flight are called with
 * msg NULL first.  NULL is a no-op. */
void dns_cares_free(struct dns_cares *c);

#endif
