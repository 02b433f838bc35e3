/*
 * db_batch: the rows db_run() keeps in batch mode (db_batch_begin() in
 * db.h), one multi-row statement per INSERT at the end.  Private to db.c:
 * it calls these from db_bind_*(), db_run() and db_batch_end().
 *
 * A statement is batched when its SQL is a plain
 * `INSERT INTO t (c1, …, cn) VALUES ($1, …, $n)` with an optional suffix
 * (ON CONFLICT … DO NOTHING), no RETURNING; its rows are kept as one array
 * per parameter (db_array.h) and sent as
 * `INSERT INTO t (c1, …, cn) SELECT * FROM unnest($1::T1[], …) suffix`,
 * Tk bigint or text after what was bound.  Any other statement runs as
 * usual.
 */
#ifndef TLSRPT_STORE_DB_BATCH_H
#define TLSRPT_STORE_DB_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct db_batch;

/* Returns a new, empty batch (release with db_batch_free()). */
struct db_batch *db_batch_new(void);

/* Releases b and every row it keeps (none is sent).  NULL is a no-op. */
void db_batch_free(struct db_batch *b);

/* Records text s (NULL: SQL NULL) for parameter i (1-based) of the
 * statement st whose SQL is sql: a copy when copy is set, else s itself,
 * which must then stay unchanged until the row ends or is cleared (as
 * db_bind_text_static() asks).  Returns 1 when st is batched (the value
 * is kept for its current row), 0 when it is not (bind it as usual). */
int db_batch_bind_text(struct db_batch *b, const void *st, const char *sql, int i,
		       const char *s, int copy);

/* db_batch_bind_text() for an integer. */
int db_batch_bind_int64(struct db_batch *b, const void *st, const char *sql, int i,
			int64_t v);

/* Ends st's current row (parameters not bound are NULL).  Returns 1 when
 * st is batched, 0 when it is not (run it as usual). */
int db_batch_row_end(struct db_batch *b, const void *st, const char *sql);

/* Clears the values bound to st's current row (db_reset()). */
void db_batch_row_clear(struct db_batch *b, const void *st);

/* Calls send(ctx, sql, n, literals) for each batched statement that has
 * rows, in the order each was first run: sql the multi-row statement,
 * literals its n array literals ($1 … $n).  Stops at the first send()
 * that returns -1, and returns -1 (err set); a literal too long for one
 * parameter is an error too.  Returns 0 when all were sent. */
int db_batch_send(struct db_batch *b,
		  int (*send)(void *ctx, const char *sql, int n, const char *const *literals,
			      struct err *err),
		  void *ctx, struct err *err);

#endif
