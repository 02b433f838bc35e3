/*
 * store_fetch_seen: what `tlsrpt fetch maildir|mbox|dir` has processed,
 * so the next run skips it (IMAP remembers UIDs in the state table
 * instead).  An item is known by its source ("maildir:/abs/path") and a
 * 64-bit digest of its bytes (store_digest64()), so a maildir message
 * keeps its identity when it moves from new/ to cur/ or changes flags, and
 * an mbox message when messages before it are deleted.
 */
#ifndef TLSRPT_STORE_STORE_FETCH_SEEN_H
#define TLSRPT_STORE_STORE_FETCH_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* The schema step's program that creates the fetch_seen table (for
 * store_schema.c). */
int store_fetch_seen_schema(struct store *s, struct err *err);

/* The digest an item of `len` bytes is remembered by. */
int64_t store_fetch_digest(const void *data, size_t len);

/* Returns 1 if (source, digest) was remembered, 0 if not, -1 on error. */
int store_fetch_seen(struct store *s, const char *source, int64_t digest, struct err *err);

/* Remembers (source, digest) as processed at `now` (Unix seconds); a second
 * call changes nothing.  Returns 0 or -1. */
int store_fetch_remember(struct store *s, const char *source, int64_t digest, int64_t now,
			 struct err *err);

#endif
