/*
 * dns_wire: an answer message into a struct dns_answer (see dns_wire.h).
 */
#include "net/dns_wire.h"

#include <arpa/nameser.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/dns_rdata.h"
#include "util/xalloc.h"

/* RDATA with its name expanded: room for a 2-byte preference and a name */
struct expanded {
	unsigned char d[2 + NS_MAXCDNAME];
};

/* Expands the name at rdata + skip of rr into x (after a copy of the skip
 * bytes before it).  Returns 0, or -1 when the RDATA is malformed. */
static int
expand_name(const ns_msg *m, const ns_rr *rr, size_t skip, struct expanded *x)
{
	if (ns_rr_rdlen(*rr) <= skip)
		return -1;
	memcpy(x->d, ns_rr_rdata(*rr), skip);
	/* at most NS_MAXCDNAME bytes of name, whatever skip is */
	return ns_name_unpack(ns_msg_base(*m), ns_msg_end(*m), ns_rr_rdata(*rr) + skip,
			      x->d + skip, NS_MAXCDNAME) < 0 ? -1 : 0;
}

/* The length of the uncompressed wire name n, its root label included. */
static size_t
wire_len(const unsigned char *n)
{
	size_t i = 0;

	while (n[i] != 0)
		i += (size_t)n[i] + 1;
	return i + 1;
}

/* Are wire names a and b equal, ASCII letters compared without case
 * (RFC 4343)?  Length octets (<= 63) are never letters. */
static int
wire_equal(const unsigned char *a, const unsigned char *b)
{
	size_t i, n = wire_len(a);

	if (wire_len(b) != n)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char la = a[i] | 0x20;

		if (a[i] != b[i] && (la != (b[i] | 0x20) || la < 'a' || la > 'z'))
			return 0;
	}
	return 1;
}

/* Is rr of type at the name cur (wire form), class IN? */
static int
rr_is(const ns_rr *rr, int type, const unsigned char *cur)
{
	unsigned char owner[NS_MAXCDNAME];

	return (int)ns_rr_type(*rr) == type && ns_rr_class(*rr) == ns_c_in
	    && ns_name_pton(ns_rr_name(*rr), owner, sizeof(owner)) >= 0
	    && wire_equal(owner, cur);
}

/* Moves cur (a wire name, NS_MAXCDNAME bytes) to the target of the CNAME
 * RR at cur, adding the target to ans->cnames (after qname, first time).
 * Returns 1 when there was one, 0 when cur is not an alias. */
static int
follow_one(ns_msg *m, struct dns_answer *ans, const char *qname, unsigned char *cur)
{
	struct expanded x;
	ns_rr rr;
	size_t used;
	char *target;
	int i;

	for (i = 0; i < ns_msg_count(*m, ns_s_an); i++) {
		if (ns_parserr(m, ns_s_an, i, &rr) < 0)
			return 0;
		if (!rr_is(&rr, ns_t_cname, cur) || expand_name(m, &rr, 0, &x) < 0)
			continue;
		target = dns_rdata_name(x.d, sizeof(x.d), &used);
		if (target == NULL)
			return 0;
		if (used > NS_MAXCDNAME) {      /* cannot be, but cur has no more room */
			free(target);
			return 0;
		}
		memcpy(cur, x.d, used);
		if (ans->cnames.n == 0)
			strlist_add(&ans->cnames, qname);
		strlist_add_owned(&ans->cnames, target);
		return 1;
	}
	return 0;
}

/* Decodes the RRs of type at cur into ans.  Returns how many there were. */
static size_t
decode_at(ns_msg *m, struct dns_answer *ans, int type, const unsigned char *cur)
{
	struct expanded x;
	ns_rr rr;
	size_t n = 0;
	int i;

	for (i = 0; i < ns_msg_count(*m, ns_s_an); i++) {
		if (ns_parserr(m, ns_s_an, i, &rr) < 0)
			break;
		if (!rr_is(&rr, type, cur))
			continue;
		if (type == DNS_MX || type == DNS_CNAME) {
			if (expand_name(m, &rr, type == DNS_MX ? 2 : 0, &x) < 0)
				continue;
			dns_rdata_decode(ans, type, x.d, sizeof(x.d));
		} else {
			dns_rdata_decode(ans, type, ns_rr_rdata(rr), ns_rr_rdlen(rr));
		}
		n++;
	}
	return n;
}

void
dns_wire_fill(struct dns_answer *ans, const char *qname, int type,
    const unsigned char *msg, size_t len)
{
	unsigned char cur[NS_MAXCDNAME];
	ns_msg m;
	int rcode, hops;

	if (len > INT32_MAX || ns_initparse(msg, (int)len, &m) < 0) {
		ans->status = DNS_SERVFAIL;
		ans->why = xstrdup("malformed answer from the resolver");
		return;
	}
	if (ns_name_pton(qname, cur, sizeof(cur)) < 0) {
		ans->status = DNS_SERVFAIL;
		ans->why = xstrdup("the name asked is not a valid DNS name");
		return;
	}
	for (hops = 0; type != DNS_CNAME && hops < DNS_MAX_CNAME_CHAIN; hops++)
		if (!follow_one(&m, ans, qname, cur))
			break;
	rcode = ns_msg_getflag(m, ns_f_rcode);
	if (rcode == ns_r_nxdomain) {
		ans->status = DNS_NXDOMAIN;
		return;
	}
	if (rcode != ns_r_noerror) {
		ans->status = DNS_SERVFAIL;
		ans->why = xasprintf("rcode %d", rcode);
		return;
	}
	if (decode_at(&m, ans, type, cur) == 0) {
		ans->status = DNS_NODATA;
		return;
	}
	ans->status = DNS_OK;
	if (type == DNS_MX)
		dns_rdata_sort_mx(ans);
}
