/*
 * db_array: PostgreSQL array literals (see db_array.h).  The syntax is
 * PostgreSQL's array input (docs: "Array Value Input"): elements between
 * braces, separated by commas, a double-quoted element with '"' and '\'
 * backslash-escaped, and an unquoted NULL for SQL NULL.
 */
#include "store/db_array.h"

#include <string.h>

void
db_array_init(struct db_array *a)
{
	buf_init(&a->b, DB_ARRAY_MAX);
	db_array_reset(a);
}

/* Appends n bytes of p; marks a full when they do not fit. */
static void
put(struct db_array *a, const char *p, size_t n)
{
	if (!a->full && buf_append(&a->b, p, n) < 0)
		a->full = 1;
}

/* The separator before the next element. */
static void
next(struct db_array *a)
{
	if (a->n++ > 0)
		put(a, ",", 1);
}

void
db_array_text(struct db_array *a, const char *s)
{
	size_t len;
	char *w, *start;

	next(a);
	if (s == NULL) {
		put(a, "NULL", 4);
		return;
	}
	a->text = 1;
	len = strlen(s);
	if (a->full || len > (DB_ARRAY_MAX - 2) / 2 ||
	    (start = buf_extend(&a->b, 2 * len + 2)) == NULL) {
		a->full = 1;
		return;
	}
	/* one pass, room for every byte escaped; the buffer is then cut */
	w = start;
	*w++ = '"';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '"';
	a->b.len = (size_t)(w - a->b.data);
	a->b.data[a->b.len] = '\0';
}

void
db_array_int64(struct db_array *a, int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	next(a);
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	put(a, p, (size_t)(num + sizeof(num) - p));
}

const char *
db_array_literal(struct db_array *a)
{
	put(a, "}", 1);
	if (a->full)
		return NULL;
	a->b.len--;             /* the brace stays after the end, not in it */
	return a->b.data;
}

const char *
db_array_type(const struct db_array *a)
{
	return a->text ? "text" : "bigint";
}

void
db_array_reset(struct db_array *a)
{
	buf_reset(&a->b);
	a->n = 0;
	a->text = 0;
	a->full = 0;
	put(a, "{", 1);
}

void
db_array_free(struct db_array *a)
{
	buf_free(&a->b);
}
