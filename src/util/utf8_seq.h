/*
 * utf8_seq: the length of one valid UTF-8 sequence, through glib.
 */
#ifndef UTIL_UTF8_SEQ_H
#define UTIL_UTF8_SEQ_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s, which has n > 0 bytes
 * left, or 0 when it is not one: a stray or missing continuation byte, an
 * overlong form, a surrogate, a value past U+10FFFF or a sequence cut off
 * by n (glib's g_utf8_get_char_validated()).  A NUL byte is length 1. */
size_t utf8_seq(const unsigned char *s, size_t n);

#endif
