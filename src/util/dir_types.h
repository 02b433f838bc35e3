/*
 * dir_types: the type of each entry of one directory, by name, from one
 * listing (readdir()'s d_type), bounded.
 *
 * Listing a directory costs a few system calls for thousands of entries;
 * asking stat() of each costs one system call a file.  find(1) uses the
 * same shortcut.  The answer is what the directory held when it was
 * listed: a caller that must be sure (a FIFO must not be opened by
 * mistake) takes only "regular file" from it, and asks stat() for
 * anything else or anything not listed.
 */
#ifndef TLSRPT_UTIL_DIR_TYPES_H
#define TLSRPT_UTIL_DIR_TYPES_H

#include <stddef.h>

struct dir_types;

/* Lists dir: at most max_entries entries are kept (the rest are "not
 * listed").  Returns NULL (errno set) when dir cannot be opened or read.
 * Free with dir_types_free(). */
struct dir_types *dir_types_list(const char *dir, size_t max_entries);

/* The d_type of entry name (DT_REG, DT_DIR, DT_FIFO, DT_LNK, DT_UNKNOWN …
 * from <dirent.h>), or -1 when the listing does not hold name. */
int dir_types_get(const struct dir_types *t, const char *name);

/* Releases t; *t is set to NULL.  NULL is a no-op. */
void dir_types_free(struct dir_types **t);

#endif
