/*
 * db_array: PostgreSQL array literals ("{1,2}", "{\"a\",NULL}") built
 * element by element, to bind a column of many rows as one parameter
 * (`unnest($1::text[])`): the multi-row statements of db_batch.h and of
 * store_reports_group.c.
 */
#ifndef TLSRPT_STORE_DB_ARRAY_H
#define TLSRPT_STORE_DB_ARRAY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* An array literal under construction.  Init with db_array_init(),
 * release with db_array_free(). */
struct db_array {
	struct buf b;           /* "{" and the elements so far */
	size_t n;               /* elements so far */
	int text;               /* a text element was added */
	int full;               /* an element did not fit DB_ARRAY_MAX */
};

/* The longest literal: PostgreSQL takes no parameter over 1 GiB. */
#define DB_ARRAY_MAX ((size_t)1 << 29)

/* Starts an empty array. */
void db_array_init(struct db_array *a);

/* Adds s as a quoted element ('"' and '\' escaped), or NULL for SQL NULL. */
void db_array_text(struct db_array *a, const char *s);

/* Adds an integer element. */
void db_array_int64(struct db_array *a, int64_t v);

/* Returns the literal, "{…}", borrowed until the next call on a, or NULL
 * when the elements did not fit DB_ARRAY_MAX bytes. */
const char *db_array_literal(struct db_array *a);

/* The SQL element type the array needs: "text" if a text element was
 * added, else "bigint" (integers and NULLs only). */
const char *db_array_type(const struct db_array *a);

/* Empties a for reuse (keeps its memory). */
void db_array_reset(struct db_array *a);

/* Releases a's memory; a may be initialised again. */
void db_array_free(struct db_array *a);

#endif
