/*
 * mime: a mail message → its report parts, with gmime 3 (see mime.h).
 * The message is parsed from memory once; the walk is recursive over
 * multiparts (nesting bounded by MIME_MAX_NESTING) and counts every part
 * against max_parts.  Content is decoded by gmime's data wrapper into a
 * memory stream; base64 and QP only shrink, so it is bounded by the input.
 */
#include "ingest/mime.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "util/xalloc.h"

#define MIME_MAX_NESTING 32

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void
mime_init_once(void)
{
	g_mime_init();
}

struct walk {
	unsigned max_parts;
	struct mime_info *info;
	mime_part_cb cb;
	void *ctx;
	int given;
	int stopped;
};

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

int
mime_part_is_candidate(const char *content_type, const char *filename)
{
	/* RFC 8460 §5.3 types, the gzip/zip/json types senders use instead,
	 * and +x-gzip (seen handled by other receivers). */
	static const char *const types[] = {
		"application/tlsrpt+gzip", "application/tlsrpt+json",
		"application/tlsrpt", "application/tlsrpt+x-gzip",
		"application/gzip", "application/x-gzip", "application/json",
		"application/zip", "application/x-zip-compressed",
		"application/x-zip",
	};
	static const char *const names[] = { ".json", ".json.gz", ".gz", ".zip" };
	size_t i;

	for (i = 0; content_type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(content_type, types[i]) == 0)
			return 1;
	for (i = 0; filename != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (ends_with(filename, names[i]))
			return 1;
	return 0;
}

static char *
dup_header(GMimeObject *obj, const char *name)
{
	const char *v = g_mime_object_get_header(obj, name);

	return v != NULL ? xstrdup(v) : NULL;
}

/* Unfolded headers keep the folding white space ("a\t  b"): one space
 * is what a reader expects to see. */
static char *
dup_collapsed(const char *s)
{
	char *out = xstrdup(s), *w = out;
	int space = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			space = 1;
			continue;
		}
		if (space && w != out)
			*w++ = ' ';
		space = 0;
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

static void
read_headers(GMimeMessage *msg, struct mime_info *info)
{
	InternetAddressList *from = g_mime_message_get_from(msg);
	const char *s;

	s = g_mime_message_get_subject(msg);
	info->subject = s != NULL ? dup_collapsed(s) : NULL;
	s = g_mime_message_get_message_id(msg);
	info->message_id = s != NULL ? xstrdup(s) : NULL;
	if (from != NULL && internet_address_list_length(from) > 0) {
		char *f = internet_address_list_to_string(from, NULL, FALSE);

		info->from = f != NULL ? xstrdup(f) : NULL;
		g_free(f);
	}
	info->tls_report_domain = dup_header(GMIME_OBJECT(msg), "TLS-Report-Domain");
	info->tls_report_submitter = dup_header(GMIME_OBJECT(msg), "TLS-Report-Submitter");
	info->has_dkim_signature =
		g_mime_object_get_header(GMIME_OBJECT(msg), "DKIM-Signature") != NULL;
}

/* Gives one part's bytes to the callback.  Returns 0 or -1. */
static int
give(struct walk *w, const void *data, size_t len, const char *ctype,
     const char *filename, struct err *err)
{
	struct mime_part part = { data, len, ctype, filename, w->info->part_count };
	int rc;

	w->given++;
	rc = w->cb(w->ctx, &part, err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		w->stopped = 1;
	return 0;
}

/* Decodes a leaf part and gives it if it is a candidate. */
static int
visit_part(struct walk *w, GMimePart *part, struct err *err)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
	char *mtype = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *filename = g_mime_part_get_filename(part);
	GMimeDataWrapper *content;
	GMimeStream *mem = NULL;
	GByteArray *bytes;
	int ret = 0;

	if (mtype != NULL) {
		char *lower = g_ascii_strdown(mtype, -1);

		g_free(mtype);
		mtype = lower;
	}
	if (!mime_part_is_candidate(mtype, filename))
		goto out;
	content = g_mime_part_get_content(part);
	mem = g_mime_stream_mem_new();
	if (content != NULL && g_mime_data_wrapper_write_to_stream(content, mem) < 0) {
		err_set(err, "MIME part %u (%s): cannot decode its content",
			w->info->part_count, mtype ? mtype : "?");
		ret = -1;
		goto out;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	ret = give(w, bytes->data, bytes->len, mtype ? mtype : "application/octet-stream",
		   filename, err);
out:
	if (mem != NULL)
		g_object_unref(mem);
	g_free(mtype);
	return ret;
}

/* Gives an embedded message/rfc822 whole, re-serialised. */
static int
visit_message_part(struct walk *w, GMimeMessagePart *mp, struct err *err)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	GMimeStream *mem;
	GByteArray *bytes;
	int ret;

	if (inner == NULL)
		return 0;
	mem = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem) < 0) {
		err_set(err, "MIME part %u (message/rfc822): cannot serialise it",
			w->info->part_count);
		g_object_unref(mem);
		return -1;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	ret = give(w, bytes->data, bytes->len, "message/rfc822", NULL, err);
	g_object_unref(mem);
	return ret;
}

static int
visit(struct walk *w, GMimeObject *obj, unsigned nesting, struct err *err)
{
	if (obj == NULL || w->stopped)
		return 0;
	if (++w->info->part_count > w->max_parts) {
		err_set(err, "mail has more than %u MIME parts", w->max_parts);
		return -1;
	}
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int i, n = g_mime_multipart_get_count(mp);

		if (nesting >= MIME_MAX_NESTING) {
			err_set(err, "mail has multiparts nested over %d deep",
				MIME_MAX_NESTING);
			return -1;
		}
		for (i = 0; i < n && !w->stopped; i++)
			if (visit(w, g_mime_multipart_get_part(mp, i), nesting + 1, err) != 0)
				return -1;
		return 0;
	}
	if (GMIME_IS_MESSAGE_PART(obj))
		return visit_message_part(w, GMIME_MESSAGE_PART(obj), err);
	if (GMIME_IS_PART(obj))
		return visit_part(w, GMIME_PART(obj), err);
	return 0;
}

int
mime_walk(const void *data, size_t len, unsigned max_parts,
	  struct mime_info *info_out, mime_part_cb cb, void *ctx, struct err *err)
{
	const char *p = data;
	struct walk w = { max_parts, info_out, cb, ctx, 0, 0 };
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	int ret = -1;

	memset(info_out, 0, sizeof(*info_out));
	pthread_once(&mime_once, mime_init_once);
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);

		len = nl != NULL ? len - (size_t)(nl + 1 - p) : 0;
		p = nl != NULL ? nl + 1 : p + len;
	}
	stream = g_mime_stream_mem_new_with_buffer(p, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (msg == NULL) {
		err_set(err, "mail: cannot parse the message (%zu bytes)", len);
		goto out;
	}
	read_headers(msg, info_out);
	if (visit(&w, g_mime_message_get_mime_part(msg), 0, err) != 0)
		goto out;
	ret = w.given;
out:
	if (msg != NULL)
		g_object_unref(msg);
	if (parser != NULL)
		g_object_unref(parser);
	if (stream != NULL)
		g_object_unref(stream);
	return ret;
}

void
mime_info_cleanup(struct mime_info *info)
{
	free(info->subject);
	free(info->from);
	free(info->message_id);
	free(info->tls_report_domain);
	free(info->tls_report_submitter);
	memset(info, 0, sizeof(*info));
}
