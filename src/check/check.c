/*
 * check: the driver of `tlsrpt check` (see check.h): MX set first (both
 * MTA-STS and DANE need it), then the TLSRPT record, MTA-STS, DANE, and a
 * closing finding when neither MTA-STS nor DANE protects the domain (a
 * TLSRPT record alone gives reports with "no-policy-found" only).
 */
#include "check/check.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

void
check_mx_clear(struct check_mx *mx)
{
	strlist_clear(&mx->hosts);
	memset(mx, 0, sizeof(*mx));
}

void
check_mx_lookup(struct check_io *io, const char *domain, struct check_mx *mx, struct findings *out)
{
	struct dns_answer a = { 0 };
	struct err err = { { 0 } };
	size_t i;

	memset(mx, 0, sizeof(*mx));
	if (dns_lookup(io->dns, DNS_MX, domain, &a, &err) < 0) {
		findings_add(out, "mx", SEV_ERROR, NULL, "MX lookup failed: %s", err.msg);
		goto out;
	}
	switch (a.status) {
	case DNS_OK:
		if (a.n_mx == 1 && a.mx[0].host[0] == '\0') {
			mx->null_mx = 1;
			findings_add(out, "mx", SEV_WARNING, "remove the null MX if the domain should receive mail",
			    "%s has a null MX (\"0 .\"): it receives no mail, so TLS reporting does not apply",
			    a.qname);
			goto out;
		}
		mx->ok = 1;
		mx->secure = a.secure;
		for (i = 0; i < a.n_mx; i++)
			strlist_add(&mx->hosts, a.mx[i].host);
		findings_add(out, "mx", SEV_OK, NULL, "MX hosts of %s: %s%s%s%s", a.qname, mx->hosts.v[0],
		    a.n_mx > 1 ? ", " : "", a.n_mx > 1 ? mx->hosts.v[1] : "", a.n_mx > 2 ? ", ..." : "");
		break;
	case DNS_NODATA:
		mx->ok = 1;
		mx->secure = a.secure;
		strlist_add(&mx->hosts, a.qname);
		findings_add(out, "mx", SEV_WARNING, "publish an MX record naming your mail server",
		    "%s has no MX record: senders fall back to its A/AAAA address (implicit MX)", a.qname);
		break;
	case DNS_NXDOMAIN:
		findings_add(out, "mx", SEV_ERROR, "check the spelling, or create the domain",
		    "%s does not exist (NXDOMAIN)", a.qname);
		break;
	default:
		findings_add(out, "mx", SEV_ERROR, "make the domain's name servers answer",
		    "MX lookup for %s failed: %s%s%s", a.qname, dns_status_name(a.status),
		    a.why ? ": " : "", a.why ? a.why : "");
		break;
	}
out:
	dns_answer_clear(&a);
}

/* 1 if list has an entry for host ("host:...", or ":..." for any host). */
static int
has_host_entry(const struct strlist *l, const char *host)
{
	size_t i, n = strlen(host);

	for (i = 0; l != NULL && i < l->n; i++)
		if (l->v[i][0] == ':' || (strncasecmp(l->v[i], host, n) == 0 && l->v[i][n] == ':'))
			return 1;
	return 0;
}

/* The port of an https URL (443 unless given). */
static long
url_port(const char *url)
{
	CURLU *u = curl_url();
	char *port = NULL;
	long p = 443;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		p = strtol(port, NULL, 10);
	curl_free(port);
	curl_url_cleanup(u);
	return p;
}

int
check_https_get(struct check_io *io, const char *url, const char *host, int head_only,
    struct https_response *r, struct err *err)
{
	struct https_options o = io->https;
	struct strlist resolve = { 0 };
	struct dns_answer a = { 0 };
	size_t i;
	long port;
	int rc;

	o.head_only = head_only;
	if (io->get == NULL && !has_host_entry(io->https.resolve, host) &&
	    !has_host_entry(io->https.connect_to, host)) {
		/* the chosen resolver decides where the host is, not the system's */
		if (dns_lookup(io->dns, DNS_A, host, &a, NULL) == 0 && a.status != DNS_OK)
			dns_lookup(io->dns, DNS_AAAA, host, &a, NULL);
		for (i = 0; io->https.resolve != NULL && i < io->https.resolve->n; i++)
			strlist_add(&resolve, io->https.resolve->v[i]);
		port = url_port(url);
		for (i = 0; a.status == DNS_OK && i < a.rr.n; i++)
			strlist_addf(&resolve, strchr(a.rr.v[i], ':') ? "%s:%ld:[%s]" : "%s:%ld:%s", host, port, a.rr.v[i]);
		o.resolve = &resolve;
		if (a.qname != NULL && a.status != DNS_OK) {
			err_set(err, "%s has no address (%s)", host, dns_status_name(a.status));
			rc = -1;
			goto out;
		}
	}
	rc = io->get != NULL ? io->get(io->get_ctx, &o, url, r, err) : https_get(&o, url, r, err);
out:
	dns_answer_clear(&a);
	strlist_clear(&resolve);
	return rc;
}

void
check_cname_chain(const struct dns_answer *a, struct findings *out, const char *check)
{
	char *chain = NULL, *t;
	size_t i;

	if (a->cnames.n == 0)
		return;
	chain = xstrdup(a->cnames.v[0]);
	for (i = 1; i < a->cnames.n; i++) {
		t = xasprintf("%s -> %s", chain, a->cnames.v[i]);
		free(chain);
		chain = t;
	}
	findings_add(out, check, SEV_OK, NULL, "CNAME chain followed: %s", chain);
	free(chain);
}

int
check_domain(struct check_io *io, const char *domain, struct findings *out, struct err *err)
{
	struct check_mx mx = { 0 };
	char *ascii;
	int sts, dane;

	ascii = dns_name_to_ascii(domain, err);
	if (ascii == NULL)
		return -1;
	if (strcmp(ascii, domain) != 0)
		findings_add(out, "domain", SEV_OK, NULL, "%s is queried as %s (A-labels)", domain, ascii);
	check_tlsrpt(io, ascii, out);
	check_mx_lookup(io, ascii, &mx, out);
	if (!mx.null_mx) {
		sts = check_sts(io, ascii, &mx, out);
		dane = mx.ok ? check_dane(io, &mx, out) : 0;
		if (!sts && !dane)
			findings_add(out, "policy", SEV_WARNING,
			    "publish an MTA-STS policy (mode testing, then enforce) or sign the zone and publish TLSA records",
			    "neither MTA-STS nor DANE protects mail to %s: senders use opportunistic TLS, "
			    "and TLSRPT reports can only say \"no-policy-found\"", ascii);
	}
	check_mx_clear(&mx);
	free(ascii);
	return 0;
}
