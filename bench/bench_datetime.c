/*
 * bench_datetime: the cost of datetime_parse() (model/datetime.c, glib's
 * ISO 8601 parser behind a shape check) beside its anchor, the parse of a
 * whole report: every JSON report of tests/corpus (MANIFEST rows with
 * container "json") parsed round-robin.  A report holds two date-times, so
 * the line "share" is 2 x datetime_parse / report_parse_json.  CPU time
 * of this process (CLOCK_PROCESS_CPUTIME_ID), BENCH_SECONDS (default 2)
 * per figure.  Source tree root: $TLSRPT_SRC or ".".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/datetime.h"
#include "model/report_json.h"
#include "../tests/corpus_load.h"

#define MAX_FILES 256

/* The forms real reports use (datetime.h): Z, offsets, no zone, fraction. */
static const char *const forms[] = {
	"2024-03-26T00:00:00Z", "2024-03-26T23:59:59Z", "2024-03-26T00:00:00+00:00",
	"2024-03-26T02:00:00+02:00", "2024-03-26T00:00:00", "2024-03-26T00:00:00.123Z",
	"2024-03-26", "2024-03-26 00:00:00Z",
};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct loaded {
	char **data;
	size_t *len;
	size_t n;
};

/* Keeps the json rows of MANIFEST.tsv that parse. */
static int
keep_json(void *arg, char *col[CORPUS_COLS], const char *path)
{
	struct loaded *l = arg;
	struct report *r;

	if (l->n == MAX_FILES)
		return -1;
	if (col[CORPUS_COL_CONTAINER] == NULL || strcmp(col[CORPUS_COL_CONTAINER], "json") != 0)
		return 0;
	if ((l->data[l->n] = corpus_slurp(path, &l->len[l->n])) == NULL)
		return 0;
	if ((r = report_parse_json(l->data[l->n], l->len[l->n], NULL)) == NULL) {
		free(l->data[l->n]);
		return 0;
	}
	report_free(r);
	l->n++;
	return 1;
}

/* Loads the json rows of MANIFEST.tsv that parse; returns their count. */
static size_t
load(const char *src, char **data, size_t *len)
{
	struct loaded l = { data, len, 0 };

	corpus_manifest_foreach(src, keep_json, &l);
	return l.n;
}

int
main(void)
{
	const char *src = getenv("TLSRPT_SRC") != NULL ? getenv("TLSRPT_SRC") : ".";
	double secs = getenv("BENCH_SECONDS") != NULL ? atof(getenv("BENCH_SECONDS")) : 2.0;
	static char *data[MAX_FILES];
	static size_t len[MAX_FILES];
	size_t n = load(src, data, len), count = 0, nf = sizeof(forms) / sizeof(forms[0]);
	double t0, t, dt_ns, report_us;
	int64_t sink = 0, v;

	if (n == 0) {
		fprintf(stderr, "bench_datetime: no JSON reports under %s/tests/corpus\n", src);
		return 1;
	}
	t0 = cpu_now();
	do {
		for (size_t i = 0; i < nf; i++)
			if (datetime_parse(forms[i], &v, NULL, NULL) == 0)
				sink += v;
		count += nf;
	} while ((t = cpu_now() - t0) < secs);
	dt_ns = t / (double)count * 1e9;
	count = 0;
	t0 = cpu_now();
	do {
		for (size_t i = 0; i < n; i++)
			report_free(report_parse_json(data[i], len[i], NULL));
		count += n;
	} while ((t = cpu_now() - t0) < secs);
	report_us = t / (double)count * 1e6;
	printf("datetime_parse: %.0f ns/call (CPU; %zu forms; checksum %lld)\n", dt_ns, nf,
	       (long long)(sink & 0xffff));
	printf("anchor report_parse_json: %.1f us/report (CPU; %zu corpus reports)\n",
	       report_us, n);
	printf("share: 2 date-times per report = %.2f us = %.1f%% of a report parse\n",
	       2 * dt_ns / 1e3, 100.0 * 2 * dt_ns / 1e3 / report_us);
	for (size_t i = 0; i < n; i++)
		free(data[i]);
	return 0;
}
