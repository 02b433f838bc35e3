/*
 * utf8fix: UTF-8 validation and repair for collector datagrams
 * (see utf8fix.h), through glib.
 */
#include "collector/utf8fix.h"

#include <glib.h>
#include <string.h>

#include "util/xalloc.h"

size_t
utf8fix_valid_prefix(const char *s, size_t len)
{
	const gchar *end = NULL;

	if (g_utf8_validate_len(s, len, &end))
		return len;
	return (size_t)(end - s);
}

char *
utf8fix_repair(const char *s, size_t len, size_t *out_len)
{
	gchar *fixed;
	char *out;
	size_t n;

	if (utf8fix_valid_prefix(s, len) == len)
		return NULL;
	fixed = g_utf8_make_valid(s, (gssize)len);
	n = strlen(fixed);
	/* our buffers are freed with free(), glib's with g_free() */
	out = xmalloc(n + 1);
	memcpy(out, fixed, n + 1);
	g_free(fixed);
	*out_len = n;
	return out;
}
