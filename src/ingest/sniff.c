/*
 * sniff: classifies bytes by their first bytes (see sniff.h).  Order
 * matters: binary magics first, then JSON, then a mail header line, then
 * base64 text (whose alphabet never contains ':' so it cannot look like a
 * header).  Only a bounded prefix is examined.
 */
#include "ingest/sniff.h"

#include <string.h>

#include <glib.h>

/* Bytes examined when checking that text is all base64. */
#define SNIFF_BASE64_SCAN 4096

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
sniff_json_skip(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		i = 3;
	while (i < len && is_space(p[i]))
		i++;
	return i;
}

/* An RFC 5322 field name (printable ASCII except ':' and space) then ':'. */
static int
looks_like_header(const unsigned char *p, size_t len)
{
	size_t i = 0;

	while (i < len && i < 998 && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	return i > 0 && i < len && p[i] == ':';
}

static int
is_base64_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static int
looks_like_base64(const unsigned char *p, size_t len)
{
	unsigned char quad[4], out[3];
	size_t i, n = 0;
	gint state = 0;
	guint save = 0;
	gsize got;

	for (i = 0; i < len && i < SNIFF_BASE64_SCAN; i++) {
		if (is_space(p[i]))
			continue;
		if (!is_base64_char(p[i]))
			return 0;
		if (n < 4)
			quad[n++] = p[i];
	}
	if (n < 4)
		return 0;
	got = g_base64_decode_step((const gchar *)quad, 4, out, &state, &save);
	if (got < 2)
		return 0;
	return (out[0] == 0x1f && out[1] == 0x8b) || out[0] == '{' ||
	       (got == 3 && out[0] == 'P' && out[1] == 'K' && out[2] == 3);
}

enum sniff_kind
sniff_kind(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t skip;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return SNIFF_GZIP;
	if (len >= 4 && p[0] == 'P' && p[1] == 'K' &&
	    ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6)))
		return SNIFF_ZIP;
	skip = sniff_json_skip(data, len);
	if (skip < len && p[skip] == '{')
		return SNIFF_JSON;
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		return SNIFF_MAIL;
	if (looks_like_header(p, len))
		return SNIFF_MAIL;
	if (looks_like_base64(p, len))
		return SNIFF_BASE64;
	return SNIFF_UNKNOWN;
}

const char *
sniff_kind_name(enum sniff_kind kind)
{
	switch (kind) {
	case SNIFF_JSON:
		return "json";
	case SNIFF_GZIP:
		return "gzip";
	case SNIFF_ZIP:
		return "zip";
	case SNIFF_BASE64:
		return "base64";
	case SNIFF_MAIL:
		return "mail";
	case SNIFF_UNKNOWN:
		break;
	}
	return "unknown";
}

void
sniff_excerpt(const void *data, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = data;
	size_t i, n = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < len && n + 1 < outsz && n < 24; i++)
		out[n++] = (p[i] >= 32 && p[i] < 127 && p[i] != '"') ? (char)p[i] : '.';
	out[n] = '\0';
}
