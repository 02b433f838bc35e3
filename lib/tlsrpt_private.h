/*
 * tlsrpt_private.h: what the files of libtlsrpt share (hidden symbols).
 *
 * A growable text buffer that starts in caller-provided storage and grows
 * through the pluggable allocator, the JSON string escaping of sys4's
 * library (byte for byte), and the process-wide settings of the API.
 */
#ifndef TLSRPT_LIB_PRIVATE_H
#define TLSRPT_LIB_PRIVATE_H

#include <stddef.h>
#include <string.h>

/* A text buffer.  `p` points at `inline_mem` (not owned) until it grows;
 * afterwards it is owned and released by tlsrpt_priv_buf_release(). */
struct tlsrpt_priv_buf {
	char *p;
	size_t len;
	size_t cap;
	int owned;
};

/* Starts b in the caller's storage mem[cap]. */
void tlsrpt_priv_buf_init(struct tlsrpt_priv_buf *b, char *mem, size_t cap);

/* Grows b to hold at least `need` bytes.  Returns 0, or -1 if the
 * allocator failed (b unchanged). */
int tlsrpt_priv_buf_grow(struct tlsrpt_priv_buf *b, size_t need);

/* Appends n bytes.  Returns 0, or -1 if the allocator failed (b unchanged).
 * Inline: most appends are a few constant bytes into room already there,
 * which the compiler then turns into a store or two. */
static inline int
tlsrpt_priv_buf_put(struct tlsrpt_priv_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len && tlsrpt_priv_buf_grow(b, b->len + n) < 0)
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

/* Appends a NUL-terminated string.  Returns 0 or -1 (allocation). */
static inline int
tlsrpt_priv_buf_puts(struct tlsrpt_priv_buf *b, const char *s)
{
	return tlsrpt_priv_buf_put(b, s, strlen(s));
}

/* Appends the decimal form of v.  Returns 0 or -1 (allocation). */
int tlsrpt_priv_buf_putint(struct tlsrpt_priv_buf *b, long v);

/* Appends s escaped as the body of a JSON string, the way sys4 does:
 * '"' and '\\' escaped, \b \f \n \r \t short, other controls and 0x7f as
 * \u00xx (lower-case hex), bytes >= 0x80 raw.  Returns 0 or -1. */
int tlsrpt_priv_buf_putesc(struct tlsrpt_priv_buf *b, const char *s);

/* Empties b (keeps its storage). */
void tlsrpt_priv_buf_reset(struct tlsrpt_priv_buf *b);

/* Releases owned storage and empties b. */
void tlsrpt_priv_buf_release(struct tlsrpt_priv_buf *b);

/* The pluggable allocator (tlsrpt_set_malloc_and_free). */
void *tlsrpt_priv_alloc(size_t n);
void tlsrpt_priv_dealloc(void *p);

/* The flags for sendto(): MSG_DONTWAIT unless tlsrpt_set_blocking(). */
int tlsrpt_priv_send_flags(void);

#endif
