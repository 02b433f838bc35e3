/*
 * utf8_seq: the length of one valid UTF-8 sequence (see utf8_seq.h).
 */
#include "util/utf8_seq.h"

#include <glib.h>

size_t
utf8_seq(const unsigned char *s, size_t n)
{
	gunichar c;

	if (s[0] < 0x80)
		return 1;
	c = g_utf8_get_char_validated((const gchar *)s, (gssize)(n < 4 ? n : 4));
	if (c == (gunichar)-1 || c == (gunichar)-2 || c < 0x80)
		return 0;
	return (size_t)g_unichar_to_utf8(c, NULL);
}
