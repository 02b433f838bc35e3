/*
 * bench_collect_common.h: what the collector benchmarks share (bench only;
 * static functions, each program uses what it needs).  The including file
 * defines _GNU_SOURCE first (CPU affinity).
 */
#ifndef TLSRPT_BENCH_COLLECT_COMMON_H
#define TLSRPT_BENCH_COLLECT_COMMON_H

#include <sched.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector/collectd.h"
#include "collector/journal.h"
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
		/* the hold before reading (collect_hold.h): off by default, as in
		 * collectd; BENCH_COLLECTD_HOLD_MS=100 measures it on */
		if (getenv("BENCH_COLLECTD_HOLD_MS") != NULL)
			cfg.hold_ms = (int)strtol(getenv("BENCH_COLLECTD_HOLD_MS"), NULL, 10);
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

/* CPU seconds (user + system) of this process so far. */
static inline double
bench_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static inline int
bench_journal_count(void *ctx, int32_t day, const char *data, size_t len, uint64_t hash)
{
	(void)day;
	(void)data;
	(void)hash;
	*(uint64_t *)ctx += len;
	return 0;
}

/* What the collector's journal costs per datagram, as the collector uses
 * it: n datagrams of build_datagram(i, domains) (4096 different ones,
 * made before the clock starts) appended in batches of
 * COLLECTD_RECV_BATCH (one writev each, as after one recvmmsg), a segment
 * closed every 10 000, each segment replayed (read + check) and removed.
 * Sets the CPU µs per datagram of the append and of the replay + removal
 * and the average datagram size; returns 0, or -1 with a message on
 * stderr.  The directory is under $TMPDIR (default /tmp). */
static inline int
bench_journal_cost(long n, long domains, double *append_us, double *replay_us, double *avg_bytes)
{
	enum { SEGMENT = 10000, KINDS = 4096, SEQ_MAX = 4096 };
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[256], cmd[300];
	char (*dg)[1024] = malloc(KINDS * sizeof(*dg));
	size_t *dg_len = malloc(KINDS * sizeof(*dg_len));
	uint64_t *seqs = malloc(SEQ_MAX * sizeof(*seqs));
	struct iovec iov[COLLECTD_RECV_BATCH];
	uint64_t *old, old_bytes, replayed = 0, bytes_total = 0;
	size_t n_old, n_seq = 0, in_seg = 0;
	double c0, c1, c2;
	struct journal *j = NULL;
	struct err err;
	int rc = -1;

	if (n < COLLECTD_RECV_BATCH)
		n = COLLECTD_RECV_BATCH;
	snprintf(dir, sizeof(dir), "%s/tlsrpt-bench-journal.%d", tmp, (int)getpid());
	if (dg == NULL || dg_len == NULL || seqs == NULL)
		goto out;
	if ((j = journal_open(dir, &old, &n_old, &old_bytes, &err)) == NULL) {
		fprintf(stderr, "bench: journal: %s\n", err.msg);
		goto out;
	}
	free(old);
	for (int k = 0; k < KINDS; k++)
		dg_len[k] = (size_t)build_datagram(dg[k], sizeof(dg[k]), k, domains);
	c0 = bench_cpu_s();
	for (long i = 0; i < n; i += COLLECTD_RECV_BATCH) {
		for (int k = 0; k < COLLECTD_RECV_BATCH; k++) {
			long d = (i + k) % KINDS;

			iov[k].iov_base = dg[d];
			iov[k].iov_len = dg_len[d];
			bytes_total += (uint64_t)dg_len[d];
		}
		if (journal_append(j, 20000, iov, COLLECTD_RECV_BATCH, &err) < 0) {
			fprintf(stderr, "bench: journal: %s\n", err.msg);
			goto out;
		}
		in_seg += COLLECTD_RECV_BATCH;
		if ((in_seg >= SEGMENT || i + COLLECTD_RECV_BATCH >= n) && n_seq < SEQ_MAX) {
			uint64_t b, r;

			seqs[n_seq++] = journal_rotate(j, &b, &r);
			in_seg = 0;
		}
	}
	c1 = bench_cpu_s();
	for (size_t s = 0; s < n_seq; s++) {
		struct journal_scan_info info;

		if (journal_replay(dir, seqs[s], bench_journal_count, &replayed, &info, &err) < 0 ||
		    journal_remove(dir, seqs[s], &err) < 0) {
			fprintf(stderr, "bench: journal: %s\n", err.msg);
			goto out;
		}
	}
	c2 = bench_cpu_s();
	if (replayed != bytes_total) {
		fprintf(stderr, "bench: journal: replayed %llu bytes of %llu\n",
			(unsigned long long)replayed, (unsigned long long)bytes_total);
		goto out;
	}
	*append_us = (c1 - c0) * 1e6 / (double)n;
	*replay_us = (c2 - c1) * 1e6 / (double)n;
	*avg_bytes = (double)bytes_total / (double)n;
	rc = 0;
out:
	journal_close(&j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	free(dg);
	free(dg_len);
	free(seqs);
	return rc;
}

#endif
