/*
 * check_tlsrpt: the _smtp._tls.<domain> record (RFC 8460 §3) and where its
 * rua URIs lead: a mailto: domain must accept mail (MX, or an address as
 * implicit MX), an https: endpoint must answer with a valid certificate.
 * Record rules and messages come from model/tlsrpt_record.
 */
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "model/tlsrpt_record.h"
#include "util/xalloc.h"

#define CHECK "tlsrpt.record"

/* A parser warning "what: fix" becomes message "what" and fix "fix". */
static void
add_warning(struct findings *out, char *w)
{
	char *sep = NULL, *p;

	for (p = strstr(w, ": "); p != NULL; p = strstr(p + 2, ": "))
		sep = p;
	if (sep == NULL) {
		findings_add(out, CHECK, SEV_WARNING, NULL, "%s", w);
		return;
	}
	*sep = '\0';
	findings_add(out, CHECK, SEV_WARNING, sep + 2, "%s", w);
	*sep = ':';
}

/* The mailto: domain must be able to receive the report mail. */
static void
check_mailto(struct check_io *io, const struct rua *r, struct findings *out)
{
	struct dns_answer a = { 0 };
	struct err err = { { 0 } };

	if (dns_lookup(io->dns, DNS_MX, r->host, &a, &err) < 0) {
		findings_add(out, "tlsrpt.rua", SEV_ERROR, "use a mail address in a valid domain",
		    "%s: cannot look up %s: %s", r->uri, r->host, err.msg);
		goto out;
	}
	if (a.status == DNS_OK && a.n_mx == 1 && a.mx[0].host[0] == '\0') {
		findings_add(out, "tlsrpt.rua", SEV_ERROR, "use an address in a domain that receives mail",
		    "%s: %s has a null MX and receives no mail", r->uri, r->host);
	} else if (a.status == DNS_OK) {
		findings_add(out, "tlsrpt.rua", SEV_OK, NULL, "%s: %s receives mail (MX %s)", r->uri, r->host,
		    a.mx[0].host);
	} else if (a.status == DNS_NODATA) {
		dns_lookup(io->dns, DNS_A, r->host, &a, NULL);
		if (a.status != DNS_OK)
			dns_lookup(io->dns, DNS_AAAA, r->host, &a, NULL);
		if (a.status == DNS_OK)
			findings_add(out, "tlsrpt.rua", SEV_WARNING, "publish an MX record for the report domain",
			    "%s: %s has no MX; mail is delivered to its address %s (implicit MX)", r->uri, r->host,
			    a.rr.v[0]);
		else
			findings_add(out, "tlsrpt.rua", SEV_ERROR, "publish an MX record for the report domain",
			    "%s: %s has neither MX nor address records: reports cannot be delivered", r->uri, r->host);
	} else if (a.status == DNS_NXDOMAIN) {
		findings_add(out, "tlsrpt.rua", SEV_ERROR, "use an address in a domain that exists",
		    "%s: domain %s does not exist (NXDOMAIN)", r->uri, r->host);
	} else {
		findings_add(out, "tlsrpt.rua", SEV_WARNING, "make the report domain's name servers answer",
		    "%s: MX lookup for %s failed (%s): could not check it", r->uri, r->host, dns_status_name(a.status));
	}
out:
	dns_answer_clear(&a);
}

/* The https: endpoint must answer over TLS with a certificate that verifies. */
static void
check_https(struct check_io *io, const struct rua *r, struct findings *out)
{
	struct https_response resp = { 0 };
	struct err err = { { 0 } };

	if (check_https_get(io, r->uri, r->host, 1, &resp, &err) < 0) {
		if (resp.cert_error)
			findings_add(out, "tlsrpt.rua", SEV_ERROR,
			    "install a certificate for the host from a CA senders trust (with its chain)",
			    "%s: certificate not valid: %s", r->uri, err.msg);
		else
			findings_add(out, "tlsrpt.rua", SEV_ERROR,
			    "make the endpoint reachable over HTTPS on port 443 (or the port in the URL)",
			    "%s: not reachable: %s", r->uri, err.msg);
	} else {
		findings_add(out, "tlsrpt.rua", SEV_OK, NULL,
		    "%s answers over HTTPS with a valid certificate (HTTP %ld to HEAD; reports are POSTed)",
		    r->uri, resp.status);
	}
	https_response_clear(&resp);
}

void
check_tlsrpt(struct check_io *io, const char *domain, struct findings *out)
{
	struct dns_answer a = { 0 };
	struct tlsrpt_record rec = { 0 };
	struct strlist warnings = { 0 };
	struct err err = { { 0 } };
	char *name = xasprintf("_smtp._tls.%s", domain);
	char *example = xasprintf("publish one TXT record: _smtp._tls.%s. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"",
	    domain, domain);
	int chosen;
	size_t i;

	if (dns_lookup(io->dns, DNS_TXT, name, &a, &err) < 0) {
		findings_add(out, CHECK, SEV_ERROR, NULL, "cannot look up %s: %s", name, err.msg);
		goto out;
	}
	check_cname_chain(&a, out, CHECK);
	switch (a.status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		findings_add(out, CHECK, SEV_ERROR, example, "no TLSRPT record at %s (%s): senders send no reports",
		    a.qname, dns_status_name(a.status));
		goto out;
	case DNS_BOGUS:
		findings_add(out, CHECK, SEV_ERROR, "fix the zone's DNSSEC signatures (or its DS record at the parent)",
		    "DNSSEC validation failed for %s: %s", a.qname, a.why ? a.why : "bogus");
		goto out;
	default:
		findings_add(out, CHECK, SEV_ERROR, "make the zone's name servers answer for this name",
		    "lookup of %s failed temporarily (%s%s%s): senders retry, then drop the day's report",
		    a.qname, dns_status_name(a.status), a.why ? ": " : "", a.why ? a.why : "");
		goto out;
	}
	if (record_tlsrpt_select((const char *const *)a.rr.v, a.rr.n, &rec, &warnings, &chosen, &err) < 0) {
		findings_add(out, CHECK, SEV_ERROR, chosen < 0 && a.rr.n > 1 ? "keep exactly one v=TLSRPTv1 TXT record"
		    : example, "%s%s%s%s: %s", a.qname, chosen >= 0 ? " \"" : "", chosen >= 0 ? a.rr.v[chosen] : "",
		    chosen >= 0 ? "\"" : "", err.msg);
		goto out;
	}
	findings_add(out, CHECK, SEV_OK, NULL, "TLSRPT record at %s%s: \"%s\"", a.qname,
	    a.secure ? " (DNSSEC-secure)" : "", a.rr.v[chosen]);
	for (i = 0; i < warnings.n; i++)
		add_warning(out, warnings.v[i]);
	for (i = 0; i < rec.extensions.n; i++)
		findings_add(out, CHECK, SEV_OK, NULL, "extension field \"%s\" (ignored by senders)", rec.extensions.v[i]);
	for (i = 0; i < rec.n_rua; i++) {
		if (rec.rua[i].scheme == RUA_MAILTO)
			check_mailto(io, &rec.rua[i], out);
		else if (rec.rua[i].scheme == RUA_HTTPS)
			check_https(io, &rec.rua[i], out);
	}
out:
	record_tlsrpt_clear(&rec);
	strlist_clear(&warnings);
	dns_answer_clear(&a);
	free(name);
	free(example);
}
