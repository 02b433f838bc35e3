/*
 * Unit tests for model/dkim_key: the DKIM key record tag-list (RFC 6376
 * §3.2, §3.6.1), table-driven: what parses, what is refused and why, and
 * the s= / h= / k= / t= / p= rules `tlsrpt check --dkim-selector` and
 * `tlsrpt send` apply.  Also record_kv_walk(), the walker it shares with
 * the TLSRPT and MTA-STS record parsers, and the base64 decoding of p=.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/dkim_key.h"
#include "model/record_kv.h"

#define P "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"   /* the start of an RSA SPKI */

enum { NO, YES };

struct key_case {
	const char *name;
	const char *txt;
	const char *want_err;     /* substring of err, or NULL: parses */
	int tlsrpt;               /* dkim_key_allows_service(, "tlsrpt") */
	int sha256;               /* dkim_key_allows_hash(, "sha256") */
	int testing;              /* dkim_key_is_testing() */
	const char *type;         /* dkim_key_type() */
	const char *p;            /* p= as kept (FWS removed) */
};

static const struct key_case cases[] = {
	/* what opendkim-genkey writes, and the minimal record */
	{ "opendkim-genkey record", "v=DKIM1; h=sha256; k=rsa; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "p= alone: v=, k=, s=, h= are optional", "p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "trailing semicolon", "v=DKIM1; p=" P ";", NULL, YES, YES, NO, "rsa", P },
	{ "no space at all", "v=DKIM1;k=rsa;p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "FWS around = and ;", " v = DKIM1 ;\tk =rsa;  p= " P " ", NULL, YES, YES, NO, "rsa", P },
	{ "folded p= (CRLF WSP inside the base64)", "v=DKIM1; p=MIIBIjAN\r\n\tBgkqhkiG 9w0BAQEF", NULL, YES, YES,
	  NO, "rsa", "MIIBIjANBgkqhkiG9w0BAQEF" },
	{ "unknown tags ignored", "v=DKIM1; n=notes here; x_1=a=b; p=" P, NULL, YES, YES, NO, "rsa", P },
	/* s=: RFC 6376 §3.6.1, RFC 8460 §3 */
	{ "s=email only excludes tlsrpt", "v=DKIM1; k=rsa; s=email; p=" P, NULL, NO, YES, NO, "rsa", P },
	{ "s=email:tlsrpt", "v=DKIM1; k=rsa; s=email:tlsrpt; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "s=tlsrpt", "v=DKIM1; s=tlsrpt; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "s=*", "v=DKIM1; s=*; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "s= list with FWS", "v=DKIM1; s=email : tlsrpt ; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "s= is case-sensitive", "v=DKIM1; s=email:TLSRPT; p=" P, NULL, NO, YES, NO, "rsa", P },
	{ "s=email:* allows every service", "v=DKIM1; s=email:*; p=" P, NULL, YES, YES, NO, "rsa", P },
	{ "s= with an empty element", "v=DKIM1; s=email:; p=" P, "s=email:: empty element", NO, NO, NO, NULL,
	  NULL },
	/* h= */
	{ "h=sha1 excludes sha256", "v=DKIM1; h=sha1; p=" P, NULL, YES, NO, NO, "rsa", P },
	{ "h=sha1:sha256", "v=DKIM1; h=sha1:sha256; p=" P, NULL, YES, YES, NO, "rsa", P },
	/* k= */
	{ "k=ed25519", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", NULL, YES, YES, NO,
	  "ed25519", "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "k=unknown kept", "k=foo; p=" P, NULL, YES, YES, NO, "foo", P },
	/* t= */
	{ "t=y is testing", "v=DKIM1; t=y; p=" P, NULL, YES, YES, YES, "rsa", P },
	{ "t=s:y is testing", "v=DKIM1; t=s:y; p=" P, NULL, YES, YES, YES, "rsa", P },
	{ "t=s is not testing", "v=DKIM1; t=s; p=" P, NULL, YES, YES, NO, "rsa", P },
	/* p= */
	{ "empty p= is a revoked key", "v=DKIM1; k=rsa; p=", NULL, YES, YES, NO, "rsa", "" },
	{ "p= of FWS only is revoked", "v=DKIM1; p= ", NULL, YES, YES, NO, "rsa", "" },
	{ "no p=", "v=DKIM1; k=rsa; s=email", "no p= tag", NO, NO, NO, NULL, NULL },
	{ "p= not base64", "v=DKIM1; p=MIIB!jAN", "not base64", NO, NO, NO, NULL, NULL },
	{ "p= not a multiple of 4", "v=DKIM1; p=MIIBI", "not a whole base64 text", NO, NO, NO, NULL, NULL },
	{ "p= with '=' inside", "v=DKIM1; p=MI==MIIB", "not base64", NO, NO, NO, NULL, NULL },
	{ "p= with three '='", "v=DKIM1; p=M===", "more than two '='", NO, NO, NO, NULL, NULL },
	/* v= */
	{ "v= not first", "k=rsa; v=DKIM1; p=" P, "v= must be the first tag", NO, NO, NO, NULL, NULL },
	{ "v=DKIM2", "v=DKIM2; p=" P, "not a DKIM key record", NO, NO, NO, NULL, NULL },
	{ "SPF record", "v=spf1 -all", "v=spf1 -all: not a DKIM key record", NO, NO, NO, NULL, NULL },
	{ "v= is case-sensitive", "v=dkim1; p=" P, "not a DKIM key record", NO, NO, NO, NULL, NULL },
	/* tag-list syntax, RFC 6376 §3.2 */
	{ "duplicate tag", "v=DKIM1; p=" P "; p=" P, "tag p= appears twice", NO, NO, NO, NULL, NULL },
	{ "tags are case-sensitive (P= is not p=)", "v=DKIM1; P=" P, "no p= tag", NO, NO, NO, NULL, NULL },
	{ "empty field", "v=DKIM1;; p=" P, "empty tag at byte 8", NO, NO, NO, NULL, NULL },
	{ "field without =", "v=DKIM1; hello; p=" P, "\"hello\" at byte 9 is not tag=value", NO, NO, NO, NULL,
	  NULL },
	{ "other TXT at the name", "google-site-verification=abc", "only letters, digits and '_'", NO, NO, NO,
	  NULL, NULL },
	{ "tag name starting with a digit", "1a=b; p=" P, "does not start with a letter", NO, NO, NO, NULL, NULL },
	{ "empty tag name", "=x; p=" P, "does not start with a letter", NO, NO, NO, NULL, NULL },
	{ "control byte in a value", "v=DKIM1; n=a\001b; p=" P, "byte 0x01 is not allowed", NO, NO, NO, NULL,
	  NULL },
	{ "8-bit byte in a value", "v=DKIM1; n=caf\xc3\xa9; p=" P, "byte 0xc3 is not allowed", NO, NO, NO, NULL,
	  NULL },
	{ "empty record", "", "empty record", NO, NO, NO, NULL, NULL },
	{ "only WSP", "   ", "empty record", NO, NO, NO, NULL, NULL },
};

static void
test_dkim_key_cases(void **state)
{
	struct dkim_key k;
	struct err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct key_case *c = &cases[i];
		int rc;

		memset(&err, 0, sizeof(err));
		rc = dkim_key_parse(c->txt, &k, &err);
		if (c->want_err != NULL) {
			if (rc != -1 || strstr(err.msg, c->want_err) == NULL)
				fail_msg("%s: rc %d, err \"%s\", want -1 and \"%s\"", c->name, rc, err.msg, c->want_err);
			assert_null(k.p);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: rc %d: %s", c->name, rc, err.msg);
		if (dkim_key_allows_service(&k, "tlsrpt") != c->tlsrpt)
			fail_msg("%s: allows tlsrpt %d, want %d", c->name, !c->tlsrpt, c->tlsrpt);
		if (dkim_key_allows_hash(&k, "sha256") != c->sha256)
			fail_msg("%s: allows sha256 %d, want %d", c->name, !c->sha256, c->sha256);
		if (dkim_key_is_testing(&k) != c->testing)
			fail_msg("%s: testing %d, want %d", c->name, !c->testing, c->testing);
		if (strcmp(dkim_key_type(&k), c->type) != 0)
			fail_msg("%s: type %s, want %s", c->name, dkim_key_type(&k), c->type);
		if (strcmp(k.p, c->p) != 0)
			fail_msg("%s: p \"%s\", want \"%s\"", c->name, k.p, c->p);
		dkim_key_clear(&k);
	}
}

static void
test_dkim_key_keeps_lists(void **state)
{
	struct dkim_key k;
	struct err err;
	char *s;

	(void)state;
	assert_int_equal(dkim_key_parse("v=DKIM1; h=sha1 : sha256; s=email:tlsrpt; t=y:s; p=", &k, &err), 0);
	assert_int_equal(k.has_version, 1);
	assert_int_equal(k.has_h, 1);
	assert_int_equal(k.h.n, 2);
	assert_string_equal(k.h.v[1], "sha256");
	s = dkim_key_list_join(&k.s);
	assert_string_equal(s, "email:tlsrpt");
	free(s);
	assert_int_equal(k.t.n, 2);
	dkim_key_clear(&k);
	assert_int_equal(dkim_key_parse("p=", &k, &err), 0);
	assert_int_equal(k.has_version, 0);
	assert_int_equal(k.has_s, 0);
	assert_int_equal(k.has_h, 0);
	assert_null(k.k);
	dkim_key_clear(&k);
}

struct der_case {
	const char *p;
	size_t len;               /* bytes decoded; 0: NULL expected */
	const char *bytes;
};

static void
test_dkim_key_public_der(void **state)
{
	static const struct der_case dcases[] = {
		{ "AAEC", 3, "\x00\x01\x02" },
		{ "AAE=", 2, "\x00\x01" },
		{ "AA==", 1, "\x00" },
		{ "TWFu", 3, "Man" },
		{ "", 0, NULL },                /* revoked */
	};
	struct dkim_key k;
	struct err err;
	unsigned char *der;
	size_t i, len;
	char txt[64];

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		snprintf(txt, sizeof(txt), "p=%s", dcases[i].p);
		assert_int_equal(dkim_key_parse(txt, &k, &err), 0);
		len = 99;
		der = dkim_key_public_der(&k, &len, &err);
		if (dcases[i].len == 0) {
			assert_null(der);
			assert_non_null(strstr(err.msg, "revoked"));
		} else {
			assert_non_null(der);
			assert_int_equal(len, dcases[i].len);
			assert_memory_equal(der, dcases[i].bytes, len);
		}
		free(der);
		dkim_key_clear(&k);
	}
}

/* record_kv_walk(): every field with its offset, as "offset:text|". */
static int
collect(void *ctx, const char *s, size_t n, size_t offset)
{
	char *out = ctx;
	size_t len = strlen(out);

	snprintf(out + len, 256 - len, "%zu:%.*s|", offset, (int)n, s);
	return 0;
}

static int
stop_at_b(void *ctx, const char *s, size_t n, size_t offset)
{
	(void)ctx;
	(void)offset;
	return n > 0 && s[0] == 'b' ? 7 : 0;
}

static void
test_record_kv_walk(void **state)
{
	static const struct { const char *txt, *want; } wcases[] = {
		{ "a=1; b=2", "0:a=1|5:b=2|" },
		{ "a=1;", "0:a=1|" },
		{ "a=1; ", "0:a=1|" },
		{ "  a=1 ;\tb=2\t", "2:a=1|8:b=2|" },
		{ "a=1;;b=2", "0:a=1|4:|5:b=2|" },
		{ "a=1; ;", "0:a=1|5:|" },
		{ ";", "0:|" },
		{ "", "" },
		{ "   ", "" },
		{ "v=DKIM1", "0:v=DKIM1|" },
	};
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		out[0] = '\0';
		assert_int_equal(record_kv_walk(wcases[i].txt, collect, out), 0);
		if (strcmp(out, wcases[i].want) != 0)
			fail_msg("\"%s\": %s, want %s", wcases[i].txt, out, wcases[i].want);
	}
	assert_int_equal(record_kv_walk("a=1; b=2; c=3", stop_at_b, NULL), 7);
}

/* record_kv_fields() walks what follows the version exactly as before. */
static void
test_record_kv_fields_after_version(void **state)
{
	char out[256] = "";
	int space;

	(void)state;
	assert_int_equal(record_kv_fields("v=TLSRPTv1 ; rua=x;;k=v;", "v=TLSRPTv1", collect, out, &space), 0);
	assert_string_equal(out, "13:rua=x|19:|20:k=v|");
	assert_int_equal(space, 1);
	out[0] = '\0';
	assert_int_equal(record_kv_fields("v=STSv1", "v=STSv1", collect, out, &space), 0);
	assert_string_equal(out, "");
	assert_int_equal(space, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_key_cases),
		cmocka_unit_test(test_dkim_key_keeps_lists),
		cmocka_unit_test(test_dkim_key_public_der),
		cmocka_unit_test(test_record_kv_walk),
		cmocka_unit_test(test_record_kv_fields_after_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
