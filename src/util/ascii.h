/*
 * ascii: character classes of the DNS record grammars (RFC 5234 ALPHA and
 * DIGIT), independent of the C locale, unlike <ctype.h>.
 */
#ifndef TLSRPT_UTIL_ASCII_H
#define TLSRPT_UTIL_ASCII_H

/* Returns 1 for A-Z and a-z, else 0. */
static inline int
ascii_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Returns 1 for 0-9, else 0. */
static inline int
ascii_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

#endif
