/*
 * mbox: streaming split of an mbox (see mbox.h).  Lines are read in
 * chunks of at most MBOX_CHUNK bytes, so a very long line costs no more
 * memory than the message limit; "at line start" is tracked across chunks.
 */
#include "ingest/mbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/gunzip.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define MBOX_CHUNK 8192

struct mbox_reader {
	const char *path;
	source_item_cb cb;
	void *ctx;
	struct buf msg;
	unsigned number;
	int too_big;
	int started;
};

/* Hands the message collected so far to the callback. */
static int
flush(struct mbox_reader *r)
{
	char name[64 + 4096], sz[32], why[128];
	struct source_item item = { name, NULL, 0, NULL };
	int rc;

	if (!r->started)
		return 0;
	snprintf(name, sizeof(name), "%s:%u", r->path, r->number);
	if (r->too_big) {
		snprintf(why, sizeof(why), "message larger than the %s limit",
			 gunzip_size_text(r->msg.max, sz, sizeof(sz)));
		item.error = why;
	} else {
		item.data = r->msg.data ? r->msg.data : "";
		item.len = r->msg.len;
	}
	rc = r->cb(r->ctx, &item);
	buf_reset(&r->msg);
	r->too_big = 0;
	return rc;
}

/* ">From ", ">>From " … at line start: quoted From lines. */
static int
is_quoted_from(const char *line)
{
	const char *p = line;

	while (*p == '>')
		p++;
	return p > line && strncmp(p, "From ", 5) == 0;
}

int
mbox_each(const char *path, size_t max_size, source_item_cb cb, void *ctx,
	  struct err *err)
{
	struct mbox_reader r = { path, cb, ctx, { 0 }, 0, 0, 0 };
	char line[MBOX_CHUNK];
	int at_start = 1, ret = 0;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&r.msg, max_size);
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		const char *p = line;

		if (at_start && strncmp(line, "From ", 5) == 0) {
			ret = flush(&r);
			r.number++;
			r.started = 1;
		} else if (!r.started) {
			err_set(err, "%s: not an mbox (does not start with a \"From \" line)",
				path);
			ret = -1;
		} else {
			if (at_start && is_quoted_from(line)) {
				p++;
				n--;
			}
			if (!r.too_big && buf_append(&r.msg, p, n) != 0)
				r.too_big = 1;
		}
		at_start = n > 0 && p[n - 1] == '\n';
	}
	if (ret == 0 && ferror(f)) {
		err_set(err, "%s: read error: %s", path, strerror(errno));
		ret = -1;
	}
	if (ret == 0)
		ret = flush(&r);
	buf_free(&r.msg);
	fclose(f);
	return ret;
}
