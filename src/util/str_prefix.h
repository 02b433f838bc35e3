/*
 * str_prefix: a string's first 8 bytes as a number, for sorting strings in
 * byte order (strcmp()) with one integer comparison in the common case.
 */
#ifndef TLSRPT_UTIL_STR_PREFIX_H
#define TLSRPT_UTIL_STR_PREFIX_H

#include <stdint.h>

/* The first 8 bytes of s, NUL-padded, as a big-endian number: for any two
 * strings, str_prefix8(a) < str_prefix8(b) implies strcmp(a, b) < 0, and
 * equal prefixes of strings shorter than 8 bytes mean equal strings
 * (otherwise strcmp() decides). */
static inline uint64_t
str_prefix8(const char *s)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8 && s[i] != '\0'; i++)
		v = v << 8 | (unsigned char)s[i];
	return i == 0 ? 0 : v << (8 * (8 - i));
}

#endif
