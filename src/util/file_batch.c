/*
 * file_batch: many small files read with one io_uring_enter() a batch
 * (see file_batch.h).
 *
 * Which paths are opened: a regular file by the listing of its directory
 * (dir_types.h; a directory is listed when FILE_BATCH_LIST_MIN paths of a
 * batch are in it), else by stat() (a plain system call: io_uring hands
 * statx to a kernel worker thread, which costs more).  Each is opened into
 * direct descriptor i (slot i for path i), and four linked requests run:
 *   openat -(link)-> read -(hard link)-> read 1 byte -(hard link)-> close
 * A failed open cancels the rest; the hard links let the second read and
 * the close run after a short read (which would otherwise cancel them).
 * Both reads go by the file position, so the second starts where the
 * first stopped: it finds the end (0 bytes) only for a file read whole.
 * The open has O_NONBLOCK, so that a path that became a FIFO since its
 * listing does not wait for a writer (its read then fails with EAGAIN and
 * the caller reads it); a regular file ignores the flag.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/dir_types.h"
#include "util/xalloc.h"

enum { OP_OPEN, OP_READ, OP_PROBE, OP_CLOSE, OPS_PER_FILE = 4 };

/* What a batch learnt about one path. */
struct item {
	int readable;           /* a regular file: opened and read */
	ssize_t got;            /* bytes read, or -errno (the open's or the read's) */
	int probe_res;          /* the second read: 0 at the end */
	char probe;             /* its byte */
};

/* The memory the kernel writes into: abandoned, not freed, when the ring
 * breaks (see the file comment). */
struct batch_mem {
	struct item it[FILE_BATCH_MAX];
	char slots[];           /* FILE_BATCH_MAX x FILE_BATCH_SLOT */
};

struct file_batch {
	struct io_uring ring;
	struct batch_mem *mem;  /* NULL once the ring broke */
	size_t covered;         /* paths the last batch covered */
	char *list_dir;         /* the directory last listed, or NULL */
	struct dir_types *list; /* its listing; NULL when it could not be read */
	char few[4096];         /* this batch's last directory with too few paths */
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

	rc = io_uring_queue_init(8 * FILE_BATCH_MAX, &fb->ring, 0);
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
	/* virtual memory: only the pages a read fills are ever touched */
	fb->mem = xmalloc(sizeof(*fb->mem) + (size_t)FILE_BATCH_MAX * FILE_BATCH_SLOT);
	return fb;
fail:
	io_uring_queue_exit(&fb->ring);
	free(fb);
	errno = -rc;
	return NULL;
}

/* Slot i's bytes. */
static char *
slot(struct batch_mem *m, size_t i)
{
	return m->slots + i * FILE_BATCH_SLOT;
}

/* Records one completion. */
static void
take(struct batch_mem *m, const struct io_uring_cqe *cqe)
{
	size_t i = (size_t)(cqe->user_data >> 2);
	struct item *it = &m->it[i];

	switch (cqe->user_data & 3) {
	case OP_OPEN:
		if (cqe->res < 0)
			it->got = cqe->res;
		break;
	case OP_READ:
		if (it->got < 0)        /* after a failed open: cancelled */
			break;
		it->got = cqe->res;
		if (cqe->res >= 0)      /* at most FILE_BATCH_SLOT - 1 */
			slot(m, i)[cqe->res] = '\0';
		break;
	case OP_PROBE:
		it->probe_res = cqe->res;
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

/* path's directory ("." when it has no slash) into dir (dirsz bytes);
 * returns its last component, or NULL when it has none worth looking up
 * ("", "." or "..", or a directory too long for dir). */
static const char *
split(const char *path, char *dir, size_t dirsz)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	size_t n = slash == NULL ? 0 : (size_t)(slash - path);

	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
	    n + 2 > dirsz)
		return NULL;
	if (slash == NULL)
		memcpy(dir, ".", 2);
	else if (n == 0)
		memcpy(dir, "/", 2);
	else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return base;
}

/* The listing of dir, listed now if at least FILE_BATCH_LIST_MIN of
 * paths[0..n) are in it; NULL when there is none to use. */
static const struct dir_types *
listing(struct file_batch *fb, const char *dir, char *const *paths, size_t n)
{
	char other[4096];
	size_t same = 0;

	if (fb->list_dir != NULL && strcmp(fb->list_dir, dir) == 0)
		return fb->list;
	if (strcmp(fb->few, dir) == 0)
		return NULL;    /* counted already */
	for (size_t k = 0; k < n && same < FILE_BATCH_LIST_MIN; k++)
		if (split(paths[k], other, sizeof(other)) != NULL && strcmp(other, dir) == 0)
			same++;
	if (same < FILE_BATCH_LIST_MIN) {
		memcpy(fb->few, dir, strlen(dir) + 1);  /* dir fits: split() checked */
		return NULL;
	}
	dir_types_free(&fb->list);
	free(fb->list_dir);
	fb->list_dir = xstrdup(dir);
	fb->list = dir_types_list(dir, FILE_BATCH_LIST_MAX);
	return fb->list;
}

/* 1 if paths[i] is a regular file to read: by its directory's listing,
 * else (not listed, a symbolic link, type unknown) by stat(), which also
 * leaves files larger than a slot to the caller. */
static int
regular(struct file_batch *fb, char *const *paths, size_t i, size_t n)
{
	char dir[4096];
	const char *base = split(paths[i], dir, sizeof(dir));
	const struct dir_types *t;
	struct stat st;

	if (strcmp(paths[i], "-") == 0)
		return 0;
	t = base != NULL ? listing(fb, dir, paths + i, n - i) : NULL;
	switch (t != NULL ? dir_types_get(t, base) : -1) {
	case DT_REG:
		return 1;
	case DT_DIR: case DT_FIFO: case DT_CHR: case DT_BLK: case DT_SOCK:
		return 0;
	default:                /* not listed, DT_LNK, DT_UNKNOWN */
		return stat(paths[i], &st) == 0 && S_ISREG(st.st_mode) &&
		       st.st_size >= 0 && (uintmax_t)st.st_size < FILE_BATCH_SLOT;
	}
}

/* Queues the four requests that read path into slot i. */
static void
queue_file(struct file_batch *fb, size_t i, const char *path)
{
	struct io_uring_sqe *sqe;
	int fd = (int)i;        /* direct descriptor i */

	/* (each prep sets the flags: they are or-ed in after it) */
	sqe = io_uring_get_sqe(&fb->ring);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0,
				    (unsigned)i);
	sqe->user_data = (uint64_t)i << 2 | OP_OPEN;
	sqe->flags |= IOSQE_IO_LINK;
	sqe = io_uring_get_sqe(&fb->ring);
	io_uring_prep_read(sqe, fd, slot(fb->mem, i), (unsigned)FILE_BATCH_SLOT - 1,
			   (uint64_t)-1);
	sqe->user_data = (uint64_t)i << 2 | OP_READ;
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
	sqe = io_uring_get_sqe(&fb->ring);
	io_uring_prep_read(sqe, fd, &fb->mem->it[i].probe, 1, (uint64_t)-1);
	sqe->user_data = (uint64_t)i << 2 | OP_PROBE;
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
	sqe = io_uring_get_sqe(&fb->ring);
	io_uring_prep_close_direct(sqe, (unsigned)i);
	sqe->user_data = (uint64_t)i << 2 | OP_CLOSE;
}

size_t
file_batch_read(struct file_batch *fb, char *const *paths, size_t n)
{
	size_t m = n < FILE_BATCH_MAX ? n : FILE_BATCH_MAX;
	unsigned queued = 0;

	fb->covered = m;
	if (fb->mem == NULL)
		return m;       /* the ring broke: the caller reads them all */
	fb->few[0] = '\0';
	for (size_t i = 0; i < m; i++) {
		struct item *it = &fb->mem->it[i];

		memset(it, 0, sizeof(*it));
		if (!regular(fb, paths, i, m))
			continue;
		it->readable = 1;
		queue_file(fb, i, paths[i]);
		queued += OPS_PER_FILE;
	}
	if (queued > 0)
		(void)run(fb, queued);
	return m;
}

const char *
file_batch_data(const struct file_batch *fb, size_t i, size_t *len)
{
	const struct item *it;

	if (fb->mem == NULL || i >= fb->covered)
		return NULL;
	it = &fb->mem->it[i];
	/* read whole: opened, read, and the end found right after */
	if (!it->readable || it->got < 0 || it->probe_res != 0)
		return NULL;
	*len = (size_t)it->got;
	return fb->mem->slots + i * FILE_BATCH_SLOT;
}

void
file_batch_free(struct file_batch **fb)
{
	if (fb == NULL || *fb == NULL)
		return;
	io_uring_queue_exit(&(*fb)->ring);
	free((*fb)->mem);
	dir_types_free(&(*fb)->list);
	free((*fb)->list_dir);
	free(*fb);
	*fb = NULL;
}
