/* Unit tests for report/dkim: the signature verifies (libopendkim with the
 * key record from a file, no DNS), has no l=, signs the RFC 8460 headers,
 * and breaks when the mail is changed (sender.md MAIL-07). */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "report/dkim.h"

static const char mail[] =
	"From: tlsrpt@mail.sender.example\r\n"
	"To: tls@example.com\r\n"
	"Subject: Report Domain: example.com Submitter: mail.sender.example Report-ID: <a@b>\r\n"
	"Date: Sun, 22 Nov 2026 00:01:40 +0000\r\n"
	"Message-Id: <1@mail.sender.example>\r\n"
	"TLS-Report-Domain: example.com\r\n"
	"TLS-Report-Submitter: mail.sender.example\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"body\r\n";

struct keys {
	char dir[64];
	char key[96];
	char records[96];
};

/* A fresh RSA key in a temp dir: PEM private key and a DKIM_QUERY_FILE
 * line "sel._domainkey.mail.sender.example v=DKIM1; k=rsa; p=…". */
static int
setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	unsigned char *der = NULL, *b64;
	int n;
	FILE *f;

	snprintf(k->dir, sizeof(k->dir), "/tmp/tlsrpt-dkim.XXXXXX");
	assert_non_null(mkdtemp(k->dir));
	snprintf(k->key, sizeof(k->key), "%s/sel.private", k->dir);
	snprintf(k->records, sizeof(k->records), "%s/keys.txt", k->dir);
	f = fopen(k->key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	/* a key others may read is refused (util/secret_file.h) */
	assert_int_equal(chmod(k->key, 0600), 0);
	n = i2d_PUBKEY(pk, &der);
	assert_true(n > 0);
	b64 = malloc((size_t)n * 2 + 4);
	EVP_EncodeBlock(b64, der, n);
	f = fopen(k->records, "w");
	fprintf(f, "sel._domainkey.mail.sender.example v=DKIM1; k=rsa; p=%s\n", b64);
	fclose(f);
	free(b64);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	*state = k;
	return 0;
}

static int
teardown(void **state)
{
	struct keys *k = *state;

	unlink(k->key);
	unlink(k->records);
	rmdir(k->dir);
	free(k);
	return 0;
}

/* libopendkim verification against the key file. Returns the status. */
static DKIM_STAT
verify(const struct keys *k, const char *msg, size_t len)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	int qm = DKIM_QUERY_FILE;
	DKIM_STAT st;
	DKIM *d;

	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qm, sizeof(qm));
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, (void *)(uintptr_t)k->records,
		     strlen(k->records));
	d = dkim_verify(lib, (const unsigned char *)"t", NULL, &st);
	assert_non_null(d);
	dkim_chunk(d, (unsigned char *)(uintptr_t)msg, len);
	dkim_chunk(d, NULL, 0);
	st = dkim_eom(d, NULL);
	dkim_free(d);
	dkim_close(lib);
	return st;
}

static void
sign(struct keys *k, struct buf *out)
{
	struct err err;
	struct dkim_signer *s = dkim_signer_new(k->key, "sel", "mail.sender.example", &err);

	assert_non_null(s);
	buf_init(out, 1 << 20);
	assert_int_equal(dkim_signer_sign(s, mail, strlen(mail), out, &err), 0);
	dkim_signer_free(&s);
	assert_null(s);
}

static void
test_signed_mail_verifies_with_the_published_key(void **state)
{
	struct buf out;

	sign(*state, &out);
	assert_int_equal(strncmp(out.data, "DKIM-Signature: ", 16), 0);
	assert_int_equal(verify(*state, out.data, out.len), DKIM_STAT_OK);
	buf_free(&out);
}

static void
test_signature_has_no_l_tag_and_covers_the_tlsrpt_headers(void **state)
{
	struct buf out;
	char *end, *sig, *h;

	sign(*state, &out);
	end = strstr(out.data, "\r\nFrom:");
	assert_non_null(end);
	sig = strndup(out.data, (size_t)(end - out.data));
	assert_null(strstr(sig, " l="));
	assert_null(strstr(sig, ";l="));
	assert_non_null(strstr(sig, "a=rsa-sha256"));
	assert_non_null(strstr(sig, "c=relaxed/relaxed"));
	assert_non_null(strstr(sig, "d=mail.sender.example"));
	for (char *c = sig; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	h = strstr(sig, "h=");
	assert_non_null(h);
	for (const char *want = "from\0to\0subject\0date\0message-id\0tls-report-domain\0"
				"tls-report-submitter\0";
	     *want; want += strlen(want) + 1)
		assert_non_null(strstr(h, want));
	free(sig);
	buf_free(&out);
}

static void
test_changed_mail_fails_verification(void **state)
{
	struct buf out;
	char *p;

	sign(*state, &out);
	p = strstr(out.data, "TLS-Report-Domain: example.com");
	assert_non_null(p);
	memcpy(p + strlen("TLS-Report-Domain: "), "evilxx", 6);
	assert_int_not_equal(verify(*state, out.data, out.len), DKIM_STAT_OK);
	buf_free(&out);
}

static void
test_missing_key_file_is_a_clear_error(void **state)
{
	struct err err;

	(void)state;
	assert_null(dkim_signer_new("/nonexistent/key.pem", "sel", "example.com", &err));
	assert_non_null(strstr(err.msg, "/nonexistent/key.pem"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_mail_verifies_with_the_published_key),
		cmocka_unit_test(test_signature_has_no_l_tag_and_covers_the_tlsrpt_headers),
		cmocka_unit_test(test_changed_mail_fails_verification),
		cmocka_unit_test(test_missing_key_file_is_a_clear_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
