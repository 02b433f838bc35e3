/*
 * Unit tests for ingest/ingest: every file of the real-report corpus
 * (tests/corpus/MANIFEST.tsv) yields its report, the negative one is refused
 * with a clear message, and the limits (input size, decompression, nesting)
 * end in errors rather than memory or stack use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <zlib.h>

#include "ingest/ingest.h"

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
	char path[1024], line[4096];
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_every_corpus_file_yields_its_report),
		cmocka_unit_test(test_ingest_reports_container_chain_and_mail_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
