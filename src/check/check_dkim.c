/*
 * check_dkim: the DKIM key record `tlsrpt send` signs report mails with
 * (see check.h).  RFC 8460 §3: report mails MUST carry a valid DKIM
 * signature, and the key record SHOULD declare s=tlsrpt; RFC 6376 §3.6.1:
 * a verifier MUST ignore a key whose s= names neither "*" nor the service.
 * Record syntax and the tag rules come from model/dkim_key; the public key
 * in p= is read with OpenSSL and compared, as DER SubjectPublicKeyInfo,
 * with the public half of the private key file.  `tlsrpt send` and
 * `tlsrpt reportd` run this too at start (cmd/send_dkim.c), so every
 * message names the record and reads well as a log line.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "model/dkim_key.h"
#include "util/xalloc.h"

#define REC "dkim.record"
#define KEY "dkim.key"
#define LOOKUP "dkim.dns"

/* The public half of the private key file, for the comparison. */
struct mine {
	const char *file;         /* NULL: no --dkim-key */
	unsigned char *der;       /* owned; DER SubjectPublicKeyInfo, or NULL */
	size_t len;
	char *b64;                /* owned; der in base64 (a p= value), or NULL */
};

/* Encrypted keys are refused rather than prompting for a passphrase. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void
ssl_reason(struct err *err, const char *what)
{
	char why[256] = "unknown reason";
	unsigned long e = ERR_peek_last_error();

	if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	ERR_clear_error();
	err_set(err, "%s (%s)", what, why);
}

/* Reads the PEM private key at m->file and fills m->der and m->b64. */
static int
load_mine(struct mine *m, struct err *err)
{
	FILE *f = fopen(m->file, "r");
	EVP_PKEY *pk = NULL;
	unsigned char *q;
	int n, rc = -1;

	if (f == NULL) {
		err_set(err, "cannot open %s: %s", m->file, strerror(errno));
		return -1;
	}
	if ((pk = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL)) == NULL) {
		ssl_reason(err, "not an unencrypted PEM private key");
		goto out;
	}
	if ((n = i2d_PUBKEY(pk, NULL)) <= 0) {
		ssl_reason(err, "its public key cannot be encoded");
		goto out;
	}
	m->der = xmalloc((size_t)n);
	q = m->der;
	i2d_PUBKEY(pk, &q);
	m->len = (size_t)n;
	m->b64 = xmalloc(((size_t)n + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)m->b64, m->der, n);
	rc = 0;
out:
	EVP_PKEY_free(pk);
	fclose(f);
	return rc;
}

/* A fix: what, then the record to publish.  Returns a new string. */
static char *
example(const char *what, const char *qname, const struct mine *m)
{
	return xasprintf("%s%s. TXT \"v=DKIM1; k=rsa; s=email:tlsrpt; p=%s\"", what, qname,
	    m->b64 != NULL ? m->b64 : "<the public key, base64>");
}

/* Looks the record up.  Returns 0 when there is exactly one TXT RR. */
static int
lookup(struct check_io *io, const char *name, const struct mine *m, struct dns_answer *a,
    struct findings *out)
{
	struct err err = { { 0 } };
	char *fix;

	if (dns_lookup(io->dns, DNS_TXT, name, a, &err) < 0) {
		findings_add(out, LOOKUP, SEV_ERROR, NULL, "cannot look up the DKIM key %s: %s", name, err.msg);
		return -1;
	}
	check_cname_chain(a, out, REC);
	switch (a->status) {
	case DNS_OK:
		if (a->rr.n > 0)
			break;
		/* FALLTHROUGH */
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		fix = example("publish the key: ", a->qname, m);
		findings_add(out, REC, SEV_ERROR, fix, "no DKIM key record at %s (%s): receivers cannot verify "
		    "the signature of report mails (RFC 8460 §3 requires one)", a->qname, dns_status_name(a->status));
		free(fix);
		return -1;
	case DNS_BOGUS:
		findings_add(out, REC, SEV_ERROR, "fix the zone's DNSSEC signatures (or its DS record at the parent)",
		    "DNSSEC validation failed for the DKIM key %s: %s", a->qname, a->why ? a->why : "bogus");
		return -1;
	default:
		findings_add(out, LOOKUP, SEV_ERROR, "make the zone's name servers answer for this name",
		    "lookup of the DKIM key %s failed temporarily (%s%s%s)", a->qname,
		    dns_status_name(a->status), a->why ? ": " : "", a->why ? a->why : "");
		return -1;
	}
	if (a->rr.n > 1) {
		/* RFC 6376 §3.6.2.2: TXT RRs MUST be unique for a selector name */
		findings_add(out, REC, SEV_ERROR, "keep exactly one TXT record under the selector "
		    "(publish a new key under a new selector)", "%zu TXT records at %s: with more than one, "
		    "the result of verifying is undefined (RFC 6376 §3.6.2.2)", a->rr.n, a->qname);
		return -1;
	}
	return 0;
}

/* The tag rules for a report mail signed rsa-sha256.  Returns 0 if p= holds
 * a key (not revoked), so that the key itself can be looked at. */
static int
check_tags(const struct dkim_key *key, const char *qname, struct findings *out)
{
	const char *type = dkim_key_type(key);
	char *list;

	if (key->p[0] == '\0') {
		findings_add(out, REC, SEV_ERROR, "publish the current public key under a selector and sign with "
		    "that selector (--dkim-selector)", "%s: p= is empty: the key is revoked (RFC 6376 §3.6.1), "
		    "every signature made with this selector fails", qname);
		return -1;
	}
	if (strcmp(type, "rsa") != 0) {
		/* RFC 6376 §6.1.2: a key of another type than a= names is a PERMFAIL */
		findings_add(out, REC, SEV_ERROR, "publish the RSA key tlsrpt send signs with (k=rsa, or no k=)",
		    "%s: k=%s: tlsrpt send signs rsa-sha256, which %s key cannot verify", qname, type,
		    strcmp(type, "ed25519") == 0 ? "an ed25519" : "a key of this unknown type");
	}
	list = dkim_key_list_join(&key->s);
	if (!dkim_key_allows_service(key, "tlsrpt")) {
		findings_add(out, REC, SEV_ERROR, "publish s=email:tlsrpt or drop s=", "%s: s=%s: receivers must "
		    "ignore this key for TLS reports (RFC 6376 §3.6.1)", qname, list);
	} else if (!key->has_s) {
		findings_add(out, REC, SEV_OK, NULL, "%s: no s= tag: the key serves every service (\"*\"), "
		    "TLS reports included", qname);
	} else {
		findings_add(out, REC, SEV_OK, NULL, "%s: s=%s covers TLS reports (RFC 8460 §3)", qname, list);
	}
	free(list);
	if (!dkim_key_allows_hash(key, "sha256")) {
		list = dkim_key_list_join(&key->h);
		findings_add(out, REC, SEV_ERROR, "add sha256 to h= (h=sha256), or drop h=", "%s: h=%s excludes "
		    "sha256: tlsrpt send signs rsa-sha256, so verifiers reject its signatures", qname, list);
		free(list);
	}
	if (dkim_key_is_testing(key)) {
		findings_add(out, REC, SEV_WARNING, "remove y from t= once signatures verify", "%s: t=y: the domain is testing DKIM, and verifiers "
		    "must treat its signed mail like unsigned mail (RFC 6376 §3.6.1)", qname);
	}
	return 0;
}

/* The key in p=: an RSA SubjectPublicKeyInfo of a size verifiers accept,
 * and the public half of --dkim-key. */
static void
check_public_key(const struct dkim_key *key, const char *qname, const struct mine *m,
    struct findings *out)
{
	struct err err = { { 0 } };
	unsigned char *der;
	const unsigned char *q;
	EVP_PKEY *pk = NULL;
	size_t len = 0;
	char *fix;
	int bits;

	if ((der = dkim_key_public_der(key, &len, &err)) == NULL) {
		findings_add(out, REC, SEV_ERROR, "publish p= as opendkim-genkey writes it", "%s: %s", qname, err.msg);
		return;
	}
	q = der;
	if (strcmp(dkim_key_type(key), "rsa") != 0) {
		/* k= was reported; only the comparison below applies */
	} else if ((pk = d2i_PUBKEY(NULL, &q, (long)len)) == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA) {
		ERR_clear_error();
		findings_add(out, REC, SEV_ERROR, "publish p= as opendkim-genkey writes it (base64 of the DER "
		    "SubjectPublicKeyInfo)", "%s: p= is not an RSA public key", qname);
	} else if ((bits = EVP_PKEY_bits(pk)) < 1024) {
		/* RFC 8301 §3.2: signatures with smaller keys MUST NOT be valid */
		findings_add(out, REC, SEV_ERROR, "make a 2048-bit key (opendkim-genkey -b 2048)",
		    "%s: the RSA key has %d bits: verifiers refuse keys under 1024 bits (RFC 8301 §3.2)", qname, bits);
	} else if (bits < 2048 || bits > 4096) {
		findings_add(out, REC, SEV_WARNING, "make a 2048-bit key (opendkim-genkey -b 2048)",
		    "%s: the RSA key has %d bits: RFC 8301 §3.2 wants 2048 (and verifiers need only take "
		    "1024 to 4096)", qname, bits);
	} else {
		findings_add(out, REC, SEV_OK, NULL, "%s: %d-bit RSA public key", qname, bits);
	}
	if (m->der != NULL) {
		if (len == m->len && memcmp(der, m->der, len) == 0) {
			findings_add(out, KEY, SEV_OK, NULL, "%s: the key in DNS is the public half of %s", qname,
			    m->file);
		} else {
			fix = xasprintf("publish p=%s under %s, or give --dkim-key the private key of the "
			    "published one", m->b64, qname);
			findings_add(out, KEY, SEV_ERROR, fix, "%s: the key in DNS is not the one tlsrpt send "
			    "signs with (%s)", qname, m->file);
			free(fix);
		}
	}
	EVP_PKEY_free(pk);
	free(der);
}

int
check_dkim(struct check_io *io, const char *selector, const char *domain, const char *key_file,
    struct findings *out, struct err *err)
{
	struct dns_answer a = { 0 };
	struct dkim_key key = { 0 };
	struct mine m = { key_file, NULL, 0, NULL };
	struct err perr = { { 0 } };
	char *name, *ascii, *fix;

	if (selector == NULL || *selector == '\0' || domain == NULL || *domain == '\0') {
		err_set(err, "a DKIM selector and a domain are required");
		return -1;
	}
	name = xasprintf("%s._domainkey.%s", selector, domain);
	if ((ascii = dns_name_to_ascii(name, err)) == NULL) {
		free(name);
		return -1;
	}
	if (strcmp(ascii, name) != 0)
		findings_add(out, "domain", SEV_OK, NULL, "%s is queried as %s (A-labels)", name, ascii);
	if (key_file != NULL && load_mine(&m, &perr) < 0)
		findings_add(out, KEY, SEV_ERROR, "give --dkim-key the PEM private key tlsrpt send signs with",
		    "cannot compare the key in DNS with %s: %s", key_file, perr.msg);
	if (lookup(io, ascii, &m, &a, out) < 0)
		goto out;
	if (dkim_key_parse(a.rr.v[0], &key, &perr) < 0) {
		fix = example("publish one record: ", a.qname, &m);
		findings_add(out, REC, SEV_ERROR, fix, "%s \"%s\" is not a valid DKIM key record: %s", a.qname,
		    a.rr.v[0], perr.msg);
		free(fix);
		goto out;
	}
	findings_add(out, REC, SEV_OK, NULL, "DKIM key record at %s%s", a.qname, a.secure ? " (DNSSEC-secure)" : "");
	if (check_tags(&key, a.qname, out) == 0)
		check_public_key(&key, a.qname, &m, out);
out:
	dkim_key_clear(&key);
	dns_answer_clear(&a);
	free(m.der);
	free(m.b64);
	free(name);
	free(ascii);
	return 0;
}
