/*
 * dkim: libopendkim signer (see dkim.h).  One DKIM_LIB per signer; each
 * message gets its own DKIM handle.  No l= is ever produced: the body
 * length passed to dkim_sign() is -1 (sign the whole body).
 */
#include "report/dkim.h"

#include <dkim.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/secret_file.h"
#include "util/xalloc.h"

struct dkim_signer {
	DKIM_LIB *lib;
	unsigned char *key;
	char *selector;
	char *domain;
	unsigned long seq;      /* job ids, for libopendkim's log lines */
};

/* RFC 6376 §5.4.1 recommended set plus RFC 8460 §5.3's two headers. */
static const char *sign_headers[] = {
	"from", "to", "subject", "date", "message-id", "mime-version", "content-type",
	"auto-submitted", "tls-required", "tls-report-domain", "tls-report-submitter", NULL
};

/* The private key; refused when others can read it (secret_file.h). */
static unsigned char *
read_key(const char *path, struct err *err)
{
	char *key = secret_file_read(path, "DKIM key", DKIM_KEY_MAX, NULL, err);

	if (key != NULL && key[0] == '\0') {
		err_set(err, "DKIM key %s: empty file", path);
		free(key);
		key = NULL;
	}
	return (unsigned char *)key;
}

struct dkim_signer *
dkim_signer_new(const char *key_file, const char *selector, const char *domain,
		struct err *err)
{
	struct dkim_signer *s;
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	unsigned char *key;

	if (selector == NULL || *selector == '\0' || domain == NULL || *domain == '\0') {
		err_set(err, "dkim: a selector and a signing domain are required");
		return NULL;
	}
	if ((key = read_key(key_file, err)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->key = key;
	s->selector = xstrdup(selector);
	s->domain = xstrdup(domain);
	s->lib = dkim_init(NULL, NULL);
	if (s->lib == NULL) {
		err_set(err, "dkim: dkim_init failed");
		dkim_signer_free(&s);
		return NULL;
	}
	if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
		    DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign_headers,
			 sizeof(char **)) != DKIM_STAT_OK) {
		err_set(err, "dkim: setting library options failed");
		dkim_signer_free(&s);
		return NULL;
	}
	return s;
}

/* Appends "DKIM-Signature: " + value + CRLF, making every line end CRLF
 * whatever the library folded with. */
static int
append_crlf_header(struct buf *out, const char *value)
{
	if (buf_printf(out, "%s: ", DKIM_SIGNHEADER) < 0)
		return -1;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\r')
			continue;
		if ((*p == '\n' && buf_append(out, "\r\n", 2) < 0) ||
		    (*p != '\n' && buf_append(out, p, 1) < 0))
			return -1;
	}
	return buf_append(out, "\r\n", 2);
}

int
dkim_signer_sign(struct dkim_signer *s, const char *msg, size_t len, struct buf *out,
		 struct err *err)
{
	DKIM *d = NULL;
	DKIM_STAT st;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char job[32];
	int ret = -1;

	snprintf(job, sizeof(job), "tlsrpt-%lu", ++s->seq);
	d = dkim_sign(s->lib, (const unsigned char *)job, NULL, (dkim_sigkey_t)s->key,
		      (const unsigned char *)s->selector, (const unsigned char *)s->domain,
		      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, DKIM_SIGN_RSASHA256, -1L, &st);
	if (d == NULL) {
		err_set(err, "dkim: cannot sign as d=%s s=%s: %s", s->domain, s->selector,
			dkim_getresultstr(st));
		return -1;
	}
	if ((st = dkim_chunk(d, (unsigned char *)(uintptr_t)msg, len)) != DKIM_STAT_OK ||
	    (st = dkim_chunk(d, NULL, 0)) != DKIM_STAT_OK ||
	    (st = dkim_eom(d, NULL)) != DKIM_STAT_OK ||
	    (st = dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &sig, &siglen)) !=
		    DKIM_STAT_OK) {
		const char *why = dkim_geterror(d);

		err_set(err, "dkim: signing as d=%s failed: %s%s%s", s->domain,
			dkim_getresultstr(st), why ? ": " : "", why ? why : "");
		goto out;
	}
	if (append_crlf_header(out, (const char *)sig) < 0 || buf_append(out, msg, len) < 0) {
		err_set(err, "dkim: signed message larger than %zu bytes", out->max);
		goto out;
	}
	ret = 0;
out:
	dkim_free(d);
	return ret;
}

void
dkim_signer_free(struct dkim_signer **sp)
{
	struct dkim_signer *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->lib)
		dkim_close(s->lib);
	free(s->key);
	free(s->selector);
	free(s->domain);
	free(s);
	*sp = NULL;
}
