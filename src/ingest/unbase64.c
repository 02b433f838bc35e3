/*
 * unbase64: base64 text → bytes (see unbase64.h).  The alphabet is checked
 * first because glib's decoder silently skips characters it does not know.
 */
#include "ingest/unbase64.h"

#include <glib.h>

int
unbase64_decode(const char *text, size_t len, struct buf *out, struct err *err)
{
	gint state = 0;
	guint save = 0;
	guchar *tmp;
	gsize got;
	size_t i;

	buf_init(out, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
		    c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		err_set(err, "base64 text: byte %zu (0x%02x) is not in the base64 alphabet",
			i, c);
		return -1;
	}
	tmp = g_malloc(len / 4 * 3 + 3);
	got = g_base64_decode_step(text, len, tmp, &state, &save);
	(void)buf_append(out, tmp, got);  /* got <= out->max by construction */
	g_free(tmp);
	return 0;
}
