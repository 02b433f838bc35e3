/*
 * bench_collect_common.h: what the collector benchmarks share (bench only;
 * static functions, each program uses what it needs).
 */
#ifndef TLSRPT_BENCH_COLLECT_COMMON_H
#define TLSRPT_BENCH_COLLECT_COMMON_H

#include <sqlite3.h>
#include <stdio.h>
#include <time.h>

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Results the store holds (-1 on error). */
static inline long long
db_total(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	/* result_policies: the store's view of the counters, folded or not
	 * (store_schema.c step 3) */
	if (sqlite3_prepare_v2(db, "SELECT COALESCE(SUM(total_success + total_failure), 0)"
			       " FROM result_policies", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The sys4-format datagram of event i (as our library writes it). */
static inline int
build_datagram(char *dg, size_t cap, long i, long domains)
{
	int fail = i % 10 == 0;

	return snprintf(dg, cap,
		"{\"dpv\": \"1\",\"d\": \"d%ld.example\",\"pr\": \"v=TLSRPTv1; "
		"rua=mailto:tlsrpt@example.net\",\"policies\":[{\"policy-type\":2,"
		"\"policy-domain\": \"d%ld.example\",\"policy-string\":[\"version: STSv1\","
		"\"mode: enforce\",\"mx: mx1.example.net\",\"max_age: 604800\"],"
		"\"mx-host\":[\"mx1.example.net\"]%s,\"t\":%d,\"f\":%d}]}",
		i % domains, i % domains,
		fail ? ",\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.25\",\"n\": "
		       "\"mx1.example.net\",\"h\": \"250 mx1.example.net\",\"r\": "
		       "\"198.51.100.10\"}]" : "", fail, fail);
}

#endif
