/*
 * utf8fix: repairs text that must be UTF-8 but may not be.
 *
 * sys4's libtlsrpt passes bytes >= 0x80 through unchecked, and jansson
 * rejects invalid UTF-8, so the collector repairs a datagram before it
 * parses it: each byte that does not start a valid sequence (and a NUL
 * byte) becomes U+FFFD, as glib's g_utf8_make_valid() does.  Valid input
 * is left alone.
 */
#ifndef TLSRPT_COLLECTOR_UTF8FIX_H
#define TLSRPT_COLLECTOR_UTF8FIX_H

#include <stddef.h>

/* Returns the length of the longest valid UTF-8 prefix of s[0..len)
 * (len itself when all of it is valid).  Overlong forms, surrogates and
 * code points above U+10FFFF are invalid, as in jansson; so is a NUL
 * byte (glib's g_utf8_validate_len()). */
size_t utf8fix_valid_prefix(const char *s, size_t len);

/* Returns a new buffer (caller frees; NUL-terminated, length in *out_len)
 * holding s[0..len) with every invalid byte replaced by U+FFFD, or
 * NULL when s is already valid UTF-8 (nothing to repair).  The output is
 * at most 3 * len bytes. */
char *utf8fix_repair(const char *s, size_t len, size_t *out_len);

#endif
