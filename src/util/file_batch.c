/*
 * file_batch: many small files read with one io_uring_enter() a batch
 * (see file_batch.h).
 *
 * First each path is stat()ed (a plain system call: io_uring hands statx
 * to a kernel worker thread, which costs more).  Then each regular file
 * small enough is opened into direct descriptor i (slot i for path i),
 * read for its size + 1 bytes (the extra byte shows a file that grew) and
 * closed: openat -(link)-> read -(hard link)-> close, so a failed open
 * cancels the read and the close, and the close runs even after a short
 * or failed read (a short read would otherwise cancel it).  The batch's
 * bytes go into one arena, reused from batch to batch.
 *
 * No request is ever left in flight when a call returns: every
 * completion is waited for.  Should the ring fail in a way that loses
 * track of requests (io_uring_submit() or io_uring_wait_cqe() failing
 * with anything but EINTR, which the kernel does not do for these
 * requests), the batch stops reading for good and abandons its memory
 * instead of freeing it, since the kernel might still write into it.
 */
#define _GNU_SOURCE
#include "util/file_batch.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/xalloc.h"

enum { OP_OPEN, OP_READ, OP_CLOSE, OPS_PER_FILE = 3 };

/* What a batch learnt about one path. */
struct item {
	int readable;           /* a regular file small enough: read */
	size_t off;             /* where its bytes go in the arena */
	size_t size;            /* its size by stat() */
	ssize_t got;            /* bytes read, or -errno */
};

/* The memory the kernel writes into: abandoned, not freed, when the ring
 * breaks (see the file comment). */
struct batch_mem {
	struct item it[FILE_BATCH_MAX];
	char *arena;
	size_t arena_cap;
};

struct file_batch {
	struct io_uring ring;
	struct batch_mem *mem;  /* NULL once the ring broke */
	size_t covered;         /* paths the last batch covered */
};

/* 1 if the kernel behind ring runs every operation a batch needs. */
static int
ops_supported(struct io_uring *ring)
{
	static const int ops[] = { IORING_OP_OPENAT, IORING_OP_READ, IORING_OP_CLOSE };
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	int ok = probe != NULL;

	for (size_t i = 0; ok && i < sizeof(ops) / sizeof(ops[0]); i++)
		ok = io_uring_opcode_supported(probe, ops[i]);
	if (probe != NULL)
		io_uring_free_probe(probe);
	return ok;
}

struct file_batch *
file_batch_new(void)
{
	struct file_batch *fb = xcalloc(1, sizeof(*fb));
	int rc;

	rc = io_uring_queue_init(4 * FILE_BATCH_MAX, &fb->ring, 0);
	if (rc < 0) {
		free(fb);
		errno = -rc;
		return NULL;
	}
	if (!ops_supported(&fb->ring)) {
		rc = -EOPNOTSUPP;
		goto fail;
	}
	rc = io_uring_register_files_sparse(&fb->ring, FILE_BATCH_MAX);
	if (rc < 0)
		goto fail;
	fb->mem = xcalloc(1, sizeof(*fb->mem));
	return fb;
fail:
	io_uring_queue_exit(&fb->ring);
	free(fb);
	errno = -rc;
	return NULL;
}

/* Records one completion. */
static void
take(struct batch_mem *m, const struct io_uring_cqe *cqe)
{
	struct item *it = &m->it[cqe->user_data >> 2];

	switch (cqe->user_data & 3) {
	case OP_OPEN:
		if (cqe->res < 0)
			it->got = cqe->res;
		break;
	case OP_READ:
		if (it->got < 0)        /* after a failed open: cancelled */
			break;
		it->got = cqe->res;
		if (cqe->res >= 0)      /* at most size + 1 of size + 2 bytes */
			m->arena[it->off + (size_t)cqe->res] = '\0';
		break;
	default:                        /* OP_CLOSE: nothing to learn */
		break;
	}
}

/* Submits the `queued` requests queued and takes their completions.
 * Returns 0, or -1 when the ring broke (see the file comment). */
static int
run(struct file_batch *fb, unsigned queued)
{
	unsigned seen = 0;
	int rc;

	do
		rc = io_uring_submit(&fb->ring);
	while (rc == -EINTR);
	if (rc != (int)queued)
		goto broken;
	while (seen < queued) {
		struct io_uring_cqe *cqe;

		rc = io_uring_wait_cqe(&fb->ring, &cqe);
		if (rc == -EINTR)
			continue;
		if (rc < 0)
			goto broken;
		take(fb->mem, cqe);
		io_uring_cqe_seen(&fb->ring, cqe);
		seen++;
	}
	return 0;
broken:
	fb->mem = NULL;         /* abandoned: the kernel may still write there */
	return -1;
}

/* Chooses the files of paths[0..n) to read and where their bytes go.
 * Returns how many paths the batch covers and sets *bytes to the arena
 * needed. */
static size_t
plan(struct batch_mem *m, char *const *paths, size_t n, size_t *bytes)
{
	size_t total = 0, i;

	for (i = 0; i < n; i++) {
		struct item *it = &m->it[i];
		struct stat st;
		size_t need;

		memset(it, 0, sizeof(*it));
		if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_size < 0 ||
		    (uintmax_t)st.st_size > FILE_BATCH_FILE_MAX)
			continue;
		need = (size_t)st.st_size + 2;  /* the extra byte and a NUL */
		if (total + need > FILE_BATCH_BYTES)
			break;
		it->readable = 1;
		it->size = (size_t)st.st_size;
		it->off = total;
		total += need;
	}
	*bytes = total;
	return i;
}

/* Opens, reads and closes each readable path of paths[0..n). */
static int
read_round(struct file_batch *fb, char *const *paths, size_t n)
{
	unsigned queued = 0;

	/* (each prep sets the flags: they are or-ed in after it) */
	for (size_t i = 0; i < n; i++) {
		struct item *it = &fb->mem->it[i];
		struct io_uring_sqe *sqe;

		if (!it->readable)
			continue;
		sqe = io_uring_get_sqe(&fb->ring);
		io_uring_prep_openat_direct(sqe, AT_FDCWD, paths[i], O_RDONLY | O_NOCTTY, 0,
					    (unsigned)i);
		sqe->user_data = (uint64_t)i << 2 | OP_OPEN;
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(&fb->ring);
		io_uring_prep_read(sqe, (int)i, fb->mem->arena + it->off,
				   (unsigned)it->size + 1, 0);
		sqe->user_data = (uint64_t)i << 2 | OP_READ;
		sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
		sqe = io_uring_get_sqe(&fb->ring);
		io_uring_prep_close_direct(sqe, (unsigned)i);
		sqe->user_data = (uint64_t)i << 2 | OP_CLOSE;
		queued += OPS_PER_FILE;
	}
	return queued == 0 ? 0 : run(fb, queued);
}

size_t
file_batch_read(struct file_batch *fb, char *const *paths, size_t n)
{
	size_t m = n < FILE_BATCH_MAX ? n : FILE_BATCH_MAX, bytes;

	fb->covered = 0;
	if (n == 0)
		return 0;
	if (fb->mem == NULL) {
		fb->covered = m;        /* the ring broke: the caller reads them all */
		return m;
	}
	fb->covered = plan(fb->mem, paths, m, &bytes);
	if (bytes > fb->mem->arena_cap) {
		free(fb->mem->arena);
		fb->mem->arena = xmalloc(bytes);
		fb->mem->arena_cap = bytes;
	}
	(void)read_round(fb, paths, fb->covered);
	return fb->covered;
}

const char *
file_batch_data(const struct file_batch *fb, size_t i, size_t *len)
{
	const struct item *it;

	if (fb->mem == NULL || i >= fb->covered)
		return NULL;
	it = &fb->mem->it[i];
	if (!it->readable || it->got < 0 || (size_t)it->got > it->size)
		return NULL;    /* not read, failed, or grew while read */
	*len = (size_t)it->got;
	return fb->mem->arena + it->off;
}

void
file_batch_free(struct file_batch **fb)
{
	if (fb == NULL || *fb == NULL)
		return;
	io_uring_queue_exit(&(*fb)->ring);
	if ((*fb)->mem != NULL) {
		free((*fb)->mem->arena);
		free((*fb)->mem);
	}
	free(*fb);
	*fb = NULL;
}
