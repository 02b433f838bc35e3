/*
 * compose: builds the report mail with gmime 3 (see compose.h).
 * gmime is initialised on first use (g_mime_init counts its callers and is
 * idempotent); nothing else is kept between calls.
 */
#include "report/compose.h"

#include <gmime/gmime.h>
#include <stdlib.h>
#include <string.h>

#include "report/naming.h"
#include "util/xalloc.h"

static GMimeObject *
text_part(const struct compose_mail *m)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	char b[NAMING_DATETIME_SIZE], e[NAMING_DATETIME_SIZE];
	char *text;

	naming_datetime(m->begin, b);
	naming_datetime(m->end, e);
	text = xasprintf("This is an aggregate TLS report (RFC 8460) from %s.\n\n"
			 "Report domain: %s\nSubmitter:     %s\nReport-ID:     %s\n"
			 "Period:        %s to %s\n\n"
			 "The report is attached as %s.\n",
			 m->organization ? m->organization : m->submitter, m->policy_domain,
			 m->submitter, m->report_id, b, e,
			 m->compressed ? "gzip-compressed JSON" : "JSON");
	g_mime_text_part_set_text(tp, text);
	free(text);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
report_part(const struct compose_mail *m)
{
	GMimePart *att;
	GMimeStream *ms;
	GMimeDataWrapper *dw;
	char *name;

	att = g_mime_part_new_with_type("application",
					m->compressed ? "tlsrpt+gzip" : "tlsrpt+json");
	ms = g_mime_stream_mem_new_with_buffer(m->body, m->body_len);
	dw = g_mime_data_wrapper_new_with_stream(ms, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(att, dw);
	g_object_unref(dw);
	g_object_unref(ms);
	g_mime_part_set_content_encoding(att, GMIME_CONTENT_ENCODING_BASE64);
	name = naming_filename(m->submitter, m->policy_domain, m->begin, m->end, m->compressed);
	g_mime_object_set_disposition(GMIME_OBJECT(att), "attachment");
	g_mime_part_set_filename(att, name);
	free(name);
	return GMIME_OBJECT(att);
}

static int
add_mailbox(GMimeMessage *msg, GMimeAddressType type, const char *addr, struct err *err)
{
	InternetAddressList *l = g_mime_message_get_addresses(msg, type);
	InternetAddressList *parsed = internet_address_list_parse(NULL, addr);

	if (parsed == NULL || internet_address_list_length(parsed) != 1) {
		if (parsed)
			g_object_unref(parsed);
		err_set(err, "compose: \"%s\" is not one mail address", addr);
		return -1;
	}
	internet_address_list_append(l, parsed);
	g_object_unref(parsed);
	return 0;
}

int
compose_report_mail(const struct compose_mail *m, struct buf *out, struct err *err)
{
	GMimeMessage *msg = NULL;
	GMimeMultipart *mp = NULL;
	GMimeStream *st = NULL;
	GMimeFormatOptions *fo = NULL;
	GDateTime *dt = NULL;
	GByteArray *ba;
	GMimeObject *part;
	char *subject = NULL, *mid = NULL;
	int ret = -1;

	g_mime_init();
	msg = g_mime_message_new(TRUE);
	if (add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, m->from, err) < 0 ||
	    add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, m->to, err) < 0)
		goto out;
	subject = naming_subject(m->policy_domain, m->submitter, m->report_id);
	g_mime_message_set_subject(msg, subject, NULL);
	dt = g_date_time_new_from_unix_utc(m->date);
	g_mime_message_set_date(msg, dt);
	mid = m->message_id ? xstrdup(m->message_id) : g_mime_utils_generate_message_id(m->submitter);
	g_mime_message_set_message_id(msg, mid);
	/* RFC 8460 §5.3 MUST headers; RFC 8689 TLS-Required: No;
	 * Auto-Submitted (RFC 3834) so nobody auto-replies to a report. */
	g_mime_object_append_header(GMIME_OBJECT(msg), "TLS-Report-Domain", m->policy_domain, NULL);
	g_mime_object_append_header(GMIME_OBJECT(msg), "TLS-Report-Submitter", m->submitter, NULL);
	g_mime_object_append_header(GMIME_OBJECT(msg), "TLS-Required", "No", NULL);
	g_mime_object_append_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-generated", NULL);

	mp = g_mime_multipart_new_with_subtype("report");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(mp), "report-type", "tlsrpt");
	part = text_part(m);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	part = report_part(m);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));

	fo = g_mime_format_options_clone(g_mime_format_options_get_default());
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	st = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, st) < 0) {
		err_set(err, "compose: writing the message failed");
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
	if (buf_append(out, ba->data, ba->len) < 0) {
		err_set(err, "compose: message larger than %zu bytes", out->max);
		goto out;
	}
	ret = 0;
out:
	if (st)
		g_object_unref(st);
	if (fo)
		g_mime_format_options_free(fo);
	if (mp)
		g_object_unref(mp);
	if (dt)
		g_date_time_unref(dt);
	if (msg)
		g_object_unref(msg);
	if (mid)
		g_free(mid);
	free(subject);
	return ret;
}
