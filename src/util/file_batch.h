/*
 * file_batch: reads many small files with few system calls (io_uring).
 *
 * Opening, sizing, reading and closing a file costs four system calls; on
 * a virtual machine each is an exit to the hypervisor, and together they
 * cost about as much as parsing the report inside (bench_parse).  A batch
 * opens, reads and closes up to FILE_BATCH_MAX regular files in one
 * io_uring_enter(), as linked requests on direct descriptors (no file
 * descriptor is installed in the process).  Which paths are regular files
 * comes from one listing of their directory (dir_types.h) when many of
 * them share it, else from a stat() each.  The work in the kernel is the
 * same; what goes is the cost of entering it four times a file.
 *
 * A batch only opens regular files, and hands back what it did not read
 * whole and plainly, for the caller to read with its own code (which also
 * words any error as always): "-", a missing or unreadable file, a
 * directory, a FIFO or a device (never opened: a FIFO's writer must meet
 * the caller's open, and a reader that io_uring closes lingers for a
 * while after), a file of FILE_BATCH_SLOT bytes or more, one that grew
 * or is read short of its end.  Each file is read into a slot of
 * FILE_BATCH_SLOT bytes by the file position, then once more for one
 * byte: a file counts as read whole only if that second read finds its
 * end.
 *
 * Where io_uring cannot be used (kernel without it or too old, the
 * kernel.io_uring_disabled sysctl, a seccomp filter such as the systemd
 * units' SystemCallFilter), file_batch_new() returns NULL and callers read
 * every file themselves.
 */
#ifndef TLSRPT_UTIL_FILE_BATCH_H
#define TLSRPT_UTIL_FILE_BATCH_H

#include <stddef.h>

#define FILE_BATCH_MAX 64                   /* files read per batch */
#define FILE_BATCH_SLOT ((size_t)64 << 10)  /* bytes read of each: files this
					     * large are left to the caller */
#define FILE_BATCH_LIST_MIN 16              /* paths of a batch in one directory
					     * for it to be listed */
#define FILE_BATCH_LIST_MAX 262144          /* entries of one listing kept */

struct file_batch;

/* Sets up the io_uring a batch uses and its FILE_BATCH_MAX slots
 * (virtual memory: only the bytes read are touched).  Returns NULL (errno set) when
 * io_uring or one of the operations it needs (openat and close on direct
 * descriptors, read) is not available; the caller then reads its files
 * itself.  Free with file_batch_free(). */
struct file_batch *file_batch_new(void);

/* Reads ahead the first files of paths[0..n): at most FILE_BATCH_MAX.
 * Returns how many paths the batch covers (1..n; 0 only when n is 0).
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
