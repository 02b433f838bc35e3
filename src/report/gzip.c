/*
 * gzip: deflate into a gzip container (zlib deflateInit2 with
 * 16 + MAX_WBITS), appended to a bounded buffer; the stream is reset and
 * reused between reports.
 */
#include "report/gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "util/xalloc.h"

struct gzipper {
	z_stream z;
	int ok;         /* deflateInit2 succeeded */
};

struct gzipper *
gzipper_new(void)
{
	struct gzipper *g = xcalloc(1, sizeof(*g));

	g->ok = deflateInit2(&g->z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 5,
			     Z_DEFAULT_STRATEGY) == Z_OK;
	return g;
}

int
gzipper_run(struct gzipper *g, const void *data, size_t n, struct buf *out, struct err *err)
{
	unsigned char chunk[16384];
	size_t start = out->len;
	int rc;

	if (!g->ok) {
		err_set(err, "gzip: deflateInit2 failed");
		return -1;
	}
	if (n > (size_t)UINT_MAX) {
		err_set(err, "gzip: input of %zu bytes is too large", n);
		return -1;
	}
	deflateReset(&g->z);
	g->z.next_in = (Bytef *)(uintptr_t)data;
	g->z.avail_in = (uInt)n;
	do {
		g->z.next_out = chunk;
		g->z.avail_out = sizeof(chunk);
		rc = deflate(&g->z, Z_FINISH);
		if (rc == Z_STREAM_ERROR) {
			err_set(err, "gzip: deflate failed: %s", g->z.msg ? g->z.msg : "stream error");
			goto fail;
		}
		if (buf_append(out, chunk, sizeof(chunk) - g->z.avail_out) < 0) {
			err_set(err, "gzip: compressed report larger than %zu bytes", out->max);
			goto fail;
		}
	} while (rc != Z_STREAM_END);
	return 0;
fail:
	out->len = start;       /* leave out as it was */
	if (out->data)
		out->data[start] = '\0';
	return -1;
}

void
gzipper_free(struct gzipper **gp)
{
	if (gp == NULL || *gp == NULL)
		return;
	if ((*gp)->ok)
		deflateEnd(&(*gp)->z);
	free(*gp);
	*gp = NULL;
}

int
report_gzip(const void *data, size_t n, struct buf *out, struct err *err)
{
	struct gzipper *g = gzipper_new();
	int rc = gzipper_run(g, data, n, out, err);

	gzipper_free(&g);
	return rc;
}
