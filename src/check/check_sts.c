/*
 * check_sts: MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file
 * at https://mta-sts.<domain>/.well-known/mta-sts.txt (fetched with the
 * RFC 8461 §3.3 rules: https, valid certificate, 200 only, 64 KiB), its
 * syntax, mode and max_age, and whether its mx patterns cover the real
 * MX set (§4.1).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check/check.h"
#include "model/sts_policy.h"
#include "model/sts_record.h"
#include "util/xalloc.h"

#define MIN_MAX_AGE 86400

/* Returns 1 if the record is present and valid. */
static int
check_record(struct check_io *io, const char *domain, struct findings *out)
{
	struct dns_answer a = { 0 };
	struct sts_record rec = { 0 };
	struct strlist w = { 0 };
	struct err err = { { 0 } };
	char *name = xasprintf("_mta-sts.%s", domain);
	int chosen, ok = 0;
	size_t i;

	if (dns_lookup(io->dns, DNS_TXT, name, &a, &err) < 0) {
		findings_add(out, "mta-sts.record", SEV_ERROR, NULL, "cannot look up %s: %s", name, err.msg);
		goto out;
	}
	if (a.cnames.n > 1)
		findings_add(out, "mta-sts.record", SEV_OK, NULL, "CNAME chain followed: %s -> %s", a.cnames.v[0],
		    a.cnames.v[a.cnames.n - 1]);
	if (a.status == DNS_NXDOMAIN || a.status == DNS_NODATA) {
		findings_add(out, "mta-sts.record", SEV_OK, NULL, "no MTA-STS record at %s: MTA-STS is not used",
		    a.qname);
		goto out;
	}
	if (a.status != DNS_OK) {
		findings_add(out, "mta-sts.record", SEV_ERROR, "make the zone's name servers (and DNSSEC) answer",
		    "lookup of %s failed (%s%s%s)", a.qname, dns_status_name(a.status), a.why ? ": " : "",
		    a.why ? a.why : "");
		goto out;
	}
	if (record_sts_select((const char *const *)a.rr.v, a.rr.n, &rec, &w, &chosen, &err) < 0) {
		findings_add(out, "mta-sts.record", SEV_ERROR,
		    "publish exactly one record like: v=STSv1; id=20240101T000000",
		    "%s: %s", a.qname, err.msg);
		goto out;
	}
	findings_add(out, "mta-sts.record", SEV_OK, NULL, "MTA-STS record at %s: \"%s\"", a.qname, a.rr.v[chosen]);
	for (i = 0; i < w.n; i++)
		findings_add(out, "mta-sts.record", SEV_WARNING, NULL, "%s", w.v[i]);
	ok = 1;
out:
	record_sts_clear(&rec);
	strlist_clear(&w);
	dns_answer_clear(&a);
	free(name);
	return ok;
}

static void
check_mx_cover(const struct sts_policy *p, const struct check_mx *mx, struct findings *out)
{
	size_t i, j;
	int bad = 0, used;
	char *fix;

	for (i = 0; i < mx->hosts.n; i++) {
		if (sts_policy_allows_mx(p, mx->hosts.v[i]))
			continue;
		bad = 1;
		fix = xasprintf("add \"mx: %s\" (or a matching \"*.\" pattern) to the policy", mx->hosts.v[i]);
		findings_add(out, "mta-sts.mx", SEV_ERROR, fix, "MX host %s matches no mx pattern of the policy: "
		    "senders applying it %s", mx->hosts.v[i],
		    p->mode == STS_MODE_ENFORCE ? "will not deliver to it" : "report a validation failure");
		free(fix);
	}
	for (j = 0; j < p->mx.n; j++) {
		for (used = 0, i = 0; i < mx->hosts.n && !used; i++)
			used = sts_mx_match(p->mx.v[j], mx->hosts.v[i]);
		if (!used)
			findings_add(out, "mta-sts.mx", SEV_WARNING, "remove mx lines that no longer name a mail server",
			    "mx pattern \"%s\" matches none of the MX hosts", p->mx.v[j]);
	}
	if (!bad)
		findings_add(out, "mta-sts.mx", SEV_OK, NULL, "every MX host matches the policy's mx patterns");
}

/* Returns 1 if a valid policy in mode testing or enforce was fetched. */
static int
check_policy(struct check_io *io, const char *domain, const struct check_mx *mx, struct findings *out)
{
	char *host = xasprintf("mta-sts.%s", domain);
	char *url = xasprintf("https://%s/.well-known/mta-sts.txt", host);
	struct https_response r = { 0 };
	struct sts_policy p = { 0 };
	struct strlist w = { 0 };
	struct err err = { { 0 } };
	int ok = 0;
	size_t i;

	if (check_https_get(io, url, host, 0, &r, &err) < 0) {
		if (r.cert_error)
			findings_add(out, "mta-sts.policy", SEV_ERROR,
			    "install a certificate whose subjectAltName holds the mta-sts host, from a CA senders trust",
			    "certificate of %s is not valid: %s", host, err.msg);
		else
			findings_add(out, "mta-sts.policy", SEV_ERROR,
			    "serve the policy over HTTPS on port 443 at /.well-known/mta-sts.txt",
			    "policy cannot be fetched: %s", err.msg);
		goto out;
	}
	if (r.status != 200) {
		findings_add(out, "mta-sts.policy", SEV_ERROR,
		    "answer the policy URL with 200 and the policy itself (no redirect)",
		    "%s answered HTTP %ld: only 200 is valid, redirects are not followed (RFC 8461 §3.3)", url, r.status);
		goto out;
	}
	if (r.content_type == NULL || strncasecmp(r.content_type, "text/plain", 10) != 0)
		findings_add(out, "mta-sts.policy", SEV_WARNING, "serve the policy as Content-Type: text/plain",
		    "%s has Content-Type \"%s\"; RFC 8461 §3.2 says text/plain", url,
		    r.content_type ? r.content_type : "(none)");
	if (sts_policy_parse(r.body, r.body_len, &p, &w, &err) < 0) {
		findings_add(out, "mta-sts.policy", SEV_ERROR,
		    "write the policy as lines \"version: STSv1\", \"mode: enforce|testing|none\", \"mx: HOST\" "
		    "(one per MX), \"max_age: SECONDS\"", "policy at %s is invalid: %s", url, err.msg);
		goto out;
	}
	for (i = 0; i < w.n; i++)
		findings_add(out, "mta-sts.policy", SEV_WARNING, NULL, "%s", w.v[i]);
	findings_add(out, "mta-sts.policy", SEV_OK, NULL, "policy at %s: mode %s, max_age %ld, %zu mx pattern%s",
	    url, sts_mode_name(p.mode), p.max_age, p.mx.n, p.mx.n == 1 ? "" : "s");
	if (p.mode == STS_MODE_NONE)
		findings_add(out, "mta-sts.policy", SEV_WARNING, "set mode: testing, then enforce",
		    "mode none: the policy is switched off, senders treat the domain as having none");
	else if (p.mode == STS_MODE_TESTING)
		findings_add(out, "mta-sts.policy", SEV_OK, NULL,
		    "mode testing: failures are reported but mail is still delivered; "
		    "switch to enforce once the reports are clean");
	if (p.max_age < MIN_MAX_AGE)
		findings_add(out, "mta-sts.policy", SEV_WARNING, "use max_age: 604800 (a week) or more, up to 31557600",
		    "max_age %ld is less than a day: the policy protects little against downgrade", p.max_age);
	if (mx->ok && p.mode != STS_MODE_NONE)
		check_mx_cover(&p, mx, out);
	ok = p.mode != STS_MODE_NONE;
out:
	sts_policy_clear(&p);
	strlist_clear(&w);
	https_response_clear(&r);
	free(host);
	free(url);
	return ok;
}

int
check_sts(struct check_io *io, const char *domain, const struct check_mx *mx, struct findings *out)
{
	if (!check_record(io, domain, out))
		return 0;
	return check_policy(io, domain, mx, out);
}
