/*
 * xalloc: allocation that either succeeds or ends the program
 * (Postfix mymalloc).  For program code in src/ only; lib/ never uses it.
 * All returned memory is owned by the caller and released with free().
 */
#ifndef TLSRPT_UTIL_XALLOC_H
#define TLSRPT_UTIL_XALLOC_H

#include <stddef.h>

/* malloc(n), never NULL (n == 0 gives a unique 1-byte block). */
void *xmalloc(size_t n);
/* calloc(nmemb, size), never NULL; dies on multiplication overflow. */
void *xcalloc(size_t nmemb, size_t size);
/* realloc(p, n), never NULL. */
void *xrealloc(void *p, size_t n);
/* reallocarray(p, nmemb, size), never NULL; dies on overflow. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* strdup(s); NULL in gives NULL out. */
char *xstrdup(const char *s);
/* strndup(s, n); NULL in gives NULL out. */
char *xstrndup(const char *s, size_t n);
/* asprintf into a new string, never NULL. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
