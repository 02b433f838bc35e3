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
load(const char *src, char **data, size_t *len)
{
	char path[8192 + 4096], line[8192];
	size_t n = 0;
	FILE *m;

	snprintf(path, sizeof(path), "%s/tests/corpus/MANIFEST.tsv", src);
	if ((m = fopen(path, "r")) == NULL)
		return 0;
	while (n < MAX_FILES && fgets(line, sizeof(line), m) != NULL) {
		char *tab = strchr(line, '\t'), *col = line;
		struct report *r;

		for (int k = 0; k < 5 && col != NULL; k++)
			col = strchr(col + 1, '\t');
		if (tab == NULL || col == NULL || strncmp(col + 1, "json\t", 5) != 0)
			continue;
		*tab = '\0';
		snprintf(path, sizeof(path), "%s/tests/corpus/%s", src, line);
		if ((data[n] = slurp(path, &len[n])) == NULL)
			continue;
		if ((r = report_parse_json(data[n], len[n], NULL)) == NULL) {
			free(data[n]);
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
