/*
 * resolve: TXT, HTTPS policy and DANE lookups for policyd (see resolve.h).
 */
#include "policyd/resolve.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/sts_record.h"
#include "util/xalloc.h"

void
policyd_resolve_txt(struct dns *dns, const char *domain, struct policyd_result *res,
    char **why)
{
	struct dns_answer a = { 0 };
	struct sts_record rec = { 0 };
	struct err err = { { 0 } };
	char *name = xasprintf("_mta-sts.%s", domain);
	char *reason = NULL;

	res->txt = POLICYD_TXT_TEMP;
	if (dns_lookup(dns, DNS_TXT, name, &a, &err) < 0) {
		reason = xasprintf("%s: %s", name, err.msg);
		goto out;
	}
	switch (a.status) {
	case DNS_OK:
		if (record_sts_select((const char *const *)a.rr.v, a.rr.n, &rec, NULL, NULL, &err) < 0) {
			res->txt = POLICYD_TXT_NONE;
			reason = xasprintf("%s: %s (treated as no record, RFC 8461 §3.1)", name, err.msg);
			goto out;
		}
		res->txt = POLICYD_TXT_OK;
		res->id = rec.id;
		rec.id = NULL;
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		res->txt = POLICYD_TXT_NONE;
		reason = xasprintf("%s: no record (%s)", name, dns_status_name(a.status));
		break;
	default:
		reason = xasprintf("%s: lookup failed (%s%s%s)", name, dns_status_name(a.status),
		    a.why ? ": " : "", a.why ? a.why : "");
		break;
	}
out:
	if (why != NULL)
		*why = reason;
	else
		free(reason);
	record_sts_clear(&rec);
	dns_answer_clear(&a);
	free(name);
}

static void
failed(struct policyd_result *res, enum policyd_failure f, char *msg)
{
	res->failure = f;
	free(res->failure_msg);
	res->failure_msg = msg;
}

void
policyd_resolve_policy(const struct https_options *o, const char *domain,
    struct policyd_result *res)
{
	char *url = xasprintf("https://mta-sts.%s/.well-known/mta-sts.txt", domain);
	struct https_response r = { 0 };
	struct err err = { { 0 } };
	const char *ct;
	size_t n;

	res->fetched = 1;
	res->failure = POLICYD_FAIL_NONE;
	if (https_get(o, url, &r, &err) < 0) {
		failed(res, r.cert_error ? POLICYD_FAIL_WEBPKI : POLICYD_FAIL_FETCH, xstrdup(err.msg));
		goto out;
	}
	if (r.status != 200) {
		failed(res, POLICYD_FAIL_FETCH, xasprintf("%s: HTTP %ld%s", url, r.status,
		    r.status >= 300 && r.status < 400 ? " (a redirect: not followed, RFC 8461 §3.3)" : ""));
		goto out;
	}
	/* RFC 8461 §3.2: media type text/plain (parameters allowed) */
	ct = r.content_type != NULL ? r.content_type : "";
	n = strcspn(ct, "; \t");
	if (n != 10 || strncasecmp(ct, "text/plain", 10) != 0) {
		failed(res, POLICYD_FAIL_INVALID, xasprintf("%s: Content-Type \"%s\", not text/plain", url, ct));
		goto out;
	}
	if (sts_policy_parse_capped(r.body, r.body_len, &res->policy, NULL, &err) < 0) {
		failed(res, POLICYD_FAIL_INVALID, xasprintf("%s: %s", url, err.msg));
		sts_policy_clear(&res->policy);
		goto out;
	}
	res->body = r.body;
	r.body = NULL;
out:
	https_response_clear(&r);
	free(url);
}

/* 0: no TLSA; 1: DNSSEC-secure usable TLSA (DANE-TA/DANE-EE, RFC 7672
 * §3.1.3); -1: the lookup failed. */
static int
host_tlsa(struct dns *dns, const char *host)
{
	struct dns_answer a = { 0 };
	char *name = xasprintf("_25._tcp.%s", host);
	int rc = -1;
	size_t i;

	if (dns_lookup(dns, DNS_TLSA, name, &a, NULL) < 0)
		goto out;
	switch (a.status) {
	case DNS_OK:
		rc = 0;
		if (!a.secure)
			break;
		for (i = 0; i < a.n_tlsa; i++)
			if ((a.tlsa[i].usage == 2 || a.tlsa[i].usage == 3) && a.tlsa[i].selector <= 1 &&
			    a.tlsa[i].mtype <= 2)
				rc = 1;
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		rc = 0;
		break;
	default:
		break;
	}
out:
	dns_answer_clear(&a);
	free(name);
	return rc;
}

void
policyd_resolve_dane(struct dns *dns, const char *domain, int64_t ttl, int64_t retry_ttl,
    struct policyd_result *res)
{
	struct dns_answer mx = { 0 };
	size_t i, n, usable = 0, temp = 0;
	int t;

	res->dane_checked = 1;
	res->dane = POLICYD_DANE_NO;
	res->dane_ttl = ttl;
	/* DANE needs a DNSSEC-validated MX set; without it (or without
	 * an answer) MTA-STS decides */
	if (dns_lookup(dns, DNS_MX, domain, &mx, NULL) < 0 || mx.status != DNS_OK || !mx.secure ||
	    mx.n_mx == 0 || mx.mx[0].host[0] == '\0') {
		if (mx.status == DNS_SERVFAIL || mx.status == DNS_TIMEOUT)
			res->dane_ttl = retry_ttl;
		goto out;
	}
	n = mx.n_mx < POLICYD_DANE_MAX_MX ? mx.n_mx : POLICYD_DANE_MAX_MX;
	for (i = 0; i < n; i++) {
		t = host_tlsa(dns, mx.mx[i].host);
		if (t > 0)
			usable++;
		else if (t < 0)
			temp++;
	}
	if (usable == n)
		res->dane = POLICYD_DANE_ALL;
	else if (temp > 0) {
		/* Postfix at level dane looks the TLSA records up itself and
		 * defers when that fails: never weaker than guessing here */
		res->dane = POLICYD_DANE_TEMP;
		res->dane_ttl = retry_ttl;
	} else if (usable > 0)
		res->dane = POLICYD_DANE_SOME;
out:
	dns_answer_clear(&mx);
}
