/*
 * maildir: the messages of a Maildir (new/ then cur/, each in name order)
 * for `tlsrpt fetch maildir DIR`.  Files are only read: nothing is moved
 * or flagged, so running twice sees the same messages (the store drops
 * the duplicate reports).
 */
#ifndef TLSRPT_INGEST_MAILDIR_H
#define TLSRPT_INGEST_MAILDIR_H

#include <stddef.h>

#include "ingest/source.h"
#include "util/err.h"

/* Calls cb for each message file in dir/new and dir/cur; a message that
 * cannot be read or is larger than max_size is given with item->error set.
 * Returns 0 when all were given, cb's positive value if it stopped, or -1
 * with err set when dir is not a Maildir (neither new/ nor cur/ can be
 * listed). */
int maildir_each(const char *dir, size_t max_size, source_item_cb cb,
		 void *ctx, struct err *err);

#endif
