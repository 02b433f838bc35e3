/*
 * unzip: zip archive → entries, with libarchive, bounded.
 *
 * Only regular files are returned; each entry's content may expand to at
 * most max_entry bytes and at most max_entries entries are read, so zip
 * bombs end in an error instead of filling memory.
 */
#ifndef TLSRPT_INGEST_UNZIP_H
#define TLSRPT_INGEST_UNZIP_H

#include <stddef.h>

#include "util/err.h"

/* Called per regular-file entry; name and data are borrowed for the call.
 * Return 0 to go on, 1 to stop without error, -1 to fail (err set). */
typedef int (*unzip_entry_cb)(void *ctx, const char *name, const void *data,
			      size_t len, struct err *err);

/* Reads the zip archive in data[0..len) and calls cb for each regular file.
 * Returns the number of entries given to cb, or -1 with err set (corrupt
 * archive, entry beyond max_entry, more than max_entries entries, or cb
 * failed). */
int unzip_each(const void *data, size_t len, size_t max_entry,
	       unsigned max_entries, unzip_entry_cb cb, void *ctx,
	       struct err *err);

#endif
