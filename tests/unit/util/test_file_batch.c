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
#include <sys/wait.h>
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
		{ "largest", (long)FILE_BATCH_SLOT - 1, 1 },
		{ "slot", (long)FILE_BATCH_SLOT, 0 },
		{ "too-large", 3 * (long)FILE_BATCH_SLOT, 0 },
		{ "missing", -1, 0 },
		{ "dir", -2, 0 },
		{ "/dev/null", -1, 0 },                     /* a device */
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

/* Paths into one directory, enough of them for the batch to list it:
 * its listing decides, and where it is stale (a file made or removed
 * since), stat() or the open does. */
static void
test_file_batch_lists_a_shared_directory(void **state)
{
	enum { N = FILE_BATCH_LIST_MIN + 8 };
	char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", name[32], target[300];
	static char paths[N][256];
	char *argv[N];
	struct file_batch *fb;
	size_t len;

	(void)state;
	fb = new_batch_or_skip();
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "f%02zu", i);
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, name);
		argv[i] = paths[i];
		if (i == 1)
			assert_int_equal(mkdir(paths[i], 0700), 0);
		else if (i == 2) {      /* a symbolic link to f00 */
			snprintf(target, sizeof(target), "%s/f00", dir);
			assert_int_equal(symlink(target, paths[i]), 0);
		} else if (i != N - 1)  /* the last one is made after the listing */
			write_file(dir, name, i + 1);
	}
	/* first batch: all but the last two, which the listing then lacks */
	assert_int_equal(file_batch_read(fb, argv, N - 2), N - 2);
	assert_null(file_batch_data(fb, 1, &len));              /* a directory */
	assert_non_null(file_batch_data(fb, 2, &len));          /* through the link */
	assert_int_equal(len, 1);
	for (size_t i = 3; i < N - 2; i++) {
		assert_non_null(file_batch_data(fb, i, &len));
		assert_int_equal(len, i + 1);
	}
	/* second batch: one file gone since the listing, one new */
	assert_int_equal(unlink(paths[3]), 0);
	snprintf(name, sizeof(name), "f%02d", N - 1);
	write_file(dir, name, 7);
	assert_int_equal(file_batch_read(fb, argv + 3, N - 3), N - 3);
	assert_null(file_batch_data(fb, 0, &len));              /* removed */
	assert_non_null(file_batch_data(fb, N - 4, &len));      /* made since */
	assert_int_equal(len, 7);
	file_batch_free(&fb);
	for (size_t i = 0; i < N; i++)
		if (i != 3)
			assert_int_equal(i == 1 ? rmdir(paths[i]) : unlink(paths[i]), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* One batch over two listed directories whose files have the same
 * names: each file is read from its own directory. */
static void
test_file_batch_keeps_two_directories_apart(void **state)
{
	enum { PER = FILE_BATCH_LIST_MIN + 2, N = 2 * PER };
	char dirs[2][32] = { "/tmp/tlsrpt-file-batch.XXXXXX", "/tmp/tlsrpt-file-batch.XXXXXX" };
	static char paths[N][256];
	char name[32], *argv[N];
	struct file_batch *fb;
	size_t len;

	(void)state;
	fb = new_batch_or_skip();
	for (int d = 0; d < 2; d++)
		assert_non_null(mkdtemp(dirs[d]));
	for (size_t i = 0; i < N; i++) {
		int d = i >= PER;

		snprintf(name, sizeof(name), "f%02zu", i % PER);
		write_file(dirs[d], name, d == 0 ? 10 : 20);   /* the size tells them apart */
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dirs[d], name);
		argv[i] = paths[i];
	}
	for (size_t done = 0; done < N;) {
		size_t got = file_batch_read(fb, argv + done, N - done);

		for (size_t k = 0; k < got; k++) {
			const char *data = file_batch_data(fb, k, &len);

			if (data == NULL)
				fail_msg("%s: not read", paths[done + k]);
			if (len != (done + k >= PER ? 20u : 10u))
				fail_msg("%s: %zu bytes: read from the other directory",
					 paths[done + k], len);
		}
		done += got;
	}
	file_batch_free(&fb);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(unlink(paths[i]), 0);
	for (int d = 0; d < 2; d++)
		assert_int_equal(rmdir(dirs[d]), 0);
}

/* A FIFO is never opened, whether the batch knows its type from the
 * directory's listing, from stat(), or behind a symbolic link: its
 * writer, waiting in open() beforehand, must still be waiting after the
 * batch (it meets the caller's own open instead). */
static void
test_file_batch_never_opens_a_fifo(void **state)
{
	static const struct {
		const char *why;
		size_t others;          /* regular files beside it */
		int via_link;           /* the path is a symbolic link to the FIFO */
	} cases[] = {
		{ "listed", FILE_BATCH_LIST_MIN + 2, 0 },
		{ "stat()ed", 1, 0 },
		{ "linked, listed", FILE_BATCH_LIST_MIN + 2, 1 },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char dir[] = "/tmp/tlsrpt-file-batch.XXXXXX", fifo[256], link[256], name[32];
		static char paths[FILE_BATCH_MAX][256];
		char *argv[FILE_BATCH_MAX], byte;
		size_t n = cases[c].others + 1, len;
		struct file_batch *fb = new_batch_or_skip();
		int fd, status;
		pid_t pid;

		assert_non_null(mkdtemp(dir));
		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		snprintf(link, sizeof(link), "%s/link", dir);
		assert_int_equal(symlink(fifo, link), 0);
		snprintf(paths[0], sizeof(paths[0]), "%s", cases[c].via_link ? link : fifo);
		argv[0] = paths[0];
		for (size_t i = 1; i < n; i++) {
			snprintf(name, sizeof(name), "r%02zu", i);
			write_file(dir, name, 3);
			snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, name);
			argv[i] = paths[i];
		}
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int w = open(fifo, O_WRONLY);   /* waits for a reader */

			_exit(w >= 0 && write(w, "x", 1) == 1 ? 0 : 1);
		}
		usleep(100 * 1000);     /* the writer is in open() */
		assert_int_equal(file_batch_read(fb, argv, n), n);
		assert_null(file_batch_data(fb, 0, &len));
		for (size_t i = 1; i < n; i++)
			assert_non_null(file_batch_data(fb, i, &len));
		usleep(200 * 1000);     /* time for a writer the batch met to go on */
		if (waitpid(pid, &status, WNOHANG) != 0)
			fail_msg("%s FIFO: the batch opened it (its writer went on)", cases[c].why);
		fd = open(fifo, O_RDONLY);      /* the caller's open meets the writer */
		assert_true(fd >= 0);
		assert_int_equal(read(fd, &byte, 1), 1);
		close(fd);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		file_batch_free(&fb);
		for (size_t i = 1; i < n; i++)
			assert_int_equal(unlink(paths[i]), 0);
		assert_int_equal(unlink(link), 0);
		assert_int_equal(unlink(fifo), 0);
		assert_int_equal(rmdir(dir), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_batch_reads_whole_small_regular_files_only),
		cmocka_unit_test(test_file_batch_covers_at_most_its_maximum),
		cmocka_unit_test(test_file_batch_lists_a_shared_directory),
		cmocka_unit_test(test_file_batch_keeps_two_directories_apart),
		cmocka_unit_test(test_file_batch_never_opens_a_fifo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
