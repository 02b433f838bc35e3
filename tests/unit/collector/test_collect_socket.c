/* Unit tests for collector/collect_socket: binds with the mode asked for,
 * removes a stale socket file, refuses a live socket and a non-socket
 * file, refuses an over-long path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/collect_socket.h"

static void
test_collect_socket_binds_replaces_stale_and_refuses_live(void **state)
{
	char dir[] = "/tmp/tlsrpt-sock.XXXXXX", path[128], file[128], longp[300];
	struct stat st;
	struct err err;
	int fd, fd2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.sock", dir);
	fd = collect_socket_bind(path, 0660, NULL, 1 << 20, &err);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	/* more than a socket gets by default (1 MiB asked; without root the
	 * kernel caps it at 2 * rmem_max, still above the default) */
	{
		int plain = socket(AF_UNIX, SOCK_DGRAM, 0);

		assert_true(plain >= 0);
		assert_true(collect_socket_rcvbuf(fd) > collect_socket_rcvbuf(plain));
		close(plain);
	}

	/* live: refused, and the live socket is left alone */
	assert_int_equal(collect_socket_bind(path, -1, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "another collector"));
	assert_int_equal(stat(path, &st), 0);

	/* stale (owner gone): replaced */
	close(fd);
	fd2 = collect_socket_bind(path, -1, NULL, 0, &err);
	assert_true(fd2 >= 0);
	close(fd2);

	/* not a socket: refused, file kept */
	snprintf(file, sizeof(file), "%s/plain", dir);
	fclose(fopen(file, "w"));
	assert_int_equal(collect_socket_bind(file, -1, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "not a socket"));
	assert_int_equal(access(file, F_OK), 0);

	/* unknown group: refused, nothing left behind */
	unlink(path);
	assert_int_equal(collect_socket_bind(path, -1, "no-such-group-tlsrpt", 0, &err), -1);
	assert_int_not_equal(access(path, F_OK), 0);

	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(collect_socket_bind(longp, -1, NULL, 0, &err), -1);
	unlink(file);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_socket_binds_replaces_stale_and_refuses_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
