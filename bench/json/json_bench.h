/*
 * json_bench.h: the harness the JSON library benchmarks share (one
 * program per library: json_jansson.c, json_jsonc.c, json_yajl.c, built
 * and run by bench/bench_json_libs.sh).  Each program defines
 *   int lib_parse(const char *s, size_t len)  parse into the library's
 *       tree, visit every value once (as our decoders do), free; returns
 *       the number of values or -1;
 *   int lib_exact_int(const char *s, long long want)  1 if the integer
 *       document s reads back exactly as want;
 *   int lib_rejects_duplicates(void)  1 if '{"a":1,"a":2}' is refused
 *       or reported;
 *   const char *lib_name(void).
 * Inputs: the sys4-format datagram (as bench_collectd sends it) and a
 * full RFC 8460 report (argv[1]).  Printed: CPU µs per parse of each.
 */
#ifndef TLSRPT_BENCH_JSON_BENCH_H
#define TLSRPT_BENCH_JSON_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int lib_parse(const char *s, size_t len);
int lib_exact_int(const char *s, long long want);
int lib_rejects_duplicates(void);
const char *lib_name(void);

static const char bench_datagram[] =
	"{\"dpv\": \"1\",\"d\": \"d4711.example\",\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.net\","
	"\"policies\":[{\"policy-type\":2,\"policy-domain\": \"d4711.example\",\"policy-string\":"
	"[\"version: STSv1\",\"mode: enforce\",\"mx: mx1.example.net\",\"max_age: 604800\"],"
	"\"mx-host\":[\"mx1.example.net\"],\"t\":0,\"f\":0}]}";

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
time_parse(const char *s, size_t len, long n)
{
	double t0 = cpu_now();

	for (long i = 0; i < n; i++)
		if (lib_parse(s, len) < 0) {
			fprintf(stderr, "%s: parse failed\n", lib_name());
			exit(1);
		}
	return (cpu_now() - t0) * 1e6 / (double)n;
}

int
main(int argc, char **argv)
{
	long n = getenv("BENCH_JSON_N") ? atol(getenv("BENCH_JSON_N")) : 200000;
	char *report = NULL;
	size_t rlen = 0;
	double dg, rep = -1;

	if (argc > 1) {
		FILE *f = fopen(argv[1], "rb");

		if (f == NULL) {
			perror(argv[1]);
			return 1;
		}
		report = malloc(1 << 20);
		rlen = fread(report, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	lib_parse(bench_datagram, sizeof(bench_datagram) - 1);    /* warm up */
	dg = time_parse(bench_datagram, sizeof(bench_datagram) - 1, n);
	if (report != NULL)
		rep = time_parse(report, rlen, n / 10 > 0 ? n / 10 : 1);
	printf("%-8s datagram (%zu B) %6.2f µs | report (%zu B) %7.2f µs | 2^53+1 exact: %s | "
	       "2^63-1 exact: %s | duplicate keys refused: %s\n", lib_name(),
	       sizeof(bench_datagram) - 1, dg, rlen, rep,
	       lib_exact_int("9007199254740993", 9007199254740993LL) ? "yes" : "NO",
	       lib_exact_int("9223372036854775807", 9223372036854775807LL) ? "yes" : "NO",
	       lib_rejects_duplicates() ? "yes" : "NO");
	free(report);
	return 0;
}

#endif
