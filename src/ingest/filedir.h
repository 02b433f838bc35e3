/*
 * filedir: every regular file of one directory, in name order, read into
 * memory one at a time (bounded), for `tlsrpt fetch dir DIR`.  Hidden
 * files (leading '.') are skipped; subdirectories are not entered.
 */
#ifndef TLSRPT_INGEST_FILEDIR_H
#define TLSRPT_INGEST_FILEDIR_H

#include <stddef.h>

#include "ingest/source.h"
#include "util/buf.h"
#include "util/err.h"

/* Calls cb for each regular file of dir in strcmp order.  A file that
 * cannot be read or is larger than max_size is given with item->error set.
 * Returns 0 when every file was given, cb's positive value if it stopped
 * the walk, or -1 with err set when dir cannot be listed. */
int filedir_each(const char *dir, size_t max_size, source_item_cb cb,
		 void *ctx, struct err *err);

/* Reads the file at path into out (initialised here with max_size; the
 * caller frees it with buf_free() in every case).  Returns 0, or -1 with
 * err set (cannot open/read, larger than max_size). */
int filedir_read_file(const char *path, size_t max_size, struct buf *out,
		      struct err *err);

#endif
