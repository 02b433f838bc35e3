/*
 * tlsrpt_record: parser for the `_smtp._tls` TXT record (RFC 8460 §3).
 *
 * A cursor walks the record once: the "v=TLSRPTv1" prefix, then fields
 * split on ';', rua values split on ','.  URIs are checked against RFC 3986
 * characters (R-3.5: ',', '!' and ';' must be %-encoded), mailto: to-parts
 * are %-decoded (RFC 6068), https: URLs are parsed by libcurl's URL API.
 * Limits: TLSRPT_RECORD_MAX bytes, TLSRPT_RECORD_MAX_RUA URIs.
 */
#include "model/tlsrpt_record.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/record_kv.h"
#include "util/ascii.h"
#include "util/xalloc.h"

#define PREFIX "v=TLSRPTv1"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define EXT_NAME_MAX 32

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(char c)
{
	if (ascii_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 3986 characters a TLSRPT URI may hold literally ('!', ',' and ';'
 * excluded by R-3.5; '%' checked separately). */
static int
is_uri_char(char c)
{
	return ascii_is_alpha(c) || ascii_is_digit(c) || strchr("-._~:/?#[]@$&'()*+=", c) != NULL;
}

void
record_tlsrpt_clear(struct tlsrpt_record *rec)
{
	size_t i;

	for (i = 0; i < rec->n_rua; i++) {
		free(rec->rua[i].uri);
		free(rec->rua[i].address);
		free(rec->rua[i].host);
	}
	free(rec->rua);
	strlist_clear(&rec->extensions);
	memset(rec, 0, sizeof(*rec));
}

int
record_tlsrpt_is_candidate(const char *txt)
{
	return record_kv_is_candidate(txt, PREFIX);
}

#define warn record_kv_warn

/* %-decodes s[0..n) (RFC 6068 / RFC 3986).  Returns a new string, or NULL
 * with err set on a bad escape or an escaped NUL/control character. */
static char *
pct_decode(const char *s, size_t n, struct err *err)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		hi = i + 2 < n ? hexval(s[i + 1]) : -1;
		lo = i + 2 < n ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0) {
			err_set(err, "bad %%-escape at \"%.*s\": write %% as %%25", (int)(n - i > 3 ? 3 : n - i), s + i);
			free(out);
			return NULL;
		}
		if (hi * 16 + lo < 0x20 || hi * 16 + lo == 0x7f) {
			err_set(err, "%%-escape %.3s decodes to a control character", s + i);
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* RFC 6068: mailto:addr-spec[?hfields]; the hfields are ignored (REC-22). */
static int
parse_mailto(struct rua *r, size_t idx, struct strlist *warnings, struct err *err)
{
	const char *to = r->uri + strlen("mailto:");
	size_t n = strcspn(to, "?");
	char *addr, *at, *comma;

	addr = pct_decode(to, n, err);
	if (addr == NULL) {
		err_prefix(err, "rua URI %zu \"%s\"", idx, r->uri);
		return -1;
	}
	comma = strchr(addr, ',');
	if (comma != NULL) {
		warn(warnings, xasprintf("rua URI %zu \"%s\" holds several addresses; "
		    "only the first is used: publish one mailto: URI per address", idx, r->uri));
		*comma = '\0';
	}
	at = strrchr(addr, '@');
	if (at == NULL || at == addr || at[1] == '\0') {
		err_set(err, "rua URI %zu \"%s\": \"%s\" is not a mail address (local@domain)", idx, r->uri, addr);
		free(addr);
		return -1;
	}
	r->address = addr;
	r->host = xstrdup(at + 1);
	return 0;
}

static int
parse_https(struct rua *r, size_t idx, struct err *err)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int rc = -1;
	const char *a = r->uri + strlen("https:");

	if (u == NULL) {
		err_set(err, "rua URI %zu: out of memory", idx);
		return -1;
	}
	/* libcurl accepts "https:///x" (host "x"); RFC 3986 needs "//" authority */
	if (strncmp(a, "//", 2) != 0 || a[2] == '\0' || strchr("/?#", a[2]) != NULL ||
	    curl_url_set(u, CURLUPART_URL, r->uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
		err_set(err, "rua URI %zu \"%s\" is not a valid https URL (https://host/path)", idx, r->uri);
		goto out;
	}
	r->host = xstrdup(host);
	rc = 0;
out:
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* One URI of a rua list: s[0..n), already trimmed. */
static int
parse_uri(struct tlsrpt_record *rec, const char *s, size_t n, size_t idx,
    struct strlist *warnings, struct err *err)
{
	struct rua r = { 0 };
	size_t i, slen = 0;

	if (n == 0) {
		err_set(err, "rua URI %zu is empty: list URIs as rua=mailto:a@example.com,https://r.example.com/x", idx);
		return -1;
	}
	if (ascii_is_alpha(s[0])) {
		for (slen = 1; slen < n && (ascii_is_alpha(s[slen]) || ascii_is_digit(s[slen]) || strchr("+-.", s[slen])); slen++)
			;
	}
	if (slen == 0 || slen >= n || s[slen] != ':') {
		err_set(err, "rua URI %zu \"%.*s\" has no scheme (mailto: or https:)%s", idx, (int)n, s,
		    idx > 1 && memchr(s, '@', n) != NULL ? ": encode ',' inside a URI as %2C" : "");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '!') {
			err_set(err, "rua URI %zu \"%.*s\" holds a raw '!': encode '!' as %%21", idx, (int)n, s);
			return -1;
		}
		if (is_wsp(s[i])) {
			err_set(err, "rua URI %zu \"%.*s\" holds a space: encode it as %%20", idx, (int)n, s);
			return -1;
		}
		if (s[i] == '%') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				err_set(err, "rua URI %zu \"%.*s\": '%%' not followed by two hex digits: encode '%%' as %%25",
				    idx, (int)n, s);
				return -1;
			}
			continue;
		}
		if (!is_uri_char(s[i])) {
			err_set(err, "rua URI %zu \"%.*s\": character '%c' is not allowed in a URI: %%-encode it as %%%02X",
			    idx, (int)n, s, s[i], (unsigned char)s[i]);
			return -1;
		}
	}
	if (rec->n_rua >= TLSRPT_RECORD_MAX_RUA) {
		err_set(err, "more than %d rua URIs", TLSRPT_RECORD_MAX_RUA);
		return -1;
	}
	r.uri = xstrndup(s, n);
	if (slen == 6 && strncasecmp(s, "mailto", 6) == 0) {
		r.scheme = RUA_MAILTO;
		if (parse_mailto(&r, idx, warnings, err) < 0)
			goto fail;
	} else if (slen == 5 && strncasecmp(s, "https", 5) == 0) {
		r.scheme = RUA_HTTPS;
		if (parse_https(&r, idx, err) < 0)
			goto fail;
	} else {
		r.scheme = RUA_OTHER;
		warn(warnings, xasprintf("rua URI %zu \"%s\": scheme \"%.*s:\" is not supported, "
		    "only mailto: and https: are (RFC 8460 §3): remove it or use https:", idx, r.uri, (int)slen, s));
	}
	rec->rua = xreallocarray(rec->rua, rec->n_rua + 1, sizeof(*rec->rua));
	rec->rua[rec->n_rua++] = r;
	if (r.scheme != RUA_OTHER)
		rec->n_usable++;
	return 0;
fail:
	free(r.uri);
	free(r.address);
	free(r.host);
	return -1;
}

/* The value of one rua= field: URIs separated by *WSP "," *WSP. */
static int
parse_rua_value(struct tlsrpt_record *rec, const char *v, size_t n,
    struct strlist *warnings, struct err *err)
{
	size_t i = 0, start, end;

	if (n == 0) {
		err_set(err, "rua= is empty: give at least one mailto: or https: URI");
		return -1;
	}
	for (;;) {
		while (i < n && is_wsp(v[i]))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (end > start && is_wsp(v[end - 1]))
			end--;
		if (parse_uri(rec, v + start, end - start, rec->n_rua + 1, warnings, err) < 0)
			return -1;
		if (i >= n)
			return 0;
		i++; /* the ',' */
	}
}

static int
valid_ext_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !(ascii_is_alpha(s[0]) || ascii_is_digit(s[0])))
		return 0;
	for (i = 1; i < n; i++)
		if (!(ascii_is_alpha(s[i]) || ascii_is_digit(s[i]) || strchr("_-.", s[i])))
			return 0;
	return 1;
}

static int
valid_ext_value(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ';' || s[i] == '=')
			return 0;
	return n > 0;
}

/* One field name=value; [s, s+n) trimmed. nfield counts from 1 (v= is 0). */
static int
parse_field(struct tlsrpt_record *rec, const char *s, size_t n, int nfield,
    int *n_rua_fields, struct strlist *warnings, struct err *err)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen, vlen;

	if (eq == NULL) {
		err_set(err, "field %d \"%.*s\" is not name=value", nfield + 1, (int)n, s);
		return -1;
	}
	nlen = (size_t)(eq - s);
	vlen = n - nlen - 1;
	if (nlen == 3 && memcmp(s, "rua", 3) == 0) {
		if (++*n_rua_fields == 2)
			warn(warnings, xstrdup("repeated rua= field, senders may use only the first: "
			    "list every URI in one rua=, separated by ','"));
		return parse_rua_value(rec, eq + 1, vlen, warnings, err);
	}
	if (nlen == 0) {
		err_set(err, "field %d \"%.*s\" has no name", nfield + 1, (int)n, s);
		return -1;
	}
	if (nlen > EXT_NAME_MAX)
		warn(warnings, xasprintf("extension name \"%.*s\" is longer than %d characters (RFC 8460 §3)",
		    (int)nlen, s, EXT_NAME_MAX));
	else if (!valid_ext_name(s, nlen))
		warn(warnings, xasprintf("extension name \"%.*s\" has characters RFC 8460 §3 does not allow",
		    (int)nlen, s));
	if (!valid_ext_value(eq + 1, vlen))
		warn(warnings, xasprintf("extension %.*s has an empty value or one with spaces or '='",
		    (int)nlen, s));
	if (nlen == 3 && strncasecmp(s, "rua", 3) == 0)
		warn(warnings, xasprintf("field \"%.*s=\" is not \"rua=\": field names are case-sensitive",
		    (int)nlen, s));
	strlist_add_owned(&rec->extensions, xstrndup(s, n));
	return 0;
}

static int
check_chars(const char *txt, size_t len, struct err *err)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)txt[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			err_set(err, "byte 0x%02x at offset %zu: a TLSRPT record is printable US-ASCII", c, i);
			return -1;
		}
	}
	return 0;
}

struct field_ctx {
	struct tlsrpt_record *rec;
	struct strlist *warnings;
	struct err *err;
	int nfield;
	int n_rua_fields;
};

static int
parse_field_cb(void *ctx, const char *s, size_t n, size_t offset)
{
	struct field_ctx *fc = ctx;

	if (n == 0) {
		warn(fc->warnings, xasprintf("empty field (\";;\") at offset %zu", offset));
		return 0;
	}
	fc->nfield++;
	return parse_field(fc->rec, s, n, fc->nfield, &fc->n_rua_fields, fc->warnings,
			   fc->err) < 0 ? -1 : 0;
}

int
record_tlsrpt_parse(const char *txt, struct tlsrpt_record *rec,
    struct strlist *warnings, struct err *err)
{
	size_t len = strlen(txt);
	struct field_ctx fc = { rec, warnings, err, 0, 0 };
	int sawspace = 0, rc;

	memset(rec, 0, sizeof(*rec));
	if (len > TLSRPT_RECORD_MAX) {
		err_set(err, "record is %zu bytes, more than the %d a TXT record can hold", len, TLSRPT_RECORD_MAX);
		return -1;
	}
	if (strncmp(txt, PREFIX, PREFIX_LEN) != 0) {
		err_set(err, "not a TLSRPT record: it must start with \"v=TLSRPTv1;\" "
		    "(case-sensitive, first, no space before it)");
		return -1;
	}
	if (check_chars(txt, len, err) < 0)
		return -1;
	if (!record_tlsrpt_is_candidate(txt)) {
		err_set(err, "not a TLSRPT record: \"v=TLSRPTv1\" must be followed by ';'");
		return -1;
	}
	rc = record_kv_fields(txt, PREFIX, parse_field_cb, &fc, &sawspace);
	if (sawspace)
		warn(warnings, xstrdup("space before ';' after v=TLSRPTv1: senders applying the "
		    "literal 'v=TLSRPTv1;' prefix discard the record: write \"v=TLSRPTv1;\""));
	if (rc != 0)
		goto fail;
	if (fc.n_rua_fields == 0) {
		err_set(err, "no rua= field: add rua=mailto:ADDRESS or rua=https://URL (\"rua\" is lower case)");
		goto fail;
	}
	if (rec->n_usable == 0) {
		err_set(err, "no usable rua destination: only mailto: and https: are supported");
		goto fail;
	}
	return 0;
fail:
	record_tlsrpt_clear(rec);
	return -1;
}

int
record_tlsrpt_select(const char *const *txts, size_t n,
    struct tlsrpt_record *rec, struct strlist *warnings, int *chosen,
    struct err *err)
{
	size_t i, which = 0, count = record_kv_count(txts, n, PREFIX, &which);

	memset(rec, 0, sizeof(*rec));
	if (chosen != NULL)
		*chosen = -1;
	if (count == 0) {
		for (i = 0; i < n; i++)
			if (strncasecmp(txts[i], "v=tlsrpt", 8) == 0 ||
			    strncasecmp(txts[i] + strspn(txts[i], " \t"), "v=tlsrpt", 8) == 0)
				break;
		if (i < n)
			err_set(err, "no TLSRPT record: \"%.40s\" is discarded, a record must start "
			    "with exactly \"v=TLSRPTv1;\" (case-sensitive, no space before it)", txts[i]);
		else
			err_set(err, "no TLSRPT record: none of the %zu TXT records starts with \"v=TLSRPTv1;\"", n);
		return -1;
	}
	if (count > 1) {
		err_set(err, "%zu TLSRPT records: there must be exactly one (RFC 8460 §3), "
		    "senders ignore them all: merge them into one record", count);
		return -1;
	}
	if (chosen != NULL)
		*chosen = (int)which;
	return record_tlsrpt_parse(txts[which], rec, warnings, err);
}
