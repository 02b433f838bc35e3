/*
 * collect_socket: bind the collector's datagram socket (see collect_socket.h).
 */
#include "collector/collect_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int
make_addr(const char *path, struct sockaddr_un *a, struct err *err)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(a->sun_path)) {
		err_set(err, "socket %s: path empty or longer than %zu bytes", path,
			sizeof(a->sun_path) - 1);
		return -1;
	}
	memcpy(a->sun_path, path, n + 1);
	return 0;
}

/* Removes a socket file nobody listens on.  Returns 0 (gone or absent) or -1. */
static int
remove_stale(const char *path, const struct sockaddr_un *a, struct err *err)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		err_set(err, "socket %s: exists and is not a socket; not removing it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err_set(err, "socket %s: socket(): %s", path, strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	close(fd);
	if (rc == 0) {
		err_set(err, "socket %s: another collector is receiving on it", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		err_set(err, "socket %s: removing the stale socket: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
collect_socket_bind(const char *path, int mode, const char *group, size_t rcvbuf,
		    struct err *err)
{
	struct sockaddr_un a;
	mode_t old_umask = 0;
	int fd = -1, sz, rc;

	if (make_addr(path, &a, err) < 0 || remove_stale(path, &a, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err_set(err, "socket %s: socket(): %s", path, strerror(errno));
		return -1;
	}
	sz = rcvbuf > (size_t)(1 << 30) ? 1 << 30 : (int)rcvbuf;
	if (sz > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* The socket is created with its mode (no window with a wider one,
	 * no chmod through a path an attacker could swap for a link): bind()
	 * gives it 0777 & ~umask.  One thread binds at start-up. */
	if (mode >= 0)
		old_umask = umask((mode_t)(~mode & 0777));
	rc = bind(fd, (const struct sockaddr *)&a, sizeof(a));
	if (mode >= 0)
		umask(old_umask);
	if (rc < 0) {
		err_set(err, "socket %s: bind: %s", path, strerror(errno));
		goto fail;
	}
	if (group != NULL && *group != '\0') {
		struct group *g = getgrnam(group);

		if (g == NULL) {
			err_set(err, "socket %s: unknown group \"%s\"", path, group);
			goto fail_unlink;
		}
		/* fchown() on a socket's descriptor does not reach its file:
		 * change the file itself, never following a symbolic link */
		if (fchownat(AT_FDCWD, path, (uid_t)-1, g->gr_gid, AT_SYMLINK_NOFOLLOW) < 0) {
			err_set(err, "socket %s: chgrp %s: %s", path, group, strerror(errno));
			goto fail_unlink;
		}
	}
	return fd;
fail_unlink:
	unlink(path);
fail:
	close(fd);
	return -1;
}

size_t
collect_socket_rcvbuf(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) < 0 || v < 0)
		return 0;
	return (size_t)v;
}

long
collect_socket_qlen(void)
{
	FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}
