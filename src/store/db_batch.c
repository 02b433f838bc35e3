/*
 * db_batch: rows kept for multi-row statements (see db_batch.h).
 */
#include "store/db_batch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_array.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* A parameter's value in the row being bound. */
struct value {
	enum { V_NULL, V_TEXT, V_INT } kind;
	const char *text;       /* V_TEXT: owned or the caller's */
	char *owned;            /* text, when copied */
	int64_t num;            /* V_INT */
};

/* One statement seen in batch mode. */
struct entry {
	const void *st;         /* the db_stmt, only compared */
	int batched;            /* its SQL has the batchable shape */
	char *head, *tail;      /* "INSERT INTO t (…)", the suffix (owned) */
	int n;                  /* its parameters */
	struct value *row;      /* the row being bound, n of them */
	struct db_array *cols;  /* the rows ended so far, one array per
				 * parameter */
	size_t rows;
};

struct db_batch {
	struct entry *e;        /* in order of first use */
	size_t n, cap;
};

struct db_batch *
db_batch_new(void)
{
	return xcalloc(1, sizeof(struct db_batch));
}

static void
value_clear(struct value *v)
{
	free(v->owned);
	v->owned = NULL;
	v->text = NULL;
	v->kind = V_NULL;
}

void
db_batch_free(struct db_batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];

		for (int k = 0; k < e->n; k++) {
			value_clear(&e->row[k]);
			db_array_free(&e->cols[k]);
		}
		free(e->row);
		free(e->cols);
		free(e->head);
		free(e->tail);
	}
	free(b->e);
	free(b);
}

/* Skips blanks. */
static const char *
blanks(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Reads sql's shape into e: "INSERT INTO … VALUES ($1, …, $n) suffix",
 * without RETURNING or DO UPDATE.  Returns 1 when it has it, else 0. */
static int
shape(struct entry *e, const char *sql)
{
	const char *v = strstr(sql, " VALUES (");
	const char *p;
	int k = 0;

	/* DO UPDATE: one statement may not update a row twice */
	if (strncmp(sql, "INSERT INTO ", 12) != 0 || v == NULL || strstr(sql, "RETURNING") != NULL ||
	    strstr(sql, "DO UPDATE") != NULL)
		return 0;
	p = v + 9;
	for (;;) {
		char *end;
		long idx;

		p = blanks(p);
		if (*p != '$')
			return 0;
		idx = strtol(p + 1, &end, 10);
		if (end == p + 1 || idx != k + 1)
			return 0;
		k++;
		p = blanks(end);
		if (*p == ')')
			break;
		if (*p != ',')
			return 0;
		p++;
	}
	e->head = xstrndup(sql, (size_t)(v - sql));
	e->tail = xstrdup(p + 1);
	e->n = k;
	e->row = xcalloc((size_t)k, sizeof(*e->row));
	e->cols = xcalloc((size_t)k, sizeof(*e->cols));
	for (int i = 0; i < k; i++)
		db_array_init(&e->cols[i]);
	return 1;
}

/* The entry of st, made on its first use. */
static struct entry *
entry_of(struct db_batch *b, const void *st, const char *sql)
{
	struct entry *e;

	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].st == st)
			return &b->e[i];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->e = xreallocarray(b->e, b->cap, sizeof(*b->e));
	}
	e = &b->e[b->n++];
	memset(e, 0, sizeof(*e));
	e->st = st;
	e->batched = shape(e, sql);
	return e;
}

/* The value slot of parameter i of st's row, or NULL when st is not
 * batched (or i is not one of its parameters). */
static struct value *
slot(struct db_batch *b, const void *st, const char *sql, int i)
{
	struct entry *e = entry_of(b, st, sql);

	if (!e->batched || i < 1 || i > e->n)
		return NULL;
	value_clear(&e->row[i - 1]);
	return &e->row[i - 1];
}

int
db_batch_bind_text(struct db_batch *b, const void *st, const char *sql, int i,
		   const char *s, int copy)
{
	struct value *v = slot(b, st, sql, i);

	if (v == NULL)
		return 0;
	if (s != NULL) {
		v->kind = V_TEXT;
		v->text = copy ? (v->owned = xstrdup(s)) : s;
	}
	return 1;
}

int
db_batch_bind_int64(struct db_batch *b, const void *st, const char *sql, int i, int64_t v)
{
	struct value *x = slot(b, st, sql, i);

	if (x == NULL)
		return 0;
	x->kind = V_INT;
	x->num = v;
	return 1;
}

int
db_batch_row_end(struct db_batch *b, const void *st, const char *sql)
{
	struct entry *e = entry_of(b, st, sql);

	if (!e->batched)
		return 0;
	for (int k = 0; k < e->n; k++) {
		struct value *v = &e->row[k];

		if (v->kind == V_INT)
			db_array_int64(&e->cols[k], v->num);
		else
			db_array_text(&e->cols[k], v->text);
		value_clear(v);
	}
	e->rows++;
	return 1;
}

void
db_batch_row_clear(struct db_batch *b, const void *st)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].st == st)
			for (int k = 0; k < b->e[i].n; k++)
				value_clear(&b->e[i].row[k]);
}

int
db_batch_send(struct db_batch *b,
	      int (*send)(void *ctx, const char *sql, int n, const char *const *literals,
			  struct err *err),
	      void *ctx, struct err *err)
{
	for (size_t i = 0; i < b->n; i++) {
		struct entry *e = &b->e[i];
		const char **lit;
		struct buf sql;
		size_t len;
		char *text;
		int rc = 0;

		if (!e->batched || e->rows == 0)
			continue;
		lit = xcalloc((size_t)e->n, sizeof(*lit));
		buf_init(&sql, DB_ARRAY_MAX);
		buf_printf(&sql, "%s SELECT * FROM unnest(", e->head);
		for (int k = 0; k < e->n && rc == 0; k++) {
			buf_printf(&sql, "%s$%d::%s[]", k ? ", " : "", k + 1,
				   db_array_type(&e->cols[k]));
			if ((lit[k] = db_array_literal(&e->cols[k])) == NULL) {
				err_set(err, "%zu rows of one statement are too large for one"
					" parameter (%s)", e->rows, e->head);
				rc = -1;
			}
		}
		buf_printf(&sql, ")%s", e->tail);
		text = buf_steal(&sql, &len);
		if (rc == 0)
			rc = send(ctx, text, e->n, lit, err);
		free(text);
		free(lit);
		if (rc < 0)
			return -1;
	}
	return 0;
}
