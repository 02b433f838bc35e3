/*
 * dns: DNS lookups through libunbound, with DNSSEC status (or through
 * c-ares towards a resolver on loopback, for a caller that does not use
 * the DNSSEC status: see dns_options.dnssec_unused and dns.c).
 *
 * One `struct dns` wraps a libunbound context (forwarding to a given
 * resolver, or the one in /etc/resolv.conf) and answers TXT, MX, A, AAAA,
 * TLSA and CNAME queries, each bounded by a timeout: one at a time
 * (dns_lookup), or several in flight at once (dns_query_start /
 * dns_query_finish: a caller with many names keeps a window of them
 * outstanding instead of waiting for each answer in turn).  The
 * answer says how the lookup ended (ok / nxdomain / nodata / servfail /
 * timeout / bogus), whether it was DNSSEC-secure, and the CNAME chain.
 * For unit tests a stub (dns_new_stub) answers instead of the network.
 * libunbound works on the thread that waits for an answer (no resolver
 * thread of its own): one `struct dns` is used by one thread at a time;
 * threads that look up at once each have their own.
 */
#ifndef TLSRPT_NET_DNS_H
#define TLSRPT_NET_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "model/strlist.h"
#include "util/err.h"

#define DNS_TIMEOUT_MS_DEFAULT 10000
/* Timeouts in a row, with no answer between them, after which the
 * resolver is taken as unreachable for one timeout's length: no lookup is
 * sent then, each ends as DNS_TIMEOUT at once (dns.c). */
#define DNS_UNREACHABLE_AFTER 32
#define DNS_MAX_CNAME_CHAIN 8

enum dns_type {         /* values are the RR type codes */
	DNS_A = 1,
	DNS_CNAME = 5,
	DNS_MX = 15,
	DNS_TXT = 16,
	DNS_AAAA = 28,
	DNS_TLSA = 52,
};

enum dns_status {
	DNS_OK,         /* data present */
	DNS_NXDOMAIN,   /* the name does not exist */
	DNS_NODATA,     /* the name exists, no records of this type */
	DNS_SERVFAIL,   /* temporary failure (SERVFAIL, REFUSED, network error) */
	DNS_TIMEOUT,    /* no answer within the timeout */
	DNS_BOGUS,      /* DNSSEC validation failed */
};

struct dns_options {
	const char *resolver;           /* "IP" or "IP@port"; NULL: /etc/resolv.conf */
	const char *trust_anchor_file;  /* DNSSEC trust anchors (zone-file DS/DNSKEY); NULL: none */
	int timeout_ms;                 /* per lookup; <= 0: DNS_TIMEOUT_MS_DEFAULT */
	int dnssec_unused;              /* 1: the caller decides nothing on `secure`, so with
	                                 * no trust anchor file and every resolver on
	                                 * loopback the lookups go through c-ares (dns.c) */
};

struct dns_mx {
	unsigned pref;
	char *host;                     /* owned; no trailing dot; "" for a null MX ("0 .") */
};

struct dns_tlsa {
	uint8_t usage, selector, mtype;
	char *hex;                      /* owned; association data, upper-case hex */
};

/* The answer to one lookup.  Everything in it is owned by it and released
 * by dns_answer_clear(); it must be zeroed before the first lookup. */
struct dns_answer {
	enum dns_status status;
	int secure;                     /* 1 if DNSSEC-validated (data or its absence) */
	char *qname;                    /* the name queried, A-labels, no trailing dot */
	char *why;                      /* why not OK (bogus reason, resolver error); or NULL */
	struct strlist cnames;          /* CNAME chain: qname, alias target, ..., final name; empty if none */
	struct strlist rr;              /* one presentation string per RR: TXT strings concatenated,
	                                 * A/AAAA address, MX host (sorted like mx), TLSA "3 1 1 ABCD..",
	                                 * CNAME target */
	struct dns_mx *mx;              /* DNS_MX: sorted by preference, then host; else NULL */
	size_t n_mx;
	struct dns_tlsa *tlsa;          /* DNS_TLSA, in answer order; else NULL */
	size_t n_tlsa;
};

struct dns;

/*
 * Creates a resolver context.  Returns it (caller releases with dns_free())
 * or NULL with err set (bad resolver address, unreadable trust anchor file).
 * An explicit resolver also gets the RFC 6761 `test.` zone (local test set-ups).
 */
struct dns *dns_new(const struct dns_options *o, struct err *err);

/*
 * A stub answering every lookup with fn (unit tests only).  fn fills ans
 * (status, secure, rr, mx, tlsa, cnames, all owned by ans) and returns 0,
 * or -1 with err set.  qname is already in A-labels.
 */
typedef int dns_stub_fn(void *ctx, const char *qname, enum dns_type type,
    struct dns_answer *ans, struct err *err);
struct dns *dns_new_stub(dns_stub_fn *fn, void *ctx);

/* Releases d. NULL is a no-op. */
void dns_free(struct dns *d);

/* What d's lookups go through: "libunbound", "c-ares" or "stub". */
const char *dns_transport_name(const struct dns *d);

/*
 * Looks up name (U-labels are converted to A-labels, R-3.1) for type.
 * Returns 0 when the lookup ran (the outcome is in ans->status; TXT/MX/A/
 * AAAA/TLSA data decoded into ans), or -1 with err set when it could not be
 * made (invalid name, libunbound failure).  Clears ans first.
 */
int dns_lookup(struct dns *d, enum dns_type type, const char *name,
    struct dns_answer *ans, struct err *err);

/*
 * Starts a lookup of name for type and returns at once: *q is set to the
 * query in flight (release it with dns_query_finish(), which every started
 * query must reach).  Its timeout counts from now.  Returns 0, or -1 with
 * err set when it could not be started (invalid name, libunbound failure;
 * *q is NULL then).  Any number may be in flight on one struct dns.
 */
struct dns_query;
int dns_query_start(struct dns *d, enum dns_type type, const char *name,
    struct dns_query **q, struct err *err);

/*
 * Waits for query *q (answers of other queries in flight are taken in
 * meanwhile, and kept for their own finish), fills ans as dns_lookup()
 * does, and releases *q (set to NULL).  Returns as dns_lookup().  Clears
 * ans first.  With ans NULL the query is only cancelled and released.
 */
int dns_query_finish(struct dns *d, struct dns_query **q, struct dns_answer *ans,
    struct err *err);

/* Converts a domain name to A-labels (libidn2, IDNA 2008 non-transitional)
 * and drops a trailing dot.  Returns a new string (caller frees) or NULL with
 * err set.  ASCII names are returned unchanged (labels like _smtp allowed). */
char *dns_name_to_ascii(const char *name, struct err *err);

/* Releases what ans owns and zeroes it. */
void dns_answer_clear(struct dns_answer *ans);

/* "ok", "nxdomain", "nodata", "servfail", "timeout", "bogus". */
const char *dns_status_name(enum dns_status s);

#endif
