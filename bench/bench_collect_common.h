/*
 * bench_collect_common.h: what the collector benchmarks share (bench only;
 * static functions, each program uses what it needs).  The including file
 * defines _GNU_SOURCE first (CPU affinity).
 */
#ifndef TLSRPT_BENCH_COLLECT_COMMON_H
#define TLSRPT_BENCH_COLLECT_COMMON_H

#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/collectd.h"
#include "util/log.h"

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

/* Pins the calling process (all its future threads) to one CPU. */
static inline void
bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* A collector process of a benchmark and its files. */
struct bench_collector {
	char sock[256];         /* DIR/c.sock */
	char dbpath[256];       /* DIR/NAME.db */
	char url[300];          /* sqlite:DBPATH */
	pid_t pid;
};

/* Forks collectd_run() (as `tlsrpt collectd` runs it) on c->sock and
 * c->url, pinned to `cpu` unless it is negative, with batch_max from
 * $BENCH_COLLECTD_BATCH if set; waits until it receives (schema created).
 * Returns 0, or -1 if it did not start. */
static inline int
bench_collector_start(struct bench_collector *c, const char *dir, const char *name, int cpu)
{
	snprintf(c->sock, sizeof(c->sock), "%s/c.sock", dir);
	snprintf(c->dbpath, sizeof(c->dbpath), "%s/%s.db", dir, name);
	snprintf(c->url, sizeof(c->url), "sqlite:%s", c->dbpath);
	c->pid = fork();
	if (c->pid == 0) {
		struct collectd_config cfg;
		struct err err;

		if (cpu >= 0)
			bench_pin(cpu);
		log_init("bench_collector", LOG_LEVEL_ERROR, 0);
		collectd_config_defaults(&cfg);
		cfg.socket_path = c->sock;
		cfg.db_url = c->url;
		cfg.stats_secs = 0;
		if (getenv("BENCH_COLLECTD_BATCH") != NULL)
			cfg.batch_max = (size_t)strtoul(getenv("BENCH_COLLECTD_BATCH"), NULL, 10);
		if (collectd_run(&cfg, &err) != 0) {
			fprintf(stderr, "bench: collector: %s\n", err.msg);
			_exit(1);
		}
		_exit(0);
	}
	if (c->pid < 0)
		return -1;
	for (int i = 0; i < 200 && access(c->sock, F_OK) != 0; i++)
		usleep(10000);
	usleep(200000);         /* schema created, receive loop running */
	return access(c->sock, F_OK);
}

/* Removes an SQLite database and its -wal and -shm files. */
static inline void
bench_db_unlink(const char *dbpath)
{
	char p[300];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

#endif
