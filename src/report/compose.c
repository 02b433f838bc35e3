/*
 * compose: builds the report mail with gmime 3 (see compose.h).
 * A composer owns one message tree — headers, multipart/report, text part,
 * report part — created once; each mail sets the values that change and
 * writes the tree out.  gmime is initialised on first use (g_mime_init
 * counts its callers and is idempotent).
 */
#include "report/compose.h"

#include <gmime/gmime.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/naming.h"
#include "util/xalloc.h"

/* Longest attachment name written as one quoted-string (a longer one goes
 * to gmime's RFC 2231 encoding): "\tfilename=\"" + name + "\"" stays
 * under RFC 5322's 998-character line limit.  naming_filename() of two
 * 253-character domains is about 540 characters. */
#define COMPOSE_QUOTED_MAX 900

#define COMPOSE_BOUNDARY "=_tlsrpt_report_=_"

struct composer {
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimePart *text;
	GMimePart *att;
	GMimeFormatOptions *fo;
	char *from, *to;      /* the addresses set last (unchanged ones are kept) */
	char *submitter;      /* the TLS-Report-Submitter set last */
	int64_t date;         /* the Date set last (0: none yet) */
	int text_ascii;       /* the text part's charset set last: 1 us-ascii, 0 utf-8,
	                       * -1 none yet */
	int compressed;       /* the report part's subtype set last (-1: none yet) */
	int64_t begin, end;   /* the date-range of the last mail's text part */
	char begin_text[NAMING_DATETIME_SIZE], end_text[NAMING_DATETIME_SIZE];
	GByteArray *text_bytes, *att_bytes;  /* the parts' contents (owned by their
	                                      * streams), refilled per mail */
	GMimeStream *out;     /* the written message, emptied per mail */
	uint32_t mid_seed[2]; /* random, drawn once: this composer's Message-IDs */
	uint64_t mid_count;   /* mails built: makes each Message-ID unique */
};

static int
is_ascii(const guint8 *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return 0;
	return 1;
}

/* Keeps gmime's formatted (folded, RFC 2047-encoded) text of header name
 * of o as its raw value.  gmime formats a value set with
 * g_mime_object_set_header() once when it is set and again every time the
 * object is written; a raw value is written as it is.  Same bytes, one
 * formatting instead of two; the parsed value stays readable
 * (g_mime_header_get_value() decodes the raw value, and the object's
 * fields, e.g. the message's subject, are updated from it).
 * With value NULL the header's current value is kept; otherwise value, an
 * unstructured header value (Subject, TLS-Report-*), is formatted with
 * gmime's default formatter, as g_mime_object_set_header() would. */
static void
set_header_once(GMimeObject *o, const char *name, const char *value)
{
	GMimeHeaderList *l = g_mime_object_get_header_list(o);
	GMimeHeader *h = g_mime_header_list_get_header(l, name);
	char *raw;

	if (value != NULL && h == NULL) {
		g_mime_object_set_header(o, name, value, NULL);
		h = g_mime_header_list_get_header(l, name);
		value = NULL;
	}
	if (h == NULL)
		return;
	if (value != NULL)
		raw = g_mime_header_format_default(h, NULL, value, NULL);
	else if (g_mime_header_get_raw_value(h) != NULL)
		raw = g_strdup(g_mime_header_get_raw_value(h));
	else
		return;
	g_mime_header_set_raw_value(h, raw);
	g_free(raw);
}

/* Sets the raw (already encoded) value of header name of o; gmime parses
 * it back into the object model (content type, boundary, disposition,
 * filename), so what the object says and what is written agree. */
static void
set_raw_header(GMimeObject *o, const char *name, const char *raw)
{
	GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(o), name);

	if (h == NULL) {
		g_mime_object_set_header(o, name, "", NULL);
		h = g_mime_header_list_get_header(g_mime_object_get_header_list(o), name);
	}
	g_mime_header_set_raw_value(h, raw);
}

/* Gives part p a content stream whose bytes set_content() replaces per
 * mail (no stream and data wrapper objects per mail).  Returns the
 * stream's byte array (owned by the stream, which the part keeps). */
static GByteArray *
new_content(GMimePart *p)
{
	GMimeStream *ms = g_mime_stream_mem_new();
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(ms,
								   GMIME_CONTENT_ENCODING_DEFAULT);
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));

	g_mime_part_set_content(p, dw);
	g_object_unref(dw);
	g_object_unref(ms);
	return ba;
}

/* Makes data[0..n) (copied) the content of a part (see new_content); the
 * data wrapper rewinds the stream before it reads it. */
static void
set_content(GByteArray *ba, const void *data, size_t n)
{
	g_byte_array_set_size(ba, 0);
	g_byte_array_append(ba, data, (guint)n);
}

struct composer *
composer_new(void)
{
	struct composer *c = xcalloc(1, sizeof(*c));

	g_mime_init();
	c->mid_seed[0] = g_random_int();
	c->mid_seed[1] = g_random_int();
	c->msg = g_mime_message_new(TRUE);
	/* RFC 8460 §5.3 MUST headers (values set per mail); RFC 8689
	 * TLS-Required: No; Auto-Submitted (RFC 3834) so nobody
	 * auto-replies to a report. */
	g_mime_object_append_header(GMIME_OBJECT(c->msg), "TLS-Report-Domain", "", NULL);
	g_mime_object_append_header(GMIME_OBJECT(c->msg), "TLS-Report-Submitter", "", NULL);
	g_mime_object_append_header(GMIME_OBJECT(c->msg), "TLS-Required", "No", NULL);
	g_mime_object_append_header(GMIME_OBJECT(c->msg), "Auto-Submitted", "auto-generated",
				    NULL);
	c->mp = g_mime_multipart_new_with_subtype("report");
	/* report-type="tlsrpt" quoted, as RFC 8460 §5.3 writes it (gmime's
	 * encoder writes the token form).  One boundary for every mail: "=_"
	 * never occurs in base64, in quoted-printable or in the text part
	 * (RFC 2046 §5.1.1), and a per-mail value would mean parsing this
	 * header again for every mail. */
	set_raw_header(GMIME_OBJECT(c->mp), "Content-Type",
		       " multipart/report; report-type=\"tlsrpt\";\n"
		       "\tboundary=\"" COMPOSE_BOUNDARY "\"\n");
	c->text = g_mime_part_new_with_type("text", "plain");
	c->att = g_mime_part_new_with_type("application", "tlsrpt+gzip");
	g_mime_object_set_disposition(GMIME_OBJECT(c->att), "attachment");
	g_mime_multipart_add(c->mp, GMIME_OBJECT(c->text));
	g_mime_multipart_add(c->mp, GMIME_OBJECT(c->att));
	g_mime_message_set_mime_part(c->msg, GMIME_OBJECT(c->mp));
	g_mime_part_set_content_encoding(c->att, GMIME_CONTENT_ENCODING_BASE64);
	set_header_once(GMIME_OBJECT(c->att), "Content-Transfer-Encoding", NULL);
	set_header_once(GMIME_OBJECT(c->msg), "TLS-Required", NULL);
	set_header_once(GMIME_OBJECT(c->msg), "Auto-Submitted", NULL);
	set_header_once(GMIME_OBJECT(c->msg), "MIME-Version", NULL);
	c->text_ascii = -1;
	c->compressed = -1;
	c->text_bytes = new_content(c->text);
	c->att_bytes = new_content(c->att);
	c->out = g_mime_stream_mem_new();
	c->fo = g_mime_format_options_clone(g_mime_format_options_get_default());
	g_mime_format_options_set_newline_format(c->fo, GMIME_NEWLINE_FORMAT_DOS);
	return c;
}

void
composer_free(struct composer **cp)
{
	struct composer *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	g_object_unref(c->text);
	g_object_unref(c->att);
	g_object_unref(c->mp);
	g_object_unref(c->msg);
	g_mime_format_options_free(c->fo);
	g_object_unref(c->out);
	free(c->from);
	free(c->to);
	free(c->submitter);
	free(c);
	*cp = NULL;
}

/* Replaces the bytes of ba with the printf-style text (no NUL kept). */
static void fill_text(GByteArray *ba, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fill_text(GByteArray *ba, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	if (ba->len < 1024)
		g_byte_array_set_size(ba, 1024);
	n = vsnprintf((char *)ba->data, ba->len, fmt, ap);
	if (n >= 0 && (guint)n >= ba->len) {
		g_byte_array_set_size(ba, (guint)n + 1);
		n = vsnprintf((char *)ba->data, ba->len, fmt, ap2);
	}
	g_byte_array_set_size(ba, n > 0 ? (guint)n : 0);
	va_end(ap2);
	va_end(ap);
}

/* The human-readable first part (RFC 8460 §5.3). */
static void
set_text(struct composer *c, const struct compose_mail *m)
{
	int ascii;

	if (c->begin_text[0] == '\0' || c->begin != m->begin || c->end != m->end) {
		naming_datetime(m->begin, c->begin_text);
		naming_datetime(m->end, c->end_text);
		c->begin = m->begin;
		c->end = m->end;
	}
	fill_text(c->text_bytes, "This is an aggregate TLS report (RFC 8460) from %s.\n\n"
		  "Report domain: %s\nSubmitter:     %s\nReport-ID:     %s\n"
		  "Period:        %s to %s\n\n"
		  "The report is attached as %s.\n",
		  m->organization ? m->organization : m->submitter, m->policy_domain,
		  m->submitter, m->report_id, c->begin_text, c->end_text,
		  m->compressed ? "gzip-compressed JSON" : "JSON");
	ascii = is_ascii(c->text_bytes->data, c->text_bytes->len);
	if (ascii != c->text_ascii) {
		g_mime_object_set_content_type_parameter(GMIME_OBJECT(c->text), "charset",
							 ascii ? "us-ascii" : "utf-8");
		g_mime_part_set_content_encoding(c->text,
						 ascii ? GMIME_CONTENT_ENCODING_7BIT
						       : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
		set_header_once(GMIME_OBJECT(c->text), "Content-Transfer-Encoding", NULL);
		c->text_ascii = ascii;
	}
}

/* 1 if s can stand in a quoted-string as it is: printable US-ASCII, no
 * '"' or '\\' (RFC 5322 qtext), and short enough that the header line
 * stays within RFC 5322's 998 characters. */
static int
quotable(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return n <= COMPOSE_QUOTED_MAX;
}

/* The report part: application/tlsrpt+gzip or +json, base64, §5.1 name.
 * The name is written as RFC 8460 §5.3's example writes it, a quoted
 * Content-Disposition filename (filename="…json.gz"; some receivers match
 * only that form) and no Content-Type name parameter.  gmime's encoder
 * writes a token, or RFC 2231 continuations when long, so the header is
 * set as text, which gmime parses back into the object model.  A name
 * that cannot be quoted as it is (not possible with domain names) is
 * left to gmime's encoding. */
static void
set_report(struct composer *c, const struct compose_mail *m)
{
	const char *type = m->compressed ? "tlsrpt+gzip" : "tlsrpt+json";
	char *name, raw[COMPOSE_QUOTED_MAX + 32];

	if ((m->compressed != 0) != c->compressed) {
		g_mime_content_type_set_media_subtype(
			g_mime_object_get_content_type(GMIME_OBJECT(c->att)), type);
		c->compressed = m->compressed != 0;
	}
	set_content(c->att_bytes, m->body, m->body_len);
	name = naming_filename(m->submitter, m->policy_domain, m->begin, m->end, m->compressed);
	if (quotable(name)) {
		snprintf(raw, sizeof(raw), " attachment;\n\tfilename=\"%s\"\n", name);
		set_raw_header(GMIME_OBJECT(c->att), "Content-Disposition", raw);
	} else {
		g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(c->att), "filename",
								name);
	}
	free(name);
}

/* Sets the From or To address unless it is *last already (re-encoding an
 * address list costs an IDNA conversion).  *last is updated. */
static int
set_mailbox(GMimeMessage *msg, GMimeAddressType type, const char *addr, char **last,
	    struct err *err)
{
	InternetAddressList *l = g_mime_message_get_addresses(msg, type);
	InternetAddress *a;

	if (addr != NULL && *last != NULL && strcmp(addr, *last) == 0)
		return 0;

	/* an addr-spec only: one '@', no spaces, quotes, brackets or controls */
	if (addr == NULL || strchr(addr, '@') == NULL || strchr(addr, '@') != strrchr(addr, '@') ||
	    addr[strcspn(addr, " \t\r\n\"<>(),;:\\[]")] != '\0' || addr[0] == '@' ||
	    addr[strlen(addr) - 1] == '@') {
		err_set(err, "compose: \"%s\" is not one mail address", addr ? addr : "");
		return -1;
	}
	internet_address_list_clear(l);
	a = internet_address_mailbox_new(NULL, addr);
	internet_address_list_add(l, a);
	g_object_unref(a);
	set_header_once(GMIME_OBJECT(msg), type == GMIME_ADDRESS_TYPE_FROM ? "From" : "To", NULL);
	free(*last);
	*last = xstrdup(addr);
	return 0;
}

int
composer_build(struct composer *c, const struct compose_mail *m, struct buf *out,
	       struct err *err)
{
	GDateTime *dt;
	GByteArray *ba;
	char *subject, *mid;
	int ret = -1;

	if (set_mailbox(c->msg, GMIME_ADDRESS_TYPE_FROM, m->from, &c->from, err) < 0 ||
	    set_mailbox(c->msg, GMIME_ADDRESS_TYPE_TO, m->to, &c->to, err) < 0)
		return -1;
	subject = naming_subject(m->policy_domain, m->submitter, m->report_id);
	set_header_once(GMIME_OBJECT(c->msg), "Subject", subject);
	free(subject);
	if (c->date == 0 || c->date != m->date) {
		dt = g_date_time_new_from_unix_utc(m->date);
		g_mime_message_set_date(c->msg, dt);
		g_date_time_unref(dt);
		set_header_once(GMIME_OBJECT(c->msg), "Date", NULL);
		c->date = m->date;
	}
	/* a generated Message-ID is a random 64-bit prefix drawn once per
	 * composer and a counter (gmime's generator reads /dev/urandom for
	 * every mail: three system calls a report) */
	mid = m->message_id ? g_strdup(m->message_id)
			    : g_strdup_printf("%08x%08x.%llx.%llx@%s", c->mid_seed[0], c->mid_seed[1],
					      (unsigned long long)++c->mid_count,
					      (unsigned long long)m->date, m->submitter);
	g_mime_message_set_message_id(c->msg, mid);
	/* (not set_header_once: gmime parses a Message-Id raw value back, which
	 * costs more than formatting it again when written) */
	g_free(mid);
	set_header_once(GMIME_OBJECT(c->msg), "TLS-Report-Domain", m->policy_domain);
	if (c->submitter == NULL || strcmp(c->submitter, m->submitter) != 0) {
		set_header_once(GMIME_OBJECT(c->msg), "TLS-Report-Submitter", m->submitter);
		free(c->submitter);
		c->submitter = xstrdup(m->submitter);
	}
	set_text(c, m);
	set_report(c, m);

	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(c->out));
	g_byte_array_set_size(ba, 0);
	g_mime_stream_reset(c->out);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(c->msg), c->fo, c->out) < 0) {
		err_set(err, "compose: writing the message failed");
		goto out;
	}
	if (buf_append(out, ba->data, ba->len) < 0) {
		err_set(err, "compose: message larger than %zu bytes", out->max);
		goto out;
	}
	ret = 0;
out:
	return ret;
}

int
compose_report_mail(const struct compose_mail *m, struct buf *out, struct err *err)
{
	struct composer *c = composer_new();
	int rc = composer_build(c, m, out, err);

	composer_free(&c);
	return rc;
}
