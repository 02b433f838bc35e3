/*
 * bench_parse_json: report JSON parse throughput.  Loads every JSON report
 * of tests/corpus (the MANIFEST rows with container "json") into memory,
 * then parses them round-robin for BENCH_SECONDS (default 3) and prints
 *   parse_json: N reports/s, X MB/s
 * plus the same for report_write_json().  Source tree root: $TLSRPT_SRC
 * or ".".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report_json.h"

#define MAX_FILES 256

struct input {
	char *data;
	size_t len;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL)
			*len = fread(data, 1, (size_t)n, f);
	}
	fclose(f);
	return data;
}

/* Loads the json rows of MANIFEST.tsv that parse; returns their count. */
static size_t
load(const char *src, struct input *in)
{
	char path[8192 + 4096], line[8192];
	size_t n = 0;
	FILE *m;

	snprintf(path, sizeof(path), "%s/tests/corpus/MANIFEST.tsv", src);
	if ((m = fopen(path, "r")) == NULL)
		return 0;
	while (n < MAX_FILES && fgets(line, sizeof(line), m) != NULL) {
		char *file = line, *tab = strchr(line, '\t'), *col = line;
		struct report *r;

		for (int k = 0; k < 5 && col != NULL; k++)
			col = strchr(col + 1, '\t');
		if (tab == NULL || col == NULL || strncmp(col + 1, "json\t", 5) != 0)
			continue;
		*tab = '\0';
		snprintf(path, sizeof(path), "%s/tests/corpus/%s", src, file);
		if ((in[n].data = slurp(path, &in[n].len)) == NULL)
			continue;
		r = report_parse_json(in[n].data, in[n].len, NULL);
		if (r == NULL) {
			free(in[n].data);
			continue;
		}
		report_free(r);
		n++;
	}
	fclose(m);
	return n;
}

int
main(void)
{
	const char *src = getenv("TLSRPT_SRC") != NULL ? getenv("TLSRPT_SRC") : ".";
	double secs = getenv("BENCH_SECONDS") != NULL ? atof(getenv("BENCH_SECONDS")) : 3.0;
	static struct input in[MAX_FILES];
	size_t n = load(src, in), count = 0, bytes = 0;
	struct report *reports[MAX_FILES];
	double t0, t;

	if (n == 0) {
		fprintf(stderr, "bench_parse_json: no JSON reports under %s/tests/corpus\n", src);
		return 1;
	}
	t0 = now();
	do {
		for (size_t i = 0; i < n; i++) {
			report_free(report_parse_json(in[i].data, in[i].len, NULL));
			bytes += in[i].len;
		}
		count += n;
	} while ((t = now() - t0) < secs);
	printf("parse_json: %.0f reports/s, %.1f MB/s (%zu files, %.1f s)\n", count / t,
	       bytes / t / 1e6, n, t);

	for (size_t i = 0; i < n; i++)
		reports[i] = report_parse_json(in[i].data, in[i].len, NULL);
	count = bytes = 0;
	t0 = now();
	do {
		for (size_t i = 0; i < n; i++) {
			char *out = report_write_json(reports[i], 0);

			bytes += strlen(out);
			free(out);
		}
		count += n;
	} while ((t = now() - t0) < secs);
	printf("write_json: %.0f reports/s, %.1f MB/s\n", count / t, bytes / t / 1e6);
	for (size_t i = 0; i < n; i++) {
		report_free(reports[i]);
		free(in[i].data);
	}
	return 0;
}
