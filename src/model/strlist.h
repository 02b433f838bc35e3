/*
 * strlist: a growable array of owned C strings.
 * The list owns every element; strlist_clear() frees them all.
 */
#ifndef TLSRPT_MODEL_STRLIST_H
#define TLSRPT_MODEL_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;       /* n elements, each owned */
	size_t n;
	size_t cap;
};

/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);

/* Appends s, taking ownership of it. */
void strlist_add_owned(struct strlist *l, char *s);

/* Appends formatted text. */
void strlist_addf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees every element and the array; l is empty afterwards. */
void strlist_clear(struct strlist *l);

/* Returns 1 if the lists hold equal strings in the same order, else 0. */
int strlist_equal(const struct strlist *a, const struct strlist *b);

#endif
