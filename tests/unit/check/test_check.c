/*
 * Unit tests for check/: the whole `tlsrpt check` logic on a stub resolver
 * and a stub HTTPS fetcher (no network).  Each scenario is a small "zone"
 * table, the policies served, the worst severity expected and findings
 * that must be present.  Covers REC-13, 18, 19, 25, 26, 27, 28 as seen by
 * the checker, MTA-STS and DANE findings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check/check.h"
#include "unit/check/findingtest.h"
#include "util/xalloc.h"

#define MAXRR 4

struct rrset {
	const char *qname;
	enum dns_type type;
	enum dns_status status;
	int secure;
	const char *rr[MAXRR];          /* MX: "10 host"; TLSA: "3 1 1 HEX"; else presentation */
	const char *cname;              /* if set: qname is an alias of this name */
};

struct page {
	const char *url;
	long status;
	const char *body;
	int cert_error;                 /* fail with a certificate error */
};

struct scenario {
	const char *name;
	const char *domain;
	struct rrset zone[16];
	struct page pages[4];
	enum severity worst;
	struct want want[6];
};

#define GOOD_POLICY "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 604800\n"
#define POLICY_URL "https://mta-sts.example.test/.well-known/mta-sts.txt"
#define BASE_MX { "example.test", DNS_MX, DNS_OK, 0, { "10 mx.example.test" }, NULL }
#define BASE_STS { "_mta-sts.example.test", DNS_TXT, DNS_OK, 0, { "v=STSv1; id=1" }, NULL }
#define BASE_RUA_MX { "rpt.example.test", DNS_MX, DNS_OK, 0, { "10 mx.rpt.example.test" }, NULL }
#define TLSRPT(txt) { "_smtp._tls.example.test", DNS_TXT, DNS_OK, 0, { txt }, NULL }
#define RUA "v=TLSRPTv1; rua=mailto:tls@rpt.example.test"

static const struct scenario scenarios[] = {
	{ "good domain", "example.test",
	  { TLSRPT(RUA), BASE_MX, BASE_STS, BASE_RUA_MX },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_OK,
	  { { "tlsrpt.record", SEV_OK, "TLSRPT record at _smtp._tls.example.test" },
	    { "tlsrpt.rua", SEV_OK, "rpt.example.test receives mail" },
	    { "mta-sts.policy", SEV_OK, "mode enforce, max_age 604800, 1 mx pattern" },
	    { "mta-sts.mx", SEV_OK, "every MX host matches" },
	    { "dane.tlsa", SEV_OK, "DANE is not used" } } },
	{ "REC-13 two records", "example.test",
	  { { "_smtp._tls.example.test", DNS_TXT, DNS_OK, 0, { RUA, "v=TLSRPTv1; rua=mailto:b@rpt.example.test" }, NULL },
	    BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_ERROR,
	  { { "tlsrpt.record", SEV_ERROR, "2 TLSRPT records" },
	    { "tlsrpt.record", SEV_ERROR, "fix:keep exactly one v=TLSRPTv1 TXT record" } } },
	{ "REC-18 only http", "example.test",
	  { TLSRPT("v=TLSRPTv1; rua=http://r.example.test/x"), BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_ERROR,
	  { { "tlsrpt.record", SEV_ERROR, "only mailto: and https: are supported" } } },
	{ "REC-19 ftp next to mailto", "example.test",
	  { TLSRPT("v=TLSRPTv1; rua=ftp://x.example/y,mailto:tls@rpt.example.test"), BASE_MX, BASE_STS,
	    BASE_RUA_MX },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_WARNING,
	  { { "tlsrpt.record", SEV_WARNING, "\"ftp:\" is not supported" },
	    { "tlsrpt.record", SEV_WARNING, "fix:remove it or use https:" },
	    { "tlsrpt.rua", SEV_OK, "receives mail" } } },
	{ "REC-25 CNAME chain shown", "example.test",
	  { { "_smtp._tls.example.test", DNS_TXT, DNS_OK, 0, { RUA }, "_smtp._tls.rpt.example.net" },
	    BASE_MX, BASE_STS, BASE_RUA_MX },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_OK,
	  { { "tlsrpt.record", SEV_OK, "CNAME chain followed: _smtp._tls.example.test -> _smtp._tls.rpt.example.net" } } },
	{ "REC-26 IDN domain queried in A-labels", "b\xc3\xbc" "cher.example",
	  { { "_smtp._tls.xn--bcher-kva.example", DNS_TXT, DNS_OK, 0, { RUA }, NULL },
	    { "xn--bcher-kva.example", DNS_MX, DNS_OK, 0, { "10 mx.example.test" }, NULL },
	    { "_mta-sts.xn--bcher-kva.example", DNS_TXT, DNS_OK, 0, { "v=STSv1; id=1" }, NULL }, BASE_RUA_MX },
	  { { "https://mta-sts.xn--bcher-kva.example/.well-known/mta-sts.txt", 200, GOOD_POLICY, 0 } }, SEV_OK,
	  { { "domain", SEV_OK, "queried as xn--bcher-kva.example" },
	    { "tlsrpt.record", SEV_OK, "TLSRPT record at _smtp._tls.xn--bcher-kva.example" } } },
	{ "REC-27 NXDOMAIN", "example.test",
	  { BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_ERROR,
	  { { "tlsrpt.record", SEV_ERROR, "no TLSRPT record at _smtp._tls.example.test (nxdomain)" },
	    { "tlsrpt.record", SEV_ERROR, "fix:publish one TXT record" } } },
	{ "REC-28 SERVFAIL", "example.test",
	  { { "_smtp._tls.example.test", DNS_TXT, DNS_SERVFAIL, 0, { NULL }, NULL }, BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_ERROR,
	  { { "tlsrpt.record", SEV_ERROR, "failed temporarily (servfail)" } } },
	{ "bogus DNSSEC", "example.test",
	  { { "_smtp._tls.example.test", DNS_TXT, DNS_BOGUS, 0, { NULL }, NULL }, BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 } }, SEV_ERROR,
	  { { "tlsrpt.record", SEV_ERROR, "DNSSEC validation failed" } } },
	{ "https rua with a bad certificate", "example.test",
	  { TLSRPT("v=TLSRPTv1; rua=https://r.example.test/tlsrpt"), BASE_MX, BASE_STS },
	  { { POLICY_URL, 200, GOOD_POLICY, 0 }, { "https://r.example.test/tlsrpt", 0, NULL, 1 } }, SEV_ERROR,
	  { { "tlsrpt.rua", SEV_ERROR, "certificate not valid" } } },
	{ "MX outside the policy, wildcard inside", "example.test",
	  { TLSRPT(RUA), { "example.test", DNS_MX, DNS_OK, 0, { "10 a.mx.example.test", "20 other.example.org" }, NULL },
	    BASE_STS, BASE_RUA_MX },
	  { { POLICY_URL, 200, "version: STSv1\nmode: testing\nmx: *.mx.example.test\nmax_age: 604800\n", 0 } },
	  SEV_ERROR,
	  { { "mta-sts.mx", SEV_ERROR, "MX host other.example.org matches no mx pattern" },
	    { "mta-sts.mx", SEV_ERROR, "fix:add \"mx: other.example.org\"" },
	    { "mta-sts.policy", SEV_OK, "mode testing" } } },
	{ "policy not found", "example.test",
	  { TLSRPT(RUA), BASE_MX, BASE_STS, BASE_RUA_MX },
	  { { POLICY_URL, 404, "", 0 } }, SEV_ERROR,
	  { { "mta-sts.policy", SEV_ERROR, "answered HTTP 404: only 200 is valid" } } },
	{ "no MTA-STS and no DANE", "example.test",
	  { TLSRPT(RUA), BASE_MX, BASE_RUA_MX },
	  { { NULL } }, SEV_WARNING,
	  { { "mta-sts.record", SEV_OK, "MTA-STS is not used" },
	    { "policy", SEV_WARNING, "neither MTA-STS nor DANE" } } },
	{ "TLSA without DNSSEC", "example.test",
	  { TLSRPT(RUA), BASE_MX, BASE_RUA_MX,
	    { "_25._tcp.mx.example.test", DNS_TLSA, DNS_OK, 0, { "3 1 1 " "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" }, NULL } },
	  { { NULL } }, SEV_WARNING,
	  { { "dane.tlsa", SEV_WARNING, "not DNSSEC-secure: without DNSSEC they are useless for DANE" },
	    { "policy", SEV_WARNING, "neither MTA-STS nor DANE" } } },
	{ "secure TLSA with PKIX usage only", "example.test",
	  { TLSRPT(RUA), { "example.test", DNS_MX, DNS_OK, 1, { "10 mx.example.test" }, NULL }, BASE_RUA_MX,
	    { "_25._tcp.mx.example.test", DNS_TLSA, DNS_OK, 1, { "1 0 1 " "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" }, NULL } },
	  { { NULL } }, SEV_ERROR,
	  { { "dane.tlsa", SEV_ERROR, "no usable TLSA record" } } },
	{ "secure usable DANE is enough without MTA-STS", "example.test",
	  { TLSRPT(RUA), { "example.test", DNS_MX, DNS_OK, 1, { "10 mx.example.test" }, NULL }, BASE_RUA_MX,
	    { "_25._tcp.mx.example.test", DNS_TLSA, DNS_OK, 1, { "3 1 1 " "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" }, NULL } },
	  { { NULL } }, SEV_OK,
	  { { "dane.tlsa", SEV_OK, "(1 usable for SMTP)" } } },
};


static int
stub_dns(void *ctx, const char *qname, enum dns_type type, struct dns_answer *ans, struct err *err)
{
	const struct scenario *s = ctx;
	const struct rrset *r;
	size_t i, j;
	int found_name = 0;
	unsigned a, b, c;
	char host[256], hex[256];

	(void)err;
	for (i = 0; i < 16 && s->zone[i].qname != NULL; i++) {
		r = &s->zone[i];
		if (strcmp(r->qname, qname) != 0)
			continue;
		found_name = 1;
		if (r->type != type)
			continue;
		ans->status = r->status;
		ans->secure = r->secure;
		if (r->cname != NULL) {
			strlist_add(&ans->cnames, qname);
			strlist_add(&ans->cnames, r->cname);
		}
		for (j = 0; j < MAXRR && r->rr[j] != NULL; j++) {
			if (type == DNS_MX && sscanf(r->rr[j], "%u %255s", &a, host) == 2) {
				ans->mx = xreallocarray(ans->mx, ans->n_mx + 1, sizeof(*ans->mx));
				ans->mx[ans->n_mx].pref = a;
				ans->mx[ans->n_mx++].host = xstrdup(host);
				strlist_add(&ans->rr, host);
			} else if (type == DNS_TLSA && sscanf(r->rr[j], "%u %u %u %255s", &a, &b, &c, hex) == 4) {
				ans->tlsa = xreallocarray(ans->tlsa, ans->n_tlsa + 1, sizeof(*ans->tlsa));
				ans->tlsa[ans->n_tlsa].usage = (uint8_t)a;
				ans->tlsa[ans->n_tlsa].selector = (uint8_t)b;
				ans->tlsa[ans->n_tlsa].mtype = (uint8_t)c;
				ans->tlsa[ans->n_tlsa++].hex = xstrdup(hex);
				strlist_add(&ans->rr, r->rr[j]);
			} else {
				strlist_add(&ans->rr, r->rr[j]);
			}
		}
		return 0;
	}
	ans->status = found_name ? DNS_NODATA : DNS_NXDOMAIN;
	return 0;
}

static int
stub_get(void *ctx, const struct https_options *o, const char *url, struct https_response *r, struct err *err)
{
	const struct scenario *s = ctx;
	size_t i;

	(void)o;
	for (i = 0; i < 4 && s->pages[i].url != NULL; i++) {
		if (strcmp(s->pages[i].url, url) != 0)
			continue;
		if (s->pages[i].cert_error) {
			r->cert_error = 1;
			err_set(err, "%s: SSL certificate problem: unable to get local issuer certificate", url);
			return -1;
		}
		r->status = s->pages[i].status;
		r->body = xstrdup(s->pages[i].body);
		r->body_len = strlen(r->body);
		r->content_type = xstrdup("text/plain");
		return 0;
	}
	err_set(err, "%s: Could not connect", url);
	return -1;
}

static void
test_check_scenarios(void **state)
{
	size_t i;
	struct findings f = { 0 };
	struct err err;

	(void)state;
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		struct check_io io = { 0 };
		io.dns = dns_new_stub(stub_dns, (void *)s);
		io.get = stub_get;
		io.get_ctx = (void *)s;
		assert_int_equal(check_domain(&io, s->domain, &f, &err), 0);
		findingtest_expect(s->name, &f, s->worst, s->want, 6, NULL);
		findings_clear(&f);
		dns_free(io.dns);
	}
}

static void
test_check_domain_rejects_empty_name(void **state)
{
	struct check_io io = { 0 };
	struct findings f = { 0 };
	struct err err = { { 0 } };

	(void)state;
	io.dns = dns_new_stub(stub_dns, (void *)&scenarios[0]);
	assert_int_equal(check_domain(&io, "", &f, &err), -1);
	assert_int_equal(f.n, 0);
	dns_free(io.dns);
}

static void
test_findings_worst_is_highest_severity(void **state)
{
	struct findings f = { 0 };

	(void)state;
	assert_int_equal(findings_worst(&f), SEV_OK);
	findings_add(&f, "a", SEV_WARNING, NULL, "w %d", 1);
	findings_add(&f, "b", SEV_OK, "x", "o");
	assert_int_equal(findings_worst(&f), SEV_WARNING);
	findings_add(&f, "c", SEV_ERROR, "fix it", "e");
	assert_int_equal(findings_worst(&f), SEV_ERROR);
	assert_string_equal(f.v[0].message, "w 1");
	assert_null(f.v[0].fix);
	assert_string_equal(f.v[2].fix, "fix it");
	findings_clear(&f);
	assert_int_equal(f.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_scenarios),
		cmocka_unit_test(test_check_domain_rejects_empty_name),
		cmocka_unit_test(test_findings_worst_is_highest_severity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
