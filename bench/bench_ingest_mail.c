/*
 * bench_ingest_mail: report mails unwrapped per second (gmime parse,
 * base64, gunzip; the JSON is not parsed).  Cycles over the corpus .eml
 * files that hold a report for about two seconds and prints
 * "ingest_mail: N messages/s".  Usage: bench_ingest_mail [corpus-dir]
 * (default $TLSRPT_SRC/tests/corpus, else tests/corpus).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/ingest.h"

#define BENCH_MAX_FILES 64

static const char *const files[] = {
	"kravietz+tlsrpt-rs/google1.eml",
	"kravietz+tlsrpt-rs/google2.eml",
	"kravietz+tlsrpt-rs/mail.ru.eml",
	"kravietz+tlsrpt-rs/microsoft1.eml",
	"mjl-+mox/example.eml",
	"mjl-+mox/microsoft.eml",
	"isseis+tlsrpt-digest/tlsrpt_success_google_1.eml",
	"isseis+tlsrpt-digest/tlsrpt_success_microsoft.eml",
	"domainaware+parsedmarc/google.com_smtp_tls_report.eml",
	"stalwartlabs+mail-auth/rpt01.eml",
};

static int
count(void *ctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	size_t *bytes = ctx;

	(void)json;
	(void)meta;
	*bytes += len;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	const char *src = getenv("TLSRPT_SRC");
	char def[1024];
	const char *dir = argv[1];
	char *data[BENCH_MAX_FILES];
	size_t len[BENCH_MAX_FILES], bytes = 0;
	size_t nfiles = sizeof(files) / sizeof(files[0]);
	unsigned long messages = 0;
	double start, elapsed;

	if (argc < 2) {
		int n = snprintf(def, sizeof(def), "%s/tests/corpus", src ? src : ".");

		if (n < 0 || (size_t)n >= sizeof(def))
			return 1;
		dir = def;
	}

	for (size_t i = 0; i < nfiles; i++) {
		char path[2048];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "rb");
		if (f == NULL) {
			fprintf(stderr, "bench_ingest_mail: cannot open %s\n", path);
			return 1;
		}
		data[i] = malloc(1 << 20);
		len[i] = fread(data[i], 1, 1 << 20, f);
		fclose(f);
	}
	start = now();
	do {
		for (size_t i = 0; i < nfiles; i++) {
			struct err err;

			if (ingest_extract(data[i], len[i], NULL, count, &bytes, &err) != 1) {
				fprintf(stderr, "bench_ingest_mail: %s: %s\n", files[i], err.msg);
				return 1;
			}
			messages++;
		}
		elapsed = now() - start;
	} while (elapsed < 2.0);
	printf("ingest_mail: %.0f messages/s\n", (double)messages / elapsed);
	for (size_t i = 0; i < nfiles; i++)
		free(data[i]);
	return 0;
}
