/* Unit tests for ingest/mime: part selection, headers, limits (gmime). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/mime.h"

static const struct {
	const char *type, *filename;
	int want;
} candidate_cases[] = {
	{ "application/tlsrpt+gzip", NULL, 1 },
	{ "Application/TLSRPT+JSON", NULL, 1 },
	{ "application/tlsrpt", NULL, 1 },
	{ "application/tlsrpt+x-gzip", NULL, 1 },
	{ "application/gzip", NULL, 1 },
	{ "application/json", NULL, 1 },
	{ "application/zip", NULL, 1 },
	{ "application/octet-stream", "google.com!x!1!2!001.json.gz", 1 },
	{ "application/octet-stream", "report.ZIP", 1 },
	{ "application/octet-stream", "report.json", 1 },
	{ "application/octet-stream", "image.png", 0 },
	{ "application/octet-stream", NULL, 0 },
	{ "text/plain", NULL, 0 },
	{ "text/html", NULL, 0 },
	{ NULL, NULL, 0 },
};

static void
test_mime_part_is_candidate_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(candidate_cases) / sizeof(candidate_cases[0]); i++)
		if (mime_part_is_candidate(candidate_cases[i].type,
					   candidate_cases[i].filename) != candidate_cases[i].want)
			fail_msg("%s %s: want %d", candidate_cases[i].type,
				 candidate_cases[i].filename, candidate_cases[i].want);
}

struct parts {
	int n;
	char types[4][64];
	char bodies[4][128];
};

static int
collect(void *ctx, const struct mime_part *p, struct err *err)
{
	struct parts *s = ctx;

	(void)err;
	if (s->n < 4) {
		snprintf(s->types[s->n], sizeof(s->types[0]), "%s", p->content_type);
		snprintf(s->bodies[s->n], sizeof(s->bodies[0]), "%.*s", (int)p->len,
			 (const char *)p->data);
	}
	s->n++;
	return 0;
}

static const char multipart_mail[] =
	"From \"Reporter\" <r@example.org> Mon Jan  1 00:00:00 2024\n"
	"From: Reporter <r@example.org>\n"
	"Subject: =?UTF-8?Q?Report_Domain:_example.net?=\n"
	"\t  Submitter: example.org\n"
	"Message-ID: <abc@example.org>\n"
	"TLS-Report-Domain: example.net\n"
	"TLS-Report-Submitter: example.org\n"
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; b=xx\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\n"
	"\n"
	"--B\n"
	"Content-Type: text/plain\n"
	"\n"
	"human text\n"
	"--B\n"
	"Content-Type: application/tlsrpt+json\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"{\"report-id\"=3A\"1\"}\n"
	"--B\n"
	"Content-Type: application/tlsrpt+gzip\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"aGVsbG8=\n"
	"--B--\n";

static void
test_mime_walk_decodes_candidate_parts_and_headers(void **state)
{
	struct mime_info info;
	struct parts s = { 0 };
	struct err err = { "" };

	(void)state;
	assert_int_equal(mime_walk(multipart_mail, strlen(multipart_mail), 64, &info,
				   collect, &s, &err), 2);
	assert_string_equal(s.types[0], "application/tlsrpt+json");
	assert_string_equal(s.bodies[0], "{\"report-id\":\"1\"}");
	assert_string_equal(s.types[1], "application/tlsrpt+gzip");
	assert_string_equal(s.bodies[1], "hello");
	assert_string_equal(info.subject, "Report Domain: example.net Submitter: example.org");
	assert_string_equal(info.message_id, "abc@example.org");
	assert_non_null(strstr(info.from, "r@example.org"));
	assert_string_equal(info.tls_report_domain, "example.net");
	assert_string_equal(info.tls_report_submitter, "example.org");
	assert_int_equal(info.has_dkim_signature, 1);
	assert_int_equal(info.part_count, 4);
	mime_info_cleanup(&info);
}

static void
test_mime_walk_refuses_more_parts_than_limit(void **state)
{
	struct mime_info info;
	struct parts s = { 0 };
	struct err err = { "" };

	(void)state;
	assert_int_equal(mime_walk(multipart_mail, strlen(multipart_mail), 3, &info,
				   collect, &s, &err), -1);
	assert_string_equal(err.msg, "mail has more than 3 MIME parts");
	mime_info_cleanup(&info);
}

static void
test_mime_walk_gives_embedded_message_whole(void **state)
{
	static const char fwd[] =
		"From: forwarder@example.org\n"
		"Subject: Fwd: report\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/mixed; boundary=\"F\"\n"
		"\n"
		"--F\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: r@example.org\n"
		"Subject: inner\n"
		"Content-Type: application/tlsrpt+json\n"
		"\n"
		"{}\n"
		"--F--\n";
	struct mime_info info;
	struct parts s = { 0 };
	struct err err = { "" };

	(void)state;
	assert_int_equal(mime_walk(fwd, strlen(fwd), 64, &info, collect, &s, &err), 1);
	assert_string_equal(s.types[0], "message/rfc822");
	assert_non_null(strstr(s.bodies[0], "Subject: inner"));
	assert_string_equal(info.subject, "Fwd: report");
	mime_info_cleanup(&info);
}

static void
test_mime_walk_finds_nothing_in_plain_mail(void **state)
{
	static const char plain[] = "From: a@b\nSubject: hi\n\nhello\n";
	struct mime_info info;
	struct parts s = { 0 };
	struct err err = { "" };

	(void)state;
	assert_int_equal(mime_walk(plain, strlen(plain), 64, &info, collect, &s, &err), 0);
	assert_int_equal(info.part_count, 1);
	assert_int_equal(info.has_dkim_signature, 0);
	assert_null(info.tls_report_domain);
	mime_info_cleanup(&info);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_part_is_candidate_table),
		cmocka_unit_test(test_mime_walk_decodes_candidate_parts_and_headers),
		cmocka_unit_test(test_mime_walk_refuses_more_parts_than_limit),
		cmocka_unit_test(test_mime_walk_gives_embedded_message_whole),
		cmocka_unit_test(test_mime_walk_finds_nothing_in_plain_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
