/*
 * buf: a growable byte buffer with a hard maximum (curl dynbuf).
 *
 * Every buffer that grows from outside input is given its maximum when it
 * is created; an append that would pass it fails with -1 and leaves the
 * buffer as it was.  The data is always NUL-terminated (not counted in len)
 * so text can be used as a C string.  The buffer owns `data`; buf_free()
 * releases it, buf_steal() hands it to the caller.
 */
#ifndef TLSRPT_UTIL_BUF_H
#define TLSRPT_UTIL_BUF_H

#include <stddef.h>

struct buf {
	char *data;     /* owned; NULL until the first append */
	size_t len;     /* bytes used, without the terminating NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* largest len allowed */
};

/* Prepares an empty buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);

/* Appends n bytes. Returns 0, or -1 if the result would exceed b->max. */
int buf_append(struct buf *b, const void *data, size_t n);

/* Appends a C string. Returns 0, or -1 past the maximum. */
int buf_append_str(struct buf *b, const char *s);

/* Appends formatted text. Returns 0, or -1 past the maximum. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes room for n more bytes and counts them in: returns where they go
 * (the caller writes them; b->len may then be lowered to what was
 * written, with b->data[b->len] = '\0'), or NULL past the maximum. */
char *buf_extend(struct buf *b, size_t n);

/* Empties the buffer, keeping its allocation. */
void buf_reset(struct buf *b);

/* Returns the data (caller frees with free(), never NULL) and empties b. */
char *buf_steal(struct buf *b, size_t *len);

/* Releases the data; b may be reused after buf_init(). */
void buf_free(struct buf *b);

#endif
