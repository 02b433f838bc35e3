/*
 * file_batch: reads many small files with few system calls (io_uring).
 *
 * Opening, sizing, reading and closing a file costs four system calls; on
 * a virtual machine each is an exit to the hypervisor, and together they
 * cost about as much as parsing the report inside (bench_parse).  A batch
 * stat()s up to FILE_BATCH_MAX paths, then opens, reads and closes the
 * regular files among them in one io_uring_enter(), as linked requests
 * on direct descriptors (no file descriptor is installed in the
 * process).  The work in the kernel is the same; what goes is the cost of
 * entering it three times a file.
 *
 * A batch only opens regular files, and reads only what it can read whole
 * and plainly: at most FILE_BATCH_FILE_MAX bytes, not grown while read,
 * no error.  Everything else is handed back undone, for the caller to read
 * with its own code, which also words any error as always: "-", a
 * missing or unreadable file, a directory, a FIFO or a device (never
 * opened: a FIFO's writer must meet the caller's open, and a reader that
 * io_uring closes lingers for a while after), a larger file, one that
 * grew or changed type since its stat().
 *
 * Where io_uring cannot be used (kernel without it or too old, the
 * kernel.io_uring_disabled sysctl, a seccomp filter such as the systemd
 * units' SystemCallFilter), file_batch_new() returns NULL and callers read
 * every file themselves.
 */
#ifndef TLSRPT_UTIL_FILE_BATCH_H
#define TLSRPT_UTIL_FILE_BATCH_H

#include <stddef.h>

#define FILE_BATCH_MAX 64                      /* files read per batch */
#define FILE_BATCH_BYTES ((size_t)4 << 20)     /* bytes read per batch, at most */
#define FILE_BATCH_FILE_MAX ((size_t)1 << 20)  /* larger files: left to the caller */

struct file_batch;

/* Sets up the io_uring a batch uses.  Returns NULL (errno set) when
 * io_uring or one of the operations it needs (openat and close on direct
 * descriptors, read) is not available; the caller then reads its files
 * itself.  Free with file_batch_free(). */
struct file_batch *file_batch_new(void);

/* Reads ahead the first files of paths[0..n): at most FILE_BATCH_MAX of
 * them, and no more than FILE_BATCH_BYTES together.  Returns how many
 * paths the batch covers (1..n; 0 only when n is 0).
 * The paths must stay valid until the call returns.  What was read is
 * given by file_batch_data() until the next file_batch_read() or
 * file_batch_free(). */
size_t file_batch_read(struct file_batch *fb, char *const *paths, size_t n);

/* The contents of the i-th path of the last file_batch_read() (i below
 * what it returned): *len bytes, NUL-terminated (not counted), borrowed.
 * Returns NULL when the batch did not read that file whole (see the file
 * comment): the caller then reads it itself. */
const char *file_batch_data(const struct file_batch *fb, size_t i, size_t *len);

/* Releases the batch and its ring; *fb is set to NULL.  NULL is a no-op. */
void file_batch_free(struct file_batch **fb);

#endif
