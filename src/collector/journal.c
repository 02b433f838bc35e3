/*
 * journal: segment files of received datagrams (see journal.h).
 */
#include "collector/journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>

#include "util/xalloc.h"

struct journal {
	char *dir;
	int lock_fd;
	int fd;                 /* current segment, -1 when none is open */
	uint64_t seq;           /* number of the current / next segment */
	uint64_t bytes;         /* in the current segment */
	uint64_t records;
};

static void
segment_path(char *out, size_t size, const char *dir, uint64_t seq)
{
	snprintf(out, size, "%s/%016" PRIx64 ".tjr", dir, seq);
}

/* 1 if name is exactly 16 lower-case hex digits and ".tjr" (*seq set). */
static int
segment_name(const char *name, uint64_t *seq)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else
			return 0;
	}
	if (strcmp(name + 16, ".tjr") != 0)
		return 0;
	*seq = v;
	return 1;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lists the segments of dir (sorted).  Returns 0 or -1. */
static int
list_segments(const char *dir, uint64_t **out, size_t *n, uint64_t *bytes, struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	*bytes = 0;
	if (d == NULL) {
		err_set(err, "journal %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		uint64_t seq;

		if (!segment_name(e->d_name, &seq))
			continue;
		segment_path(path, sizeof(path), dir, seq);
		if (stat(path, &st) == 0)
			*bytes += (uint64_t)st.st_size;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[(*n)++] = seq;
	}
	closedir(d);
	if (*n > 0)
		qsort(*out, *n, sizeof(**out), cmp_u64);
	return 0;
}

struct journal *
journal_open(const char *dir, uint64_t **old, size_t *n_old, uint64_t *old_bytes,
	     struct err *err)
{
	char path[PATH_MAX];
	struct journal *j;
	int fd;

	*old = NULL;
	*n_old = 0;
	*old_bytes = 0;
	if (strlen(dir) + 32 >= sizeof(path)) {
		err_set(err, "journal %s: path too long", dir);
		return NULL;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(err, "journal %s: mkdir: %s", dir, strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err_set(err, "journal %s: %s", dir, errno == EWOULDBLOCK ?
			"used by another running collector" : strerror(errno));
		close(fd);
		return NULL;
	}
	if (list_segments(dir, old, n_old, old_bytes, err) < 0) {
		close(fd);
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->dir = xstrdup(dir);
	j->lock_fd = fd;
	j->fd = -1;
	j->seq = *n_old > 0 ? (*old)[*n_old - 1] + 1 : 1;
	return j;
}

/* The check of a record written by an earlier version (magic "TJR1"):
 * zlib's CRC-32 of the day and the payload. */
static uint32_t
record_crc1(int32_t day, const void *data, size_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, (const Bytef *)&day, sizeof(day));
	/* zlib's length is a uInt; a payload is at most 16 MiB */
	c = crc32(c, (const Bytef *)data, (uInt)len);
	return (uint32_t)c;
}

/* The check of a record (magic "TJR2"): the low 32 bits of XXH3-64 of
 * the payload, seeded with the day.  A non-cryptographic hash, an order
 * of magnitude cheaper than CRC-32 and as good at telling a torn or
 * garbled record (a chance of 2^-32 to miss one). */
static uint64_t
record_hash(int32_t day, const void *data, size_t len)
{
	return XXH3_64bits_withSeed(data, len, (XXH64_hash_t)(uint32_t)day);
}

static uint32_t
record_check(int32_t day, const void *data, size_t len)
{
	return (uint32_t)record_hash(day, data, len);
}

int
journal_append(struct journal *j, int32_t day, const struct iovec *dg, size_t n,
	       struct err *err)
{
	uint32_t hdr[JOURNAL_APPEND_MAX][4];
	struct iovec iov[2 * JOURNAL_APPEND_MAX];
	size_t total = 0, done = 0;
	int idx = 0;

	if (n == 0)
		return 0;
	if (n > JOURNAL_APPEND_MAX) {
		err_set(err, "journal: %zu records in one append (at most %d)", n,
			JOURNAL_APPEND_MAX);
		errno = EINVAL;
		return -1;
	}
	if (j->fd < 0) {
		char path[PATH_MAX];

		segment_path(path, sizeof(path), j->dir, j->seq);
		j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
		if (j->fd < 0) {
			int e = errno;

			err_set(err, "journal %s: %s", path, strerror(e));
			errno = e;
			return -1;
		}
		j->bytes = j->records = 0;
	}
	for (size_t i = 0; i < n; i++) {
		hdr[i][0] = JOURNAL_MAGIC;
		hdr[i][1] = (uint32_t)dg[i].iov_len;
		memcpy(&hdr[i][2], &day, sizeof(day));
		hdr[i][3] = record_check(day, dg[i].iov_base, dg[i].iov_len);
		iov[idx].iov_base = hdr[i];
		iov[idx++].iov_len = JOURNAL_HDR_BYTES;
		iov[idx++] = dg[i];
		total += JOURNAL_HDR_BYTES + dg[i].iov_len;
	}
	/* writev() to a regular file writes everything unless the disk is
	 * full or failing; a short write is finished, an error cut back. */
	while (done < total) {
		ssize_t w;
		int first = 0;
		size_t skip = done;

		while (skip >= iov[first].iov_len) {
			skip -= iov[first].iov_len;
			first++;
		}
		iov[first].iov_base = (char *)iov[first].iov_base + skip;
		iov[first].iov_len -= skip;
		w = writev(j->fd, iov + first, idx - first);
		iov[first].iov_base = (char *)iov[first].iov_base - skip;
		iov[first].iov_len += skip;
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;

			if (ftruncate(j->fd, (off_t)j->bytes) < 0)
				e = errno;
			err_set(err, "journal %s: write: %s", j->dir, strerror(e));
			errno = e;
			return -1;
		}
		done += (size_t)w;
	}
	j->bytes += total;
	j->records += n;
	return 0;
}

uint64_t
journal_rotate(struct journal *j, uint64_t *bytes, uint64_t *records)
{
	uint64_t seq;

	if (j->fd < 0)
		return 0;
	close(j->fd);
	j->fd = -1;
	seq = j->seq++;
	*bytes = j->bytes;
	*records = j->records;
	j->bytes = j->records = 0;
	return seq;
}

uint64_t
journal_open_bytes(const struct journal *j)
{
	return j->fd < 0 ? 0 : j->bytes;
}

const char *
journal_dir(const struct journal *j)
{
	return j->dir;
}

void
journal_close(struct journal **pj)
{
	struct journal *j;

	if (pj == NULL || *pj == NULL)
		return;
	j = *pj;
	if (j->fd >= 0)
		close(j->fd);
	close(j->lock_fd);
	free(j->dir);
	free(j);
	*pj = NULL;
}

int
journal_scan(const char *buf, size_t len, journal_record_fn fn, void *ctx,
	     struct journal_scan_info *info)
{
	size_t off = 0;

	info->records = 0;
	info->torn_bytes = 0;
	while (off < len) {
		uint32_t hdr[4];
		const char *payload = buf + off + JOURNAL_HDR_BYTES;
		uint64_t hash = 0;
		int32_t day;
		int rc;

		if (len - off < JOURNAL_HDR_BYTES)
			break;
		memcpy(hdr, buf + off, JOURNAL_HDR_BYTES);
		memcpy(&day, &hdr[2], sizeof(day));
		if ((hdr[0] != JOURNAL_MAGIC && hdr[0] != JOURNAL_MAGIC_V1) ||
		    hdr[1] > JOURNAL_PAYLOAD_MAX || hdr[1] > len - off - JOURNAL_HDR_BYTES)
			break;
		if (hdr[0] == JOURNAL_MAGIC_V1 && record_crc1(day, payload, hdr[1]) != hdr[3])
			break;
		hash = record_hash(day, payload, hdr[1]);
		if (hdr[0] == JOURNAL_MAGIC && (uint32_t)hash != hdr[3])
			break;
		info->records++;
		rc = fn(ctx, day, payload, hdr[1], hash);
		off += JOURNAL_HDR_BYTES + hdr[1];
		if (rc != 0)
			return rc;
	}
	info->torn_bytes = len - off;
	return 0;
}

int
journal_replay(const char *dir, uint64_t seq, journal_record_fn fn, void *ctx,
	       struct journal_scan_info *info, struct err *err)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, rc = -1;

	info->records = info->torn_bytes = 0;
	segment_path(path, sizeof(path), dir, seq);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		err_set(err, "journal %s: %s", path, strerror(errno));
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, "journal %s: read: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	rc = journal_scan(buf, got, fn, ctx, info);
out:
	free(buf);
	close(fd);
	return rc;
}

int
journal_remove(const char *dir, uint64_t seq, struct err *err)
{
	char path[PATH_MAX];

	segment_path(path, sizeof(path), dir, seq);
	if (unlink(path) < 0 && errno != ENOENT) {
		err_set(err, "journal %s: unlink: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
