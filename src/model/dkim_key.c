/*
 * dkim_key: DKIM key record parser and rules (see dkim_key.h).  The
 * record is split into fields by record_kv_walk(); each field must be
 * `tag-name [FWS] "=" [FWS] tag-value` (RFC 6376 §3.2).  p= is checked to
 * be base64 here and decoded with OpenSSL (EVP_DecodeBlock) on demand.
 */
#include "model/dkim_key.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "model/record_kv.h"
#include "util/ascii.h"
#include "util/xalloc.h"

/* RFC 5322 FWS as found in TXT data: WSP, and CR/LF of a folded line. */
static int
is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct parse_ctx {
	struct dkim_key *key;
	struct strlist seen;      /* tag names so far, for duplicates */
	size_t index;             /* fields so far */
	struct err *err;
};

/* Splits a colon-separated value into l (§3.6.1 h=, s=, t=). */
static int
split_list(const char *tag, const char *v, size_t n, struct strlist *l, struct err *err)
{
	const char *p = v, *end = v + n, *c, *a, *b;

	for (;;) {
		c = memchr(p, ':', (size_t)(end - p));
		if (c == NULL)
			c = end;
		for (a = p; a < c && is_fws(*a); a++)
			;
		for (b = c; b > a && is_fws(b[-1]); b--)
			;
		if (a == b) {
			err_set(err, "%s=%.*s: empty element in the colon-separated list", tag, (int)n, v);
			return -1;
		}
		strlist_add_owned(l, xstrndup(a, (size_t)(b - a)));
		if (c == end)
			return 0;
		p = c + 1;
	}
}

/* p= with every FWS removed; must be base64 (§3.6.1 base64string). */
static char *
base64_value(const char *v, size_t n, struct err *err)
{
	char *out = xmalloc(n + 1);
	size_t i, len = 0, pad = 0;

	for (i = 0; i < n; i++) {
		char c = v[i];

		if (is_fws(c))
			continue;
		if (c == '=') {
			pad++;
		} else if (pad > 0 || !(ascii_is_alpha(c) || ascii_is_digit(c) || c == '+' || c == '/')) {
			err_set(err, "p=: character '%c' at offset %zu is not base64", c, i);
			goto fail;
		}
		out[len++] = c;
	}
	out[len] = '\0';
	if (pad > 2 || len % 4 != 0) {
		err_set(err, "p=: %zu base64 characters%s: not a whole base64 text", len,
			pad > 2 ? " ending in more than two '='" : "");
		goto fail;
	}
	return out;
fail:
	free(out);
	return NULL;
}

/* Checks tag-name (§3.2: ALPHA *ALNUMPUNC) and the tag-value characters
 * (VALCHAR = %x21-3A / %x3C-7E, and FWS between them). */
static int
check_syntax(const char *name, size_t nn, const char *v, size_t vn, size_t offset, struct err *err)
{
	size_t i;

	if (nn == 0 || !ascii_is_alpha(name[0])) {
		err_set(err, "tag name \"%.*s\" at byte %zu does not start with a letter", (int)nn, name, offset);
		return -1;
	}
	for (i = 1; i < nn; i++) {
		if (!ascii_is_alpha(name[i]) && !ascii_is_digit(name[i]) && name[i] != '_') {
			err_set(err, "tag name \"%.*s\" at byte %zu: only letters, digits and '_' are allowed",
				(int)nn, name, offset);
			return -1;
		}
	}
	for (i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)v[i];

		if (!is_fws(v[i]) && (c < 0x21 || c > 0x7e)) {
			err_set(err, "%.*s=: byte 0x%02x is not allowed in a tag value", (int)nn, name, c);
			return -1;
		}
	}
	return 0;
}

static int
field_cb(void *vctx, const char *s, size_t n, size_t offset)
{
	struct parse_ctx *c = vctx;
	struct dkim_key *key = c->key;
	const char *eq, *name = s, *v, *end = s + n;
	size_t nn, vn;
	char *tag;

	c->index++;
	while (name < end && is_fws(*name))
		name++;
	if (name == end) {
		err_set(c->err, "empty tag at byte %zu (\";;\" is not a tag-list)", offset);
		return -1;
	}
	if ((eq = memchr(name, '=', (size_t)(end - name))) == NULL) {
		err_set(c->err, "\"%.*s\" at byte %zu is not tag=value", (int)(end - name), name, offset);
		return -1;
	}
	for (nn = (size_t)(eq - name); nn > 0 && is_fws(name[nn - 1]); nn--)
		;
	for (v = eq + 1; v < end && is_fws(*v); v++)
		;
	for (vn = (size_t)(end - v); vn > 0 && is_fws(v[vn - 1]); vn--)
		;
	if (check_syntax(name, nn, v, vn, offset, c->err) < 0)
		return -1;
	tag = xstrndup(name, nn);
	if (dkim_key_list_has(&c->seen, tag)) {
		/* §3.2: "the entire tag-list is invalid" */
		err_set(c->err, "tag %s= appears twice", tag);
		free(tag);
		return -1;
	}
	strlist_add_owned(&c->seen, tag);
	if (strcmp(tag, "v") == 0) {
		/* §3.6.1: v= is first if present; any value but DKIM1 is discarded */
		if (c->index != 1) {
			err_set(c->err, "v= must be the first tag, it is tag %zu", c->index);
			return -1;
		}
		if (vn != 5 || memcmp(v, "DKIM1", 5) != 0) {
			err_set(c->err, "v=%.*s: not a DKIM key record (v= must be DKIM1)", (int)vn, v);
			return -1;
		}
		key->has_version = 1;
	} else if (strcmp(tag, "h") == 0) {
		key->has_h = 1;
		return split_list("h", v, vn, &key->h, c->err);
	} else if (strcmp(tag, "s") == 0) {
		key->has_s = 1;
		return split_list("s", v, vn, &key->s, c->err);
	} else if (strcmp(tag, "t") == 0) {
		return split_list("t", v, vn, &key->t, c->err);
	} else if (strcmp(tag, "k") == 0) {
		key->k = xstrndup(v, vn);
	} else if (strcmp(tag, "p") == 0) {
		if ((key->p = base64_value(v, vn, c->err)) == NULL)
			return -1;
	}
	return 0;
}

int
dkim_key_parse(const char *txt, struct dkim_key *key_out, struct err *err)
{
	struct parse_ctx c = { key_out, { 0 }, 0, err };
	size_t len = strlen(txt);

	memset(key_out, 0, sizeof(*key_out));
	if (len > DKIM_KEY_RECORD_MAX) {
		err_set(err, "the record is %zu bytes, more than %d", len, DKIM_KEY_RECORD_MAX);
		return -1;
	}
	if (record_kv_walk(txt, field_cb, &c) != 0)
		goto fail;
	if (key_out->p == NULL) {
		err_set(err, c.index == 0 ? "empty record" : "no p= tag (the public key, REQUIRED)");
		goto fail;
	}
	strlist_clear(&c.seen);
	return 0;
fail:
	strlist_clear(&c.seen);
	dkim_key_clear(key_out);
	return -1;
}

void
dkim_key_clear(struct dkim_key *key)
{
	strlist_clear(&key->h);
	strlist_clear(&key->s);
	strlist_clear(&key->t);
	free(key->k);
	free(key->p);
	memset(key, 0, sizeof(*key));
}

const char *
dkim_key_type(const struct dkim_key *key)
{
	return key->k != NULL ? key->k : "rsa";
}

int
dkim_key_list_has(const struct strlist *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], item) == 0)
			return 1;
	return 0;
}

char *
dkim_key_list_join(const struct strlist *l)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < l->n; i++) {
		t = xasprintf("%s%s%s", s, i ? ":" : "", l->v[i]);
		free(s);
		s = t;
	}
	return s;
}

int
dkim_key_allows_service(const struct dkim_key *key, const char *service)
{
	return !key->has_s || dkim_key_list_has(&key->s, "*") || dkim_key_list_has(&key->s, service);
}

int
dkim_key_allows_hash(const struct dkim_key *key, const char *hash)
{
	return !key->has_h || dkim_key_list_has(&key->h, hash);
}

int
dkim_key_is_testing(const struct dkim_key *key)
{
	return dkim_key_list_has(&key->t, "y");
}

unsigned char *
dkim_key_public_der(const struct dkim_key *key, size_t *len_out, struct err *err)
{
	size_t n = key->p != NULL ? strlen(key->p) : 0, pad = 0;
	unsigned char *der;
	int len;

	if (n == 0) {
		err_set(err, "p= is empty: the key is revoked");
		return NULL;
	}
	if (n > DKIM_KEY_RECORD_MAX) {
		err_set(err, "p= is longer than %d characters", DKIM_KEY_RECORD_MAX);
		return NULL;
	}
	while (pad < n && key->p[n - 1 - pad] == '=')
		pad++;
	der = xmalloc(n / 4 * 3 + 1);
	/* EVP_DecodeBlock counts the bytes the '=' padding stands for */
	len = EVP_DecodeBlock(der, (const unsigned char *)key->p, (int)n);
	if (len < 0 || (size_t)len < pad) {
		err_set(err, "p= is not valid base64");
		free(der);
		return NULL;
	}
	*len_out = (size_t)len - pad;
	return der;
}
