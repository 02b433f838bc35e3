/*
 * utf8fix: UTF-8 validation and repair for collector datagrams
 * (see utf8fix.h).  The decoder follows the well-formed byte sequences
 * table of Unicode §3.9 (Table 3-7).
 */
#include "collector/utf8fix.h"

#include <string.h>

#include "util/xalloc.h"

/* Returns the length of the well-formed sequence at s (1-4), or 0 if the
 * bytes at s do not start one; *bad_len gets the maximal invalid subpart. */
static size_t
seq_len(const unsigned char *s, size_t avail, size_t *bad_len)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;

	*bad_len = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (size_t i = 1; i < need; i++) {
		unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;

		if (i >= avail || s[i] < l || s[i] > h) {
			*bad_len = i;
			return 0;
		}
	}
	return need;
}

size_t
utf8fix_valid_prefix(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, bad;

	while (i < len) {
		size_t n;

		/* ASCII fast path, 8 bytes at a time. */
		while (i + 8 <= len) {
			unsigned long long w;

			memcpy(&w, u + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		n = seq_len(u + i, len - i, &bad);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

char *
utf8fix_repair(const char *s, size_t len, size_t *out_len)
{
	static const char fffd[3] = { (char)0xEF, (char)0xBF, (char)0xBD };
	const unsigned char *u = (const unsigned char *)s;
	size_t i = utf8fix_valid_prefix(s, len), o, bad;
	char *out;

	if (i == len)
		return NULL;
	out = xmalloc(3 * len + 1);
	memcpy(out, s, i);
	o = i;
	while (i < len) {
		size_t n = seq_len(u + i, len - i, &bad);

		if (n == 0) {
			memcpy(out + o, fffd, 3);
			o += 3;
			i += bad;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}
