/*
 * http_response: what a handler fills (http_server.h), and how its body
 * becomes an MHD response: a buffer handed over whole, or a stream whose
 * pieces are made while MHD sends (MHD_create_response_from_callback with
 * an unknown size: chunked transfer encoding).  A stream's pieces go
 * through one buffer that keeps its allocation, so a body of tens of MB
 * is never held whole (the pages of a growing 20 MB buffer, faulted in
 * and zeroed on every request, were a third of /metrics' CPU: bench/README.md).
 */
#include "net/http_response_mhd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Largest piece a stream's fill() may append in one call. */
#define STREAM_PIECE_MAX (16u * 1024u * 1024u)
/* The block size MHD asks the stream reader for. */
#define STREAM_BLOCK (64u * 1024u)

void
http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	buf_init(&r->body, HTTP_RESPONSE_MAX_BODY);
}

/* Releases the stream r holds, if any. */
static void
drop_stream(struct http_response *r)
{
	if (r->stream.release != NULL)
		r->stream.release(r->stream.cls);
	memset(&r->stream, 0, sizeof(r->stream));
}

void
http_response_cleanup(struct http_response *r)
{
	drop_stream(r);
	buf_free(&r->body);
}

void
http_response_bytes(struct http_response *r, unsigned status,
		    const char *content_type, const void *data, size_t len)
{
	drop_stream(r);
	r->status = status;
	snprintf(r->content_type, sizeof(r->content_type), "%s", content_type);
	buf_reset(&r->body);
	if (buf_append(&r->body, data, len) != 0) {
		r->status = 500;
		snprintf(r->content_type, sizeof(r->content_type), "text/plain; charset=utf-8");
		buf_reset(&r->body);
		buf_append_str(&r->body, "response too large\n");
	}
}

void
http_response_text(struct http_response *r, unsigned status,
		   const char *content_type, const char *text)
{
	http_response_bytes(r, status, content_type, text, strlen(text));
}

void
http_response_stream(struct http_response *r, unsigned status, const char *content_type,
		     http_body_fill_fn fill, http_body_release_fn release, void *cls)
{
	drop_stream(r);
	buf_reset(&r->body);
	r->status = status;
	snprintf(r->content_type, sizeof(r->content_type), "%s", content_type);
	r->stream.fill = fill;
	r->stream.release = release;
	r->stream.cls = cls;
}

int
http_response_collect(struct http_response *r)
{
	struct buf piece;
	int more = 1;

	if (r->stream.fill == NULL)
		return 0;
	buf_init(&piece, STREAM_PIECE_MAX);
	buf_reset(&r->body);
	while (more == 1) {
		buf_reset(&piece);
		more = r->stream.fill(r->stream.cls, &piece);
		if (more >= 0 && buf_append(&r->body, piece.data, piece.len) != 0)
			more = -1;
	}
	buf_free(&piece);
	drop_stream(r);
	if (more < 0) {
		http_response_text(r, 500, "text/plain; charset=utf-8",
				   "response could not be made\n");
		return -1;
	}
	return 0;
}

/* A stream being sent: the piece made last and how much of it went. */
struct stream_state {
	struct http_body_stream s;
	struct buf piece;
	size_t off;
	int ended;              /* fill() said the last piece was made */
};

/* MHD_ContentReaderCallback: the next bytes of the stream. */
static ssize_t
stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream_state *st = cls;
	size_t n;
	int rc;

	(void)pos;
	while (st->off == st->piece.len) {
		if (st->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		buf_reset(&st->piece);
		st->off = 0;
		rc = st->s.fill(st->s.cls, &st->piece);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		st->ended = rc == 0;
	}
	n = st->piece.len - st->off;
	n = n < max ? n : max;
	memcpy(out, st->piece.data + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

/* MHD_ContentReaderFreeCallback. */
static void
stream_free(void *cls)
{
	struct stream_state *st = cls;

	if (st->s.release != NULL)
		st->s.release(st->s.cls);
	buf_free(&st->piece);
	free(st);
}

struct MHD_Response *
http_response_mhd(struct http_response *r)
{
	struct MHD_Response *m;
	struct stream_state *st;
	size_t len = 0;
	char *data;

	if (r->stream.fill != NULL) {
		st = xcalloc(1, sizeof(*st));
		st->s = r->stream;
		memset(&r->stream, 0, sizeof(r->stream));
		buf_init(&st->piece, STREAM_PIECE_MAX);
		m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
						      stream_read, st, stream_free);
		if (m == NULL)  /* MHD frees nothing of ours when it fails */
			stream_free(st);
		return m;
	}
	data = buf_steal(&r->body, &len);
	m = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (m == NULL)
		free(data);
	return m;
}
