/*
 * filedir: the files of one directory, sorted, read one at a time into a
 * bounded buffer (see filedir.h).  Also the file reader that maildir.c
 * and the `fetch` command share.
 */
#include "ingest/filedir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/gunzip.h"
#include "util/xalloc.h"

int
filedir_read_file(const char *path, size_t max_size, struct buf *out,
		  struct err *err)
{
	char chunk[65536], sz[32];
	FILE *f;
	size_t n;
	int ret = -1;

	buf_init(out, max_size);
	f = fopen(path, "rb");
	if (f == NULL) {
		err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(out, chunk, n) != 0) {
			err_set(err, "%s: larger than the %s limit", path,
				gunzip_size_text(max_size, sz, sizeof(sz)));
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, "%s: read error: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	fclose(f);
	return ret;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
filedir_each(const char *dir, size_t max_size, source_item_cb cb, void *ctx,
	     struct err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int ret = 0;

	if (d == NULL) {
		err_set(err, "%s: cannot open directory: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n && ret == 0; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct source_item item = { path, NULL, 0, NULL };
		struct err ferr = { "" };
		struct stat st;
		struct buf b;

		buf_init(&b, 0);
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (filedir_read_file(path, max_size, &b, &ferr) != 0) {
			item.error = ferr.msg;
		} else {
			item.data = b.data ? b.data : "";
			item.len = b.len;
		}
		ret = cb(ctx, &item);
		buf_free(&b);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}
