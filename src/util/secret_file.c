/*
 * secret_file: a secret read only when others cannot read it
 * (see secret_file.h).
 */
#include "util/secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xalloc.h"

/* The group every login user may share on Debian (USERS_GID). */
#define USERS_GID 100

/* Returns 0 if st may hold a secret, else -1 with err set. */
static int
check_mode(const char *path, const char *what, const struct stat *st, struct err *err)
{
	unsigned mode = (unsigned)st->st_mode & 07777;

	if (!S_ISREG(st->st_mode)) {
		err_set(err, "%s %s: not a regular file", what, path);
		return -1;
	}
	if (mode & (S_IROTH | S_IWOTH)) {
		err_set(err, "%s %s is %s by others (mode %04o): refused; "
			"chmod o-rwx %s", what, path,
			mode & S_IROTH ? "readable" : "writable", mode, path);
		return -1;
	}
	if ((mode & (S_IRGRP | S_IWGRP)) && st->st_gid == USERS_GID) {
		err_set(err, "%s %s is %s by group \"users\" (mode %04o): refused; "
			"chmod g-rw %s or give it a group of its own", what, path,
			mode & S_IRGRP ? "readable" : "writable", mode, path);
		return -1;
	}
	return 0;
}

char *
secret_file_read(const char *path, const char *what, size_t max, size_t *len,
		 struct err *err)
{
	struct stat st;
	char *data = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err_set(err, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err_set(err, "%s %s: %s", what, path, strerror(errno));
		goto fail;
	}
	if (check_mode(path, what, &st, err) < 0)
		goto fail;
	data = xmalloc(max + 1);
	while (n <= max && (r = read(fd, data + n, max + 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, "%s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if (n > max) {
		err_set(err, "%s %s: larger than %zu bytes", what, path, max);
		goto fail;
	}
	data[n] = '\0';
	close(fd);
	if (len != NULL)
		*len = n;
	return data;
fail:
	if (data != NULL) {
		memset(data, 0, max + 1);
		free(data);
	}
	close(fd);
	return NULL;
}
