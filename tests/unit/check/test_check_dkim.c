/*
 * Unit tests for check/check_dkim: `tlsrpt check --dkim-selector` on a
 * stub resolver.  Real RSA keys are made at start (OpenSSL): A is the
 * private key file given as --dkim-key, B another 2048-bit key, C a
 * 1024-bit and D a 512-bit one.  Each scenario is the TXT answer for
 * sel._domainkey.example.test ("{A}" etc. stand for that key's p= value),
 * the key file, the worst severity expected and findings that must be
 * present.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check/check.h"
#include "unit/check/findingtest.h"
#include "util/xalloc.h"

#define QNAME "sel._domainkey.example.test"

enum keyfile { KF_NONE, KF_A, KF_MISSING };

struct scenario {
	const char *name;
	enum dns_status status;
	int secure;
	const char *rr[3];
	const char *cname;
	enum keyfile keyfile;
	enum severity worst;
	struct want want[4];
};

static const struct scenario scenarios[] = {
	{ "good key, no s=, matches --dkim-key", DNS_OK, 0, { "v=DKIM1; h=sha256; k=rsa; p={A}" }, NULL, KF_A, SEV_OK,
	  { { "dkim.record", SEV_OK, "DKIM key record at " QNAME },
	    { "dkim.record", SEV_OK, "no s= tag: the key serves every service" },
	    { "dkim.record", SEV_OK, "2048-bit RSA public key" },
	    { "dkim.key", SEV_OK, "the key in DNS is the public half of" } } },
	{ "DNSSEC-secure", DNS_OK, 1, { "p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "DKIM key record at " QNAME " (DNSSEC-secure)" } } },
	{ "s=email only: error", DNS_OK, 0, { "v=DKIM1; k=rsa; s=email; p={A}" }, NULL, KF_A, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, QNAME ": s=email: receivers must ignore this key for TLS reports "
	      "(RFC 6376 §3.6.1)" },
	    { "dkim.record", SEV_ERROR, "fix:publish s=email:tlsrpt or drop s=" },
	    { "dkim.key", SEV_OK, "public half" } } },
	{ "s=email:tlsrpt ok", DNS_OK, 0, { "v=DKIM1; s=email:tlsrpt; p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "s=email:tlsrpt covers TLS reports" } } },
	{ "s=tlsrpt ok", DNS_OK, 0, { "v=DKIM1; s=tlsrpt; p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "s=tlsrpt covers TLS reports" } } },
	{ "s=* ok", DNS_OK, 0, { "v=DKIM1; s=*; p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "s=* covers" } } },
	{ "revoked key", DNS_OK, 0, { "v=DKIM1; k=rsa; p=" }, NULL, KF_A, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "p= is empty: the key is revoked" } } },
	{ "no record (NXDOMAIN): fix has the key's p=", DNS_NXDOMAIN, 0, { NULL }, NULL, KF_A, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "no DKIM key record at " QNAME " (nxdomain)" },
	    { "dkim.record", SEV_ERROR, "fix:publish the key: " QNAME ". TXT \"v=DKIM1; k=rsa; s=email:tlsrpt; p={A}\"" } } },
	{ "no record (NODATA), no key file", DNS_NODATA, 0, { NULL }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "no DKIM key record at " QNAME " (nodata)" },
	    { "dkim.record", SEV_ERROR, "fix:p=<the public key, base64>" } } },
	{ "ok answer without records is no record", DNS_OK, 0, { NULL }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "no DKIM key record at " QNAME } } },
	{ "two records", DNS_OK, 0, { "p={A}", "p={B}" }, NULL, KF_A, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "2 TXT records at " QNAME } } },
	{ "not a DKIM record", DNS_OK, 0, { "v=spf1 -all" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "is not a valid DKIM key record: v=spf1 -all: not a DKIM key record" } } },
	{ "unparsable tag-list", DNS_OK, 0, { "hello world" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "not tag=value" } } },
	{ "k=ed25519: tlsrpt send signs rsa-sha256", DNS_OK, 0,
	  { "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "k=ed25519: tlsrpt send signs rsa-sha256" } } },
	{ "k= unknown", DNS_OK, 0, { "v=DKIM1; k=dsa; p={A}" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "k=dsa: tlsrpt send signs rsa-sha256, which a key of this unknown type" } } },
	{ "h=sha1 excludes sha256", DNS_OK, 0, { "v=DKIM1; h=sha1; p={A}" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "h=sha1 excludes sha256" },
	    { "dkim.record", SEV_ERROR, "fix:add sha256 to h=" } } },
	{ "h=sha1:sha256 ok", DNS_OK, 0, { "v=DKIM1; h=sha1:sha256; p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "2048-bit RSA" } } },
	{ "t=y testing: warning", DNS_OK, 0, { "v=DKIM1; t=y; p={A}" }, NULL, KF_NONE, SEV_WARNING,
	  { { "dkim.record", SEV_WARNING, "t=y: the domain is testing DKIM" } } },
	{ "t=s ok", DNS_OK, 0, { "v=DKIM1; t=s; p={A}" }, NULL, KF_NONE, SEV_OK,
	  { { "dkim.record", SEV_OK, "2048-bit RSA" } } },
	{ "key mismatch", DNS_OK, 0, { "v=DKIM1; p={B}" }, NULL, KF_A, SEV_ERROR,
	  { { "dkim.key", SEV_ERROR, QNAME ": the key in DNS is not the one tlsrpt send signs with" },
	    { "dkim.key", SEV_ERROR, "fix:publish p={A} under " QNAME } } },
	{ "1024-bit key: warning", DNS_OK, 0, { "v=DKIM1; p={C}" }, NULL, KF_NONE, SEV_WARNING,
	  { { "dkim.record", SEV_WARNING, "the RSA key has 1024 bits" } } },
	{ "512-bit key: error", DNS_OK, 0, { "v=DKIM1; p={D}" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "the RSA key has 512 bits: verifiers refuse keys under 1024 bits" } } },
	{ "p= not an RSA key", DNS_OK, 0, { "v=DKIM1; p=AAAAAAAA" }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "p= is not an RSA public key" } } },
	{ "SERVFAIL", DNS_SERVFAIL, 0, { NULL }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.dns", SEV_ERROR, "lookup of the DKIM key " QNAME " failed temporarily (servfail)" } } },
	{ "bogus", DNS_BOGUS, 0, { NULL }, NULL, KF_NONE, SEV_ERROR,
	  { { "dkim.record", SEV_ERROR, "DNSSEC validation failed for the DKIM key" } } },
	{ "key file missing", DNS_OK, 0, { "v=DKIM1; p={A}" }, NULL, KF_MISSING, SEV_ERROR,
	  { { "dkim.key", SEV_ERROR, "cannot compare the key in DNS with" },
	    { "dkim.record", SEV_OK, "2048-bit RSA" } } },
	{ "CNAME chain shown", DNS_OK, 0, { "p={A}" }, "sel._domainkey.esp.example", KF_A, SEV_OK,
	  { { "dkim.record", SEV_OK, "CNAME chain followed: " QNAME " -> sel._domainkey.esp.example" },
	    { "dkim.key", SEV_OK, "public half" } } },
};

/* p= values of keys A to D, and A's private key file */
static char *pvals[4];
static char keyfile[64];

static char *
spki_b64(EVP_PKEY *pk)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	char *b64 = xmalloc((size_t)n / 3 * 4 + 8);

	EVP_EncodeBlock((unsigned char *)b64, der, n);
	OPENSSL_free(der);
	return b64;
}

static int
setup(void **state)
{
	static const unsigned bits[4] = { 2048, 2048, 1024, 512 };
	EVP_PKEY *pk;
	FILE *f;
	int fd;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		pk = EVP_RSA_gen(bits[i]);
		if (pk == NULL)
			return -1;
		pvals[i] = spki_b64(pk);
		if (i == 0) {
			snprintf(keyfile, sizeof(keyfile), "/tmp/tlsrpt-dkim-test.XXXXXX");
			if ((fd = mkstemp(keyfile)) < 0 || (f = fdopen(fd, "w")) == NULL)
				return -1;
			PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
			fclose(f);
		}
		EVP_PKEY_free(pk);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(keyfile);
	for (size_t i = 0; i < 4; i++)
		free(pvals[i]);
	return 0;
}

/* s with "{A}".."{D}" replaced by the keys' p= values.  Returns a new string. */
static char *
expand(const char *s)
{
	char *out = xstrdup(s), *at, *t;

	while ((at = strchr(out, '{')) != NULL && at[1] >= 'A' && at[1] <= 'D' && at[2] == '}') {
		*at = '\0';
		t = xasprintf("%s%s%s", out, pvals[at[1] - 'A'], at + 3);
		free(out);
		out = t;
	}
	return out;
}

static int
stub_dns(void *ctx, const char *qname, enum dns_type type, struct dns_answer *ans, struct err *err)
{
	const struct scenario *s = ctx;

	(void)err;
	if (strcmp(qname, QNAME) != 0 || type != DNS_TXT) {
		ans->status = DNS_NXDOMAIN;
		return 0;
	}
	ans->status = s->status;
	ans->secure = s->secure;
	if (s->cname != NULL) {
		strlist_add(&ans->cnames, qname);
		strlist_add(&ans->cnames, s->cname);
	}
	for (size_t j = 0; j < 3 && s->rr[j] != NULL; j++)
		strlist_add_owned(&ans->rr, expand(s->rr[j]));
	return 0;
}

static void
test_check_dkim_scenarios(void **state)
{
	struct findings f = { 0 };
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *s = &scenarios[i];
		struct check_io io = { 0 };
		const char *kf = s->keyfile == KF_A ? keyfile : s->keyfile == KF_MISSING ? "/nonexistent/key.pem" : NULL;

		io.dns = dns_new_stub(stub_dns, (void *)s);
		assert_int_equal(check_dkim(&io, "sel", "example.test", kf, &f, &err), 0);
		findingtest_expect(s->name, &f, s->worst, s->want, 4, expand);
		findings_clear(&f);
		dns_free(io.dns);
	}
}

static void
test_check_dkim_rejects_empty_names(void **state)
{
	struct check_io io = { 0 };
	struct findings f = { 0 };
	struct err err = { { 0 } };

	(void)state;
	io.dns = dns_new_stub(stub_dns, (void *)&scenarios[0]);
	assert_int_equal(check_dkim(&io, "", "example.test", NULL, &f, &err), -1);
	assert_int_equal(check_dkim(&io, "sel", "", NULL, &f, &err), -1);
	assert_int_equal(check_dkim(&io, NULL, "example.test", NULL, &f, &err), -1);
	assert_int_equal(f.n, 0);
	dns_free(io.dns);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_dkim_scenarios),
		cmocka_unit_test(test_check_dkim_rejects_empty_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
