/*
 * Unit tests for util/file_batch: which files a batch reads whole, and
 * that everything else is handed back unread (NULL) for the caller.
 *
 * Where io_uring is not available (file_batch_new() returns NULL), the
 * tests check that io_uring_queue_init() itself fails here, and skip.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/file_batch.h"

/* A new batch, or a skip when io_uring cannot be set up on this system. */
static struct file_batch *
new_batch_or_skip(void)
{
	struct file_batch *fb = file_batch_new();
	struct io_uring ring;
	int rc;

	if (fb != NULL)
		return fb;
	rc = io_uring_queue_init(8, &ring, 0);
	if (rc == 0) {
		io_uring_queue_exit(&ring);
		fail_msg("file_batch_new() failed (%s) where io_uring works", strerror(errno));
	}
	print_message("io_uring is not available here (%s): skipped\n", strerror(-rc));
	skip();
	return NULL;
}

/* Writes n bytes of pattern into dir/name. */
static void
write_file(const char *dir, const char *name, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	assert_int_equal(fclose(f), 0);
}

static void
test_file_batch_reads_whole_small_regular_files_only(void **state)
{
	static const struct {
		const char *name;       /* under the test's directory, or absolute */
		long size;              /* written first; -1: not made, -2: a directory */
		int read;               /* 1: the batch reads it whole */
	} cases[] = {
		{ "small.json", 300, 1 },
		{ "empty", 0, 1 },
		{ "largest", (long)FILE_BATCH_FILE_MAX, 1 },
		{ "too-large", (long)FILE_BATCH_FILE_MAX + 1, 0 },
		{ "missing", -1, 0 },
		{ "dir", -2, 0 },
		{ "/dev/null", -1, 0 },                     /* a device */
		{ "/proc/self/status", -1, 0 },             /* size 0, then grows */
		{ "-", -1, 0 },
		{ "last.json", 17, 1 },
	};
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", paths[N][256];
	char *argv[N];
	struct file_batch *fb;

	(void)state;
	fb = new_batch_or_skip();
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < N; i++) {
		if (cases[i].name[0] == '/' || cases[i].name[0] == '-')
			snprintf(paths[i], sizeof(paths[i]), "%s", cases[i].name);
		else
			snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, cases[i].name);
		if (cases[i].size >= 0)
			write_file(dir, cases[i].name, (size_t)cases[i].size);
		else if (cases[i].size == -2)
			assert_int_equal(mkdir(paths[i], 0700), 0);
		argv[i] = paths[i];
	}
	assert_int_equal(file_batch_read(fb, argv, N), N);
	for (size_t i = 0; i < N; i++) {
		size_t len = 12345;
		const char *d = file_batch_data(fb, i, &len);

		if (!cases[i].read) {
			if (d != NULL)
				fail_msg("%s: read (%zu bytes), want it left to the caller",
					 cases[i].name, len);
			continue;
		}
		if (d == NULL)
			fail_msg("%s: not read", cases[i].name);
		assert_int_equal(len, (size_t)cases[i].size);
		assert_int_equal(d[len], '\0');
		for (size_t k = 0; k < len; k++)
			if (d[k] != 'a' + (int)(k % 26))
				fail_msg("%s: byte %zu differs", cases[i].name, k);
	}
	assert_null(file_batch_data(fb, N, &(size_t){ 0 }));
	file_batch_free(&fb);
	assert_null(fb);
	for (size_t i = 0; i < N; i++)
		if (cases[i].size >= 0)
			assert_int_equal(unlink(paths[i]), 0);
		else if (cases[i].size == -2)
			assert_int_equal(rmdir(paths[i]), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_file_batch_covers_at_most_its_maximum(void **state)
{
	enum { N = FILE_BATCH_MAX * 2 + 3 };
	char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", name[32];
	static char paths[N][256];
	char *argv[N];
	struct file_batch *fb;
	size_t done = 0, batches = 0;

	(void)state;
	fb = new_batch_or_skip();
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%03zu", i);
		write_file(dir, name, i + 1);
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, name);
		argv[i] = paths[i];
	}
	while (done < N) {
		size_t got = file_batch_read(fb, argv + done, N - done);

		assert_true(got >= 1 && got <= FILE_BATCH_MAX && got <= N - done);
		for (size_t k = 0; k < got; k++) {
			size_t len = 0;

			assert_non_null(file_batch_data(fb, k, &len));
			assert_int_equal(len, done + k + 1);       /* its own file */
		}
		done += got;
		batches++;
	}
	assert_int_equal(batches, 3);
	assert_int_equal(file_batch_read(fb, argv, 0), 0);
	file_batch_free(&fb);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(unlink(paths[i]), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_file_batch_stops_at_its_bytes(void **state)
{
	enum { N = 5 };
	char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", name[32];
	char paths[N][256], *argv[N];
	struct file_batch *fb;
	size_t len, want = FILE_BATCH_BYTES / (FILE_BATCH_FILE_MAX + 2);

	(void)state;
	fb = new_batch_or_skip();
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		write_file(dir, name, FILE_BATCH_FILE_MAX);
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, name);
		argv[i] = paths[i];
	}
	assert_true(want >= 1 && want < N);
	assert_int_equal(file_batch_read(fb, argv, N), want);
	for (size_t i = 0; i < want; i++) {
		assert_non_null(file_batch_data(fb, i, &len));
		assert_int_equal(len, FILE_BATCH_FILE_MAX);
	}
	assert_null(file_batch_data(fb, want, &len));
	file_batch_free(&fb);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(unlink(paths[i]), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A FIFO is never opened: with no writer, opening it would wait forever,
 * and its writer must meet the caller's own open. */
static void
test_file_batch_never_opens_a_fifo(void **state)
{
	char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", fifo[256], small[256];
	char *argv[2] = { fifo, small };
	struct file_batch *fb;
	size_t len;
	int fd;

	(void)state;
	fb = new_batch_or_skip();
	alarm(20);              /* a failure, not a hang, if it does open it */
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	write_file(dir, "small", 5);
	snprintf(small, sizeof(small), "%s/small", dir);
	assert_int_equal(file_batch_read(fb, argv, 2), 2);
	assert_null(file_batch_data(fb, 0, &len));
	assert_non_null(file_batch_data(fb, 1, &len));
	assert_int_equal(len, 5);
	/* no reader: a writer that will not wait is refused */
	fd = open(fifo, O_WRONLY | O_NONBLOCK);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENXIO);
	file_batch_free(&fb);
	alarm(0);
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(unlink(small), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_batch_reads_whole_small_regular_files_only),
		cmocka_unit_test(test_file_batch_covers_at_most_its_maximum),
		cmocka_unit_test(test_file_batch_stops_at_its_bytes),
		cmocka_unit_test(test_file_batch_never_opens_a_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
