/*
 * check_dane: TLSA records of every MX host (RFC 7672): _25._tcp.<mx>.
 * DANE only counts when the TLSA RRset (and the MX RRset) are DNSSEC-
 * secure, and only DANE-TA(2) and DANE-EE(3) records are usable for SMTP
 * (RFC 7672 §3.1.3); PKIX-TA(0)/PKIX-EE(1) are ignored by senders.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "util/xalloc.h"

/* Hex length a matching type implies (0: any). */
static size_t
hex_len(unsigned mtype)
{
	return mtype == 1 ? 64 : mtype == 2 ? 128 : 0;
}

/* Returns 1 if host has secure, usable TLSA records. */
static int
check_host(struct check_io *io, const char *host, int mx_secure, struct findings *out)
{
	struct dns_answer a = { 0 };
	struct err err = { { 0 } };
	char *name = xasprintf("_25._tcp.%s", host);
	size_t i, usable = 0, malformed = 0;
	int ok = 0;

	if (dns_lookup(io->dns, DNS_TLSA, name, &a, &err) < 0) {
		findings_add(out, "dane.tlsa", SEV_ERROR, NULL, "cannot look up %s: %s", name, err.msg);
		goto out;
	}
	switch (a.status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		findings_add(out, "dane.tlsa", SEV_OK, NULL, "no TLSA records at %s: DANE is not used for %s",
		    a.qname, host);
		goto out;
	case DNS_BOGUS:
		findings_add(out, "dane.tlsa", SEV_ERROR, "fix the zone's DNSSEC signatures",
		    "DNSSEC validation of %s failed (%s): DANE senders defer mail to %s", a.qname,
		    a.why ? a.why : "bogus", host);
		goto out;
	default:
		findings_add(out, "dane.tlsa", SEV_WARNING,
		    "make the name servers answer TLSA queries (NXDOMAIN/NODATA when there are none)",
		    "TLSA lookup for %s failed (%s): DANE senders may defer mail", a.qname, dns_status_name(a.status));
		goto out;
	}
	for (i = 0; i < a.n_tlsa; i++) {
		const struct dns_tlsa *t = &a.tlsa[i];
		size_t want = hex_len(t->mtype);
		if (t->usage > 3 || t->selector > 1 || t->mtype > 2 || (want && strlen(t->hex) != want)) {
			malformed++;
			findings_add(out, "dane.tlsa", SEV_ERROR,
			    "use usage 2 or 3, selector 0 or 1, matching type 1 (SHA-256, 64 hex digits) or 2",
			    "TLSA %s \"%s\" is malformed", a.qname, a.rr.v[i]);
		} else if (t->usage == 2 || t->usage == 3) {
			usable++;
		}
	}
	findings_add(out, "dane.tlsa", SEV_OK, NULL, "%zu TLSA record%s at %s (%zu usable for SMTP): %s%s",
	    a.n_tlsa, a.n_tlsa == 1 ? "" : "s", a.qname, usable, a.rr.v[0], a.n_tlsa > 1 ? " ..." : "");
	if (usable == 0)
		findings_add(out, "dane.tlsa", SEV_ERROR,
		    "publish DANE-EE (3 1 1 <SHA-256 of the key>) or DANE-TA (2 x x) records",
		    "no usable TLSA record at %s: usages 0 and 1 (PKIX) are not used for SMTP (RFC 7672 §3.1.3)",
		    a.qname);
	else if (usable + malformed < a.n_tlsa)
		findings_add(out, "dane.tlsa", SEV_WARNING, "remove the usage 0/1 records",
		    "some TLSA records at %s have usage 0 or 1 (PKIX), which SMTP senders ignore", a.qname);
	if (!a.secure)
		findings_add(out, "dane.tlsa", SEV_WARNING,
		    "sign the zone with DNSSEC (and publish its DS), or remove the TLSA records",
		    "TLSA records at %s are not DNSSEC-secure: without DNSSEC they are useless for DANE, "
		    "senders ignore them", a.qname);
	else if (!mx_secure)
		findings_add(out, "dane.tlsa", SEV_WARNING, "sign the domain's zone so its MX RRset is secure",
		    "the MX records are not DNSSEC-secure: senders do not apply DANE to %s", host);
	ok = a.secure && mx_secure && usable > 0;
	if (ok)
		findings_add(out, "dane.tlsa", SEV_OK, NULL, "DANE is in force for %s: its TLSA and the MX records "
		    "are DNSSEC-secure", host);
out:
	dns_answer_clear(&a);
	free(name);
	return ok;
}

int
check_dane(struct check_io *io, const struct check_mx *mx, struct findings *out)
{
	size_t i;
	int all = mx->hosts.n > 0;

	for (i = 0; i < mx->hosts.n; i++)
		if (!check_host(io, mx->hosts.v[i], mx->secure, out))
			all = 0;
	return all;
}
