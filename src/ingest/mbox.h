/*
 * mbox: the messages of an mbox file, split on "From " lines, for
 * `tlsrpt fetch mbox FILE`.  Body lines quoted as ">From " (mboxrd and
 * mboxo) get one '>' removed.  The file is read as a stream, so its size
 * is not limited; each message is (max_size).
 */
#ifndef TLSRPT_INGEST_MBOX_H
#define TLSRPT_INGEST_MBOX_H

#include <stddef.h>

#include "ingest/source.h"
#include "util/err.h"

/* Calls cb for each message of the mbox at path (named "PATH:N", N from 1);
 * a message larger than max_size is given with item->error set and the
 * reading goes on with the next one.  Returns 0 when all were given, cb's
 * positive value if it stopped, or -1 with err set when the file cannot be
 * opened or read or does not start with a "From " line. */
int mbox_each(const char *path, size_t max_size, source_item_cb cb, void *ctx,
	      struct err *err);

#endif
