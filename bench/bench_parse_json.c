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
#include "../tests/corpus_load.h"

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

struct loaded {
	struct input *in;
	size_t n;
};

/* Keeps the json rows of MANIFEST.tsv that parse. */
static int
keep_json(void *arg, char *col[CORPUS_COLS], const char *path)
{
	struct loaded *l = arg;
	struct input *in = &l->in[l->n];
	struct report *r;

	if (l->n == MAX_FILES)
		return -1;
	if (col[CORPUS_COL_CONTAINER] == NULL || strcmp(col[CORPUS_COL_CONTAINER], "json") != 0)
		return 0;
	if ((in->data = corpus_slurp(path, &in->len)) == NULL)
		return 0;
	if ((r = report_parse_json(in->data, in->len, NULL)) == NULL) {
		free(in->data);
		return 0;
	}
	report_free(r);
	l->n++;
	return 1;
}

/* Loads the json rows of MANIFEST.tsv that parse; returns their count. */
static size_t
load(const char *src, struct input *in)
{
	struct loaded l = { in, 0 };

	corpus_manifest_foreach(src, keep_json, &l);
	return l.n;
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
