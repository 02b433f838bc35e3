/* Unit tests for report/compose and report/gzip: the report mail's
 * headers, parts, filename and attachment bytes, parsed back with gmime
 * (sender.md MAIL-01..06, MAIL-09). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <gmime/gmime.h>
#include <zlib.h>

#include "model/report_json.h"
#include "report/compose.h"
#include "report/gzip.h"

static const char json[] =
	"{\"organization-name\":\"Sender Org\",\"report-id\":\"20261121.example.com.1@mail.sender.example\"}";

/* gunzip with zlib into a new string. */
static char *
gunzip(const unsigned char *d, size_t n, size_t *outlen)
{
	z_stream z = { 0 };
	size_t cap = 1 << 16;
	char *out = malloc(cap);

	assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)d;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap - 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	*outlen = z.total_out;
	out[*outlen] = '\0';
	inflateEnd(&z);
	return out;
}

static void
test_gzip_round_trips_and_is_deterministic(void **state)
{
	struct buf a, b;
	struct err err;
	size_t n;
	char *back;

	(void)state;
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	assert_int_equal(report_gzip(json, strlen(json), &a, &err), 0);
	assert_int_equal(report_gzip(json, strlen(json), &b, &err), 0);
	assert_int_equal((unsigned char)a.data[0], 0x1f);
	assert_int_equal((unsigned char)a.data[1], 0x8b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	back = gunzip((unsigned char *)a.data, a.len, &n);
	assert_string_equal(back, json);
	free(back);
	buf_free(&a);
	buf_free(&b);
}

static void
test_gzip_refuses_output_past_the_buffer_maximum(void **state)
{
	struct buf a;
	struct err err;

	(void)state;
	buf_init(&a, 8);
	assert_int_equal(report_gzip(json, strlen(json), &a, &err), -1);
	assert_non_null(strstr(err.msg, "larger than"));
	buf_free(&a);
}

static GMimeMessage *
compose_and_parse(int compressed, struct buf *gz, struct buf *mail)
{
	struct compose_mail m = {
		.from = "tlsrpt@mail.sender.example", .to = "tls@example.com",
		.submitter = "mail.sender.example", .policy_domain = "example.com",
		.report_id = "20261121.example.com.1@mail.sender.example",
		.organization = "Sender Org", .begin = 1795219200, .end = 1795305599,
		.date = 1795306000, .compressed = compressed,
	};
	struct err err;
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *msg;

	buf_init(gz, 1 << 20);
	buf_init(mail, 1 << 20);
	if (compressed)
		assert_int_equal(report_gzip(json, strlen(json), gz, &err), 0);
	else
		assert_int_equal(buf_append_str(gz, json), 0);
	m.body = gz->data;
	m.body_len = gz->len;
	assert_int_equal(compose_report_mail(&m, mail, &err), 0);
	g_mime_init();
	st = g_mime_stream_mem_new_with_buffer(mail->data, mail->len);
	p = g_mime_parser_new_with_stream(st);
	msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	assert_non_null(msg);
	return msg;
}

static const char *
header(GMimeMessage *msg, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(msg), name);
}

static void
test_mail_has_the_rfc8460_headers(void **state)
{
	struct buf gz, mail;
	GMimeMessage *msg = compose_and_parse(1, &gz, &mail);
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n_domain = 0, n_submitter = 0;
	char *subject;

	(void)state;
	for (int i = 0; i < g_mime_header_list_get_count(hl); i++) {
		const char *name = g_mime_header_get_name(g_mime_header_list_get_header_at(hl, i));

		n_domain += g_ascii_strcasecmp(name, "TLS-Report-Domain") == 0;
		n_submitter += g_ascii_strcasecmp(name, "TLS-Report-Submitter") == 0;
	}
	assert_int_equal(n_domain, 1);
	assert_int_equal(n_submitter, 1);
	assert_string_equal(header(msg, "TLS-Report-Domain"), "example.com");
	assert_string_equal(header(msg, "TLS-Report-Submitter"), "mail.sender.example");
	assert_string_equal(header(msg, "TLS-Required"), "No");
	assert_string_equal(header(msg, "Auto-Submitted"), "auto-generated");
	assert_string_equal(header(msg, "MIME-Version"), "1.0");
	assert_non_null(header(msg, "Date"));
	assert_non_null(g_mime_message_get_message_id(msg));
	assert_non_null(strstr(header(msg, "From"), "tlsrpt@mail.sender.example"));
	assert_non_null(strstr(header(msg, "To"), "tls@example.com"));
	/* unfolded Subject: folding happens only at FWS, which the ABNF allows */
	subject = g_mime_utils_header_unfold(header(msg, "Subject"));
	assert_string_equal(subject, "Report Domain: example.com Submitter: mail.sender.example "
				     "Report-ID: <20261121.example.com.1@mail.sender.example>");
	g_free(subject);
	/* every line ends in CRLF */
	for (size_t i = 0; i < mail.len; i++)
		if (mail.data[i] == '\n')
			assert_true(i > 0 && mail.data[i - 1] == '\r');
	g_object_unref(msg);
	buf_free(&gz);
	buf_free(&mail);
}

/* Returns part i of the multipart/report body (borrowed). */
static GMimeObject *
part(GMimeMessage *msg, int i)
{
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	GMimeContentType *ct = g_mime_object_get_content_type(body);

	assert_true(GMIME_IS_MULTIPART(body));
	assert_true(g_mime_content_type_is_type(ct, "multipart", "report"));
	assert_string_equal(g_mime_content_type_get_parameter(ct, "report-type"), "tlsrpt");
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	return g_mime_multipart_get_part(GMIME_MULTIPART(body), i);
}

static void
check_attachment(int compressed)
{
	struct buf gz, mail;
	GMimeMessage *msg = compose_and_parse(compressed, &gz, &mail);
	GMimeObject *text = part(msg, 0), *att = part(msg, 1);
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *ba;
	size_t n;
	char *back;

	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(text), "text",
						"plain"));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(att),
						"application",
						compressed ? "tlsrpt+gzip" : "tlsrpt+json"));
	assert_int_equal(g_mime_part_get_content_encoding(GMIME_PART(att)),
			 GMIME_CONTENT_ENCODING_BASE64);
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(att)),
			    compressed
				    ? "mail.sender.example!example.com!1795219200!1795305599.json.gz"
				    : "mail.sender.example!example.com!1795219200!1795305599.json");
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(att)), out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	assert_int_equal(ba->len, gz.len);
	assert_memory_equal(ba->data, gz.data, gz.len);
	if (compressed) {
		back = gunzip(ba->data, ba->len, &n);
		assert_string_equal(back, json);
		free(back);
	}
	g_object_unref(out);
	g_object_unref(msg);
	buf_free(&gz);
	buf_free(&mail);
}

static void
test_gzip_attachment_decodes_to_the_report(void **state)
{
	(void)state;
	check_attachment(1);
}

static void
test_uncompressed_attachment_is_tlsrpt_json(void **state)
{
	(void)state;
	check_attachment(0);
}

/* RFC 8460 §5.3 writes report-type="tlsrpt" and the filename quoted; some
 * receivers match only that form.  The parsed object model must agree
 * with the text (boundary, report-type, filename). */
static void
test_mail_quotes_report_type_and_filename(void **state)
{
	struct buf gz, mail;
	GMimeMessage *msg = compose_and_parse(1, &gz, &mail);
	GMimeObject *body = g_mime_message_get_mime_part(msg), *att = part(msg, 1);
	const char *boundary = g_mime_multipart_get_boundary(GMIME_MULTIPART(body));
	char *delim;

	(void)state;
	assert_non_null(strstr(mail.data, "\r\nContent-Type: multipart/report; "
					  "report-type=\"tlsrpt\";\r\n"));
	assert_null(strstr(mail.data, "report-type=tlsrpt"));
	assert_non_null(strstr(mail.data, "Content-Disposition: attachment;\r\n\tfilename=\""
					  "mail.sender.example!example.com!1795219200!1795305599"
					  ".json.gz\"\r\n"));
	/* as in RFC 8460 §5.3: the name only in Content-Disposition */
	assert_non_null(strstr(mail.data, "\r\nContent-Type: application/tlsrpt+gzip\r\n"));
	assert_string_equal(g_mime_object_get_disposition(att), "attachment");
	assert_non_null(boundary);
	delim = g_strdup_printf("\r\n--%s--\r\n", boundary);
	assert_non_null(strstr(mail.data, delim));
	g_free(delim);
	g_object_unref(msg);
	buf_free(&gz);
	buf_free(&mail);
}

/* A reused composer keeps the quoted forms and switches the subtype both
 * ways; long domain names stay one quoted-string (no RFC 2231 pieces). */
static void
test_reused_composer_keeps_quoted_name_and_subtype(void **state)
{
	struct composer *c = composer_new();
	char dom[220];
	struct compose_mail m = {
		.from = "a@s.example", .to = "t@one.example", .submitter = "s.example",
		.policy_domain = "one.example", .report_id = "20261121.one.example.1@s.example",
		.begin = 1795219200, .end = 1795305599, .date = 1795306000, .compressed = 0,
		.body = "{}", .body_len = 2,
	};
	struct buf a, b;
	struct err err;

	(void)state;
	memset(dom, 'a', 200);
	strcpy(dom + 200, ".example");
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	assert_int_equal(composer_build(c, &m, &a, &err), 0);
	m.compressed = 1;
	m.policy_domain = dom;
	assert_int_equal(composer_build(c, &m, &b, &err), 0);
	assert_non_null(strstr(a.data, "Content-Type: application/tlsrpt+json\r\n"));
	assert_non_null(strstr(a.data, "filename=\"s.example!one.example!1795219200!1795305599"
				       ".json\"\r\n"));
	assert_non_null(strstr(b.data, "Content-Type: application/tlsrpt+gzip\r\n"));
	assert_non_null(strstr(b.data, "filename=\"s.example!aaaa"));
	assert_non_null(strstr(b.data, "aaaa.example!1795219200!1795305599.json.gz\"\r\n"));
	assert_null(strstr(b.data, "filename*"));
	assert_null(strstr(b.data, "tlsrpt+json"));
	composer_free(&c);
	buf_free(&a);
	buf_free(&b);
}

static void
test_compose_rejects_a_bad_address(void **state)
{
	struct compose_mail m = {
		.from = "not an address <", .to = "tls@example.com",
		.submitter = "s.example", .policy_domain = "example.com", .report_id = "x@s.example",
		.body = "x", .body_len = 1,
	};
	struct buf out;
	struct err err;

	(void)state;
	buf_init(&out, 1 << 20);
	assert_int_equal(compose_report_mail(&m, &out, &err), -1);
	assert_non_null(strstr(err.msg, "not one mail address"));
	buf_free(&out);
}

static void
test_reused_composer_carries_nothing_over(void **state)
{
	struct composer *c = composer_new();
	struct compose_mail m = {
		.from = "a@s.example", .to = "first@one.example", .submitter = "s.example",
		.policy_domain = "one.example", .report_id = "20261121.one.example.1@s.example",
		.begin = 1795219200, .end = 1795305599, .date = 1795306000, .compressed = 1,
		.body = "AAAA", .body_len = 4,
	};
	struct buf a, b;
	struct err err;

	(void)state;
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	assert_int_equal(composer_build(c, &m, &a, &err), 0);
	m.to = "second@two.example";
	m.policy_domain = "two.example";
	m.report_id = "20261121.two.example.1@s.example";
	m.compressed = 0;
	m.body = "{}";
	m.body_len = 2;
	assert_int_equal(composer_build(c, &m, &b, &err), 0);
	assert_non_null(strstr(a.data, "TLS-Report-Domain: one.example\r\n"));
	assert_non_null(strstr(b.data, "TLS-Report-Domain: two.example\r\n"));
	assert_null(strstr(b.data, "one.example"));
	assert_null(strstr(b.data, "first@"));
	assert_null(strstr(b.data, "tlsrpt+gzip"));
	assert_non_null(strstr(b.data, "application/tlsrpt+json"));
	composer_free(&c);
	assert_null(c);
	buf_free(&a);
	buf_free(&b);
}

/* GEN-01/02: a report written by our writer, mailed, taken out of the mail
 * and gunzipped, parses with our parser to the same values. */
static void
test_mailed_report_parses_back_with_our_parser(void **state)
{
	struct report *r = report_new(), *back;
	struct policy *p;
	struct buf gz, mail;
	struct err err;
	struct compose_mail m = {
		.from = "tlsrpt@s.example", .to = "tls@example.com", .submitter = "s.example",
		.policy_domain = "example.com", .report_id = "20261121.example.com.1@s.example",
		.begin = 1795219200, .end = 1795305599, .date = 1795306000, .compressed = 1,
	};
	GMimeStream *st, *out;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *att;
	GByteArray *ba;
	char *text;
	size_t n;

	(void)state;
	r->organization_name = strdup("S Org");
	r->contact_info = strdup("tlsrpt@s.example");
	r->report_id = strdup(m.report_id);
	r->start = m.begin;
	r->end = m.end;
	p = report_add_policy(r);
	p->type = POLICY_TYPE_STS;
	p->policy_type = strdup("sts");
	p->policy_domain = strdup("example.com");
	strlist_add(&p->policy_string, "version: STSv1");
	strlist_add(&p->mx_host, "mx.example.com");
	p->total_successful_session_count = 7;
	p->total_failure_session_count = 2;
	text = report_write_json(r, 0);
	buf_init(&gz, 1 << 20);
	buf_init(&mail, 1 << 20);
	assert_int_equal(report_gzip(text, strlen(text), &gz, &err), 0);
	m.body = gz.data;
	m.body_len = gz.len;
	assert_int_equal(compose_report_mail(&m, &mail, &err), 0);
	g_mime_init();
	st = g_mime_stream_mem_new_with_buffer(mail.data, mail.len);
	parser = g_mime_parser_new_with_stream(st);
	msg = g_mime_parser_construct_message(parser, NULL);
	att = g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(msg)), 1);
	out = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(att)), out);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	free(text);
	text = gunzip(ba->data, ba->len, &n);
	back = report_parse_json(text, n, &err);
	assert_non_null(back);
	assert_int_equal(back->quirks.n, 0);
	assert_string_equal(back->report_id, m.report_id);
	assert_string_equal(back->start_datetime, "2026-11-21T00:00:00Z");
	assert_string_equal(back->end_datetime, "2026-11-21T23:59:59Z");
	assert_int_equal(back->n_policies, 1);
	assert_string_equal(back->policies[0].policy_domain, "example.com");
	assert_int_equal(back->policies[0].total_successful_session_count, 7);
	assert_int_equal(back->policies[0].total_failure_session_count, 2);
	assert_true(back->policies[0].has_failure_details);
	assert_int_equal(back->policies[0].n_failure_details, 0);
	report_free(back);
	report_free(r);
	free(text);
	g_object_unref(out);
	g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(st);
	buf_free(&gz);
	buf_free(&mail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_round_trips_and_is_deterministic),
		cmocka_unit_test(test_gzip_refuses_output_past_the_buffer_maximum),
		cmocka_unit_test(test_mail_has_the_rfc8460_headers),
		cmocka_unit_test(test_gzip_attachment_decodes_to_the_report),
		cmocka_unit_test(test_uncompressed_attachment_is_tlsrpt_json),
		cmocka_unit_test(test_mail_quotes_report_type_and_filename),
		cmocka_unit_test(test_reused_composer_keeps_quoted_name_and_subtype),
		cmocka_unit_test(test_compose_rejects_a_bad_address),
		cmocka_unit_test(test_reused_composer_carries_nothing_over),
		cmocka_unit_test(test_mailed_report_parses_back_with_our_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
