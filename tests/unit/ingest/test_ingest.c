/*
 * Unit tests for ingest/ingest: every file of the real-report corpus
 * (tests/corpus/MANIFEST.tsv) yields its report, the negative one is refused
 * with a clear message, and the limits (input size, decompression, nesting)
 * end in errors rather than memory or stack use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <jansson.h>
#include <zlib.h>

#include "ingest/ingest.h"
#include "unit/ingest/testdata.h"

struct seen {
	int docs;
	int objects_with_report_id;
	char container[64];
	char filename[256];
	char domain[128];
	int stop_after;
};

static int
count_doc(void *ctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	struct seen *s = ctx;
	json_t *j = json_loadb(json, len, 0, NULL);

	s->docs++;
	if (j != NULL && json_is_object(j) && json_object_get(j, "report-id") != NULL)
		s->objects_with_report_id++;
	json_decref(j);
	snprintf(s->container, sizeof(s->container), "%s", meta->container);
	snprintf(s->filename, sizeof(s->filename), "%s",
		 meta->filename ? meta->filename : "");
	snprintf(s->domain, sizeof(s->domain), "%s",
		 meta->tls_report_domain ? meta->tls_report_domain : "");
	return s->stop_after != 0 && s->docs >= s->stop_after;
}

static char *
read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL && fread(data, 1, (size_t)n, f) != (size_t)n) {
			free(data);
			data = NULL;
		}
		*len_out = (size_t)n;
	}
	fclose(f);
	return data;
}

static const char *
src_dir(void)
{
	const char *s = getenv("TLSRPT_SRC");

	return s != NULL ? s : ".";
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
test_ingest_every_corpus_file_yields_its_report(void **state)
{
	char path[8192], line[4096];
	FILE *manifest;
	int files = 0, negatives = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/corpus/MANIFEST.tsv", src_dir());
	manifest = fopen(path, "r");
	assert_non_null(manifest);
	assert_non_null(fgets(line, sizeof(line), manifest)); /* header */
	while (fgets(line, sizeof(line), manifest) != NULL) {
		char *tab = strchr(line, '\t');
		struct seen s = { 0 };
		struct err err = { "" };
		size_t len = 0;
		char *data;
		int n, negative;

		if (tab == NULL)
			continue;
		*tab = '\0';
		if (!ends_with(line, ".eml") && !ends_with(line, ".json") &&
		    !ends_with(line, ".gz") && !ends_with(line, ".b64"))
			continue;
		negative = strstr(tab + 1, "\tnegative\t") != NULL;
		snprintf(path, sizeof(path), "%s/tests/corpus/%s", src_dir(), line);
		data = read_file(path, &len);
		if (data == NULL)
			fail_msg("cannot read %s", path);
		n = ingest_extract(data, len, NULL, count_doc, &s, &err);
		free(data);
		files++;
		if (negative) {
			negatives++;
			if (n != 0 || strstr(err.msg, "no TLSRPT report found in message") == NULL)
				fail_msg("%s: negative sample gave %d (%s)", line, n, err.msg);
			continue;
		}
		if (n != 1 || s.docs != 1 || s.objects_with_report_id != 1)
			fail_msg("%s: got %d documents (%d with report-id): %s", line, n,
				 s.objects_with_report_id, err.msg);
	}
	fclose(manifest);
	assert_true(files >= 60);
	assert_int_equal(negatives, 1);
}

/* (file, expected container chain, expected filename or "", domain or "") */
static const struct {
	const char *file, *container, *filename, *domain;
} meta_cases[] = {
	{ "kravietz+tlsrpt-rs/google1.eml", "mail/gzip", NULL, NULL },
	{ "marcbradshaw+mail-tls-rpt/report.json.gz.b64", "base64/gzip", "", "" },
	{ "Neztore+tls-rpt-monitor/microsoft-report.json.gz", "gzip", "", "" },
	{ "kravietz+tlsrpt-rs/rfc8460.json", "json", "", "" },
	{ "mjl-+mox/inline/tlsrpt__report_test.go__tlsrptMessage.eml", "mail",
	  "mail.sender.example!example.com!1013662812!1013749130.json.gz", "example.net" },
	{ "mjl-+mox/inline/tlsrpt__report_test.go__tlsrptMessage2.eml", "mail",
	  "mail.sender.example!example.com!1013662812!1013749130.json.gz", "example.net" },
	{ "stalwartlabs+mail-auth/rpt01.eml", "mail/gzip", NULL, NULL },
};

static void
test_ingest_reports_container_chain_and_mail_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(meta_cases) / sizeof(meta_cases[0]); i++) {
		struct seen s = { 0 };
		struct err err = { "" };
		char path[1024];
		size_t len = 0;
		char *data;

		snprintf(path, sizeof(path), "%s/tests/corpus/%s", src_dir(),
			 meta_cases[i].file);
		data = read_file(path, &len);
		assert_non_null(data);
		assert_int_equal(ingest_extract(data, len, NULL, count_doc, &s, &err), 1);
		free(data);
		assert_string_equal(s.container, meta_cases[i].container);
		if (meta_cases[i].filename != NULL)
			assert_string_equal(s.filename, meta_cases[i].filename);
		if (meta_cases[i].domain != NULL)
			assert_string_equal(s.domain, meta_cases[i].domain);
	}
}

static const char report_json[] =
	"{\"organization-name\":\"Example\",\"report-id\":\"r1\",\"policies\":[]}";

static int
extract(const void *data, size_t len, const struct ingest_limits *lim,
	struct seen *s, struct err *err)
{
	memset(s, 0, sizeof(*s));
	return ingest_extract(data, len, lim, count_doc, s, err);
}

static void
test_ingest_refuses_gzip_bomb_with_clear_error(void **state)
{
	struct ingest_limits lim;
	size_t zlen = 1024 * 1024, gzlen;
	char *zeros = calloc(1, zlen);
	unsigned char *gz = testdata_gzip(zeros, zlen, &gzlen);
	struct seen s;
	struct err err = { "" };

	(void)state;
	ingest_limits_default(&lim);
	lim.max_decompressed = 256 * 1024;
	assert_int_equal(extract(gz, gzlen, &lim, &s, &err), -1);
	assert_string_equal(err.msg,
		"gzip member expands beyond 256 KiB limit (decompression bomb?)");
	assert_int_equal(s.docs, 0);
	free(gz);
	free(zeros);
}

static void
test_ingest_refuses_gzip_nested_past_depth(void **state)
{
	struct ingest_limits lim;
	unsigned char *cur = (unsigned char *)strdup(report_json);
	size_t len = strlen(report_json);
	unsigned levels;

	(void)state;
	ingest_limits_default(&lim);
	for (levels = 1; levels <= lim.max_depth + 1; levels++) {
		size_t nlen;
		unsigned char *next = testdata_gzip(cur, len, &nlen);
		struct seen s;
		struct err err = { "" };
		int n;

		free(cur);
		cur = next;
		len = nlen;
		n = extract(cur, len, &lim, &s, &err);
		if (levels <= lim.max_depth) {
			assert_int_equal(n, 1);
		} else {
			assert_int_equal(n, -1);
			assert_non_null(strstr(err.msg, "containers nested deeper than 4 levels"));
		}
	}
	free(cur);
}

static void
test_ingest_refuses_truncated_gzip(void **state)
{
	size_t gzlen;
	unsigned char *gz = testdata_gzip(report_json, strlen(report_json), &gzlen);
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(gz, gzlen - 9, NULL, &s, &err), -1);
	assert_non_null(strstr(err.msg, "gzip data is truncated"));
	free(gz);
}

static void
test_ingest_reads_json_entry_of_zip(void **state)
{
	size_t gzlen, ziplen;
	unsigned char *gz = testdata_gzip(report_json, strlen(report_json), &gzlen);
	const char *names[] = { "README.txt", "report.json" };
	const char *bodies[] = { "not a report", report_json };
	unsigned char *zip = testdata_zip(names, bodies, 2, &ziplen);
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(zip, ziplen, NULL, &s, &err), 1);
	assert_int_equal(s.objects_with_report_id, 1);
	assert_string_equal(s.container, "zip");
	assert_string_equal(s.filename, "report.json");
	free(zip);
	free(gz);
}

static void
test_ingest_zip_without_report_gives_none(void **state)
{
	size_t ziplen;
	const char *names[] = { "README.txt" };
	const char *bodies[] = { "not a report" };
	unsigned char *zip = testdata_zip(names, bodies, 1, &ziplen);
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(zip, ziplen, NULL, &s, &err), 0);
	assert_non_null(strstr(err.msg, "no TLSRPT report found"));
	free(zip);
}

static void
test_ingest_refuses_input_over_limit(void **state)
{
	struct ingest_limits lim;
	struct seen s;
	struct err err = { "" };

	(void)state;
	ingest_limits_default(&lim);
	lim.max_input = 10;
	assert_int_equal(extract(report_json, strlen(report_json), &lim, &s, &err), -1);
	assert_non_null(strstr(err.msg, "over the 10 bytes limit"));
}

static void
test_ingest_unknown_bytes_give_none_with_reason(void **state)
{
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract("hello world", 11, NULL, &s, &err), 0);
	assert_string_equal(err.msg, "no TLSRPT report found: the input is not JSON, "
			    "gzip, zip, base64 or a mail message (starts with \"hello world\")");
	assert_int_equal(extract("", 0, NULL, &s, &err), 0);
}

static const char two_part_mail[] =
	"From: r@example.org\n"
	"Subject: two\n"
	"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\n"
	"\n"
	"--B\n"
	"Content-Type: application/tlsrpt+json\n"
	"\n"
	"{\"report-id\":\"1\"}\n"
	"--B\n"
	"Content-Type: application/tlsrpt+json\n"
	"Content-Disposition: attachment; filename=\"b.json\"\n"
	"\n"
	"{\"report-id\":\"2\"}\n"
	"--B--\n";

static void
test_ingest_finds_every_report_part_and_callback_may_stop(void **state)
{
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(two_part_mail, strlen(two_part_mail), NULL, &s, &err), 2);
	assert_int_equal(s.objects_with_report_id, 2);
	assert_string_equal(s.filename, "b.json");
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(ingest_extract(two_part_mail, strlen(two_part_mail), NULL,
					count_doc, &s, &err), 1);
	assert_int_equal(s.docs, 1);
}

static void
test_ingest_refuses_report_part_that_is_not_a_report(void **state)
{
	static const char bad[] =
		"From: r@example.org\n"
		"Content-Type: multipart/report; boundary=\"B\"\n"
		"\n"
		"--B\n"
		"Content-Type: application/tlsrpt+gzip\n"
		"Content-Disposition: attachment; filename=\"x.json.gz\"\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		"aGVsbG8gd29ybGQ=\n"
		"--B--\n";
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(bad, strlen(bad), NULL, &s, &err), -1);
	assert_string_equal(err.msg, "MIME part 2 (application/tlsrpt+gzip, \"x.json.gz\"): "
			    "content is not JSON, gzip or zip (starts with \"hello world\")");
}

static void
test_ingest_reads_gzip_in_part_labelled_json(void **state)
{
	/* RFC 8460 §5.3's example labels the part +json but names it .json.gz:
	 * the content decides. */
	size_t gzlen;
	unsigned char *gz = testdata_gzip(report_json, strlen(report_json), &gzlen);
	gchar *b64 = g_base64_encode(gz, gzlen);
	char *mail = g_strdup_printf(
		"From: r@example.org\n"
		"Subject: Report Domain: example.net\n"
		"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\n"
		"\n"
		"--B\n"
		"Content-Type: application/tlsrpt+json\n"
		"Content-Transfer-Encoding: base64\n"
		"Content-Disposition: attachment; filename=\"r.json.gz\"\n"
		"\n"
		"%s\n"
		"--B--\n", b64);
	struct seen s;
	struct err err = { "" };

	(void)state;
	assert_int_equal(extract(mail, strlen(mail), NULL, &s, &err), 1);
	assert_string_equal(s.container, "mail/gzip");
	assert_string_equal(s.filename, "r.json.gz");
	assert_int_equal(s.objects_with_report_id, 1);
	g_free(mail);
	g_free(b64);
	free(gz);
}

static void
test_ingest_survives_every_prefix_of_a_mail(void **state)
{
	char path[1024];
	size_t len = 0;
	char *data;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/corpus/kravietz+tlsrpt-rs/google1.eml",
		 src_dir());
	data = read_file(path, &len);
	assert_non_null(data);
	for (size_t cut = 0; cut <= len; cut++) {
		struct seen s;
		struct err err = { "" };
		int n = extract(data, cut, NULL, &s, &err);

		assert_true(n >= -1 && n <= 1);
		assert_int_equal(n < 0 ? 0 : n, s.docs);
		if (n == 0 || n == -1)
			assert_true(err.msg[0] != '\0');
	}
	/* The whole message still works. */
	{
		struct seen s;
		struct err err = { "" };

		assert_int_equal(extract(data, len, NULL, &s, &err), 1);
	}
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_every_corpus_file_yields_its_report),
		cmocka_unit_test(test_ingest_reports_container_chain_and_mail_headers),
		cmocka_unit_test(test_ingest_refuses_gzip_bomb_with_clear_error),
		cmocka_unit_test(test_ingest_refuses_gzip_nested_past_depth),
		cmocka_unit_test(test_ingest_refuses_truncated_gzip),
		cmocka_unit_test(test_ingest_reads_json_entry_of_zip),
		cmocka_unit_test(test_ingest_zip_without_report_gives_none),
		cmocka_unit_test(test_ingest_refuses_input_over_limit),
		cmocka_unit_test(test_ingest_unknown_bytes_give_none_with_reason),
		cmocka_unit_test(test_ingest_finds_every_report_part_and_callback_may_stop),
		cmocka_unit_test(test_ingest_refuses_report_part_that_is_not_a_report),
		cmocka_unit_test(test_ingest_reads_gzip_in_part_labelled_json),
		cmocka_unit_test(test_ingest_survives_every_prefix_of_a_mail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
