/*
 * source: the one shape in which message sources (a directory of files,
 * a maildir, an mbox, an IMAP mailbox) hand over what they read, so that
 * `tlsrpt fetch` treats them all alike.  A message that cannot be read
 * is handed over too, with its error, so it is reported and skipped
 * rather than stopping the run.
 */
#ifndef TLSRPT_INGEST_SOURCE_H
#define TLSRPT_INGEST_SOURCE_H

#include <stddef.h>

/* One message or file.  Everything is borrowed for the callback. */
struct source_item {
	const char *name;    /* path, "FILE:N" for mbox, "UID n" for IMAP */
	const void *data;    /* the bytes, or NULL when error is set */
	size_t len;
	const char *error;   /* why the item could not be read, or NULL */
};

/* Return 0 to go on, or a positive value to stop: the source's *_each
 * function then returns that value. */
typedef int (*source_item_cb)(void *ctx, const struct source_item *item);

#endif
