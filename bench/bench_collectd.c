/*
 * bench_collectd: collector ingest, results per second into SQLite.
 *
 * Forks a collector (collectd_run(), as `tlsrpt collectd` runs it) on a
 * temporary socket and database, sends BENCH_COLLECTD_N events (default
 * 200000) through libtlsrpt on one reused connection with blocking sends
 * (nothing dropped), and times until the database holds all of them
 * (SUM of the session counters).  Runs with 100 and with 100000 distinct
 * recipient domains.  Prints results/s, the sender's own rate, the
 * collector's peak RSS (getrusage of the child) and the database size.
 * A second figure leaves the kernel out: the collector's own work per
 * datagram (datagram_decode() + store_put_results() in batches of the
 * daemon's default size (collectd_batch_size), one thread, through the decoded-datagram cache as in the daemon) on
 * pre-built sys4-format datagrams.
 * Last, the floors under the 100000-domain figure, the two libraries
 * alone: jansson's json_loadb() + json_decref() of each distinct
 * datagram, and a bare SQLite INSERT of a new row of result_tuples' shape
 * (random 64-bit UNIQUE key) per result, in transactions of 1000 and of
 * 100000.
 * Targets: >= 300k results/s; >= 30x sys4's Python collector (~9.4k/s,
 * research/sys4.md "Measured").
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_collect_common.h"
#include "collector/collectd.h"
#include "collector/datagram.h"
#include "collector/dgcache.h"
#include "store/store.h"
#include "store/store_results.h"
#include "tlsrpt.h"
#include "../tests/tools/load_event.h"
#include "util/log.h"

static long long
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static int
run(const char *dir, long n, long domains)
{
	struct bench_collector c;
	char name[64], wal[300];
	struct tlsrpt_connection_t *con = NULL;
	struct rusage ru;
	sqlite3 *db = NULL;
	double t0, t_sent, t_done, cpu;
	long errors = 0;
	long long got = 0;
	pid_t pid;
	int status;

	snprintf(name, sizeof(name), "r%ld", domains);
	if (bench_collector_start(&c, dir, name, -1) < 0) {
		fprintf(stderr, "bench_collectd: the collector did not start\n");
		return -1;
	}
	pid = c.pid;
	snprintf(wal, sizeof(wal), "%s-wal", c.dbpath);
	if (tlsrpt_open(&con, c.sock) != 0 || sqlite3_open(c.dbpath, &db) != SQLITE_OK) {
		fprintf(stderr, "bench_collectd: setup failed\n");
		kill(pid, SIGKILL);
		return -1;
	}
	sqlite3_busy_timeout(db, 1000);
	t0 = now_s();
	for (long i = 0; i < n; i++)
		if (load_event(con, i, domains, i % 10 == 0) != 0)
			errors++;
	t_sent = now_s();
	while (now_s() - t_sent < 120) {
		got = db_total(db);
		if (got >= n - errors)
			break;
		usleep(5000);
	}
	t_done = now_s();
	sqlite3_close(db);
	tlsrpt_close(&con);
	kill(pid, SIGTERM);
	wait4(pid, &status, 0, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("bench_collectd: %6ld domains %8ld results %9.0f results/s stored "
	       "(sender alone %9.0f/s) peak RSS %ld KiB, db %lld KiB%s\n",
	       domains, n, (double)got / (t_done - t0), (double)n / (t_sent - t0),
	       ru.ru_maxrss, (file_size(c.dbpath) + file_size(wal)) / 1024,
	       got == n ? "" : " INCOMPLETE");
	printf("bench_collectd: %6ld domains %8ld results %9.0f results per collector CPU second "
	       "(collector CPU %.2f s: user %.2f, system %.2f; all its threads, socket included)\n",
	       domains, n, cpu > 0 ? (double)got / cpu : 0.0, cpu,
	       (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (errors > 0)
		printf("bench_collectd: %ld send errors\n", errors);
	bench_db_unlink(c.dbpath);
	return 0;
}

/* jansson alone: parse and free each of n distinct datagrams; µs each. */
static double
floor_jansson(long n)
{
	char dg[1024];
	double t = 0;

	for (long i = 0; i < n; i++) {
		int len = build_datagram(dg, sizeof(dg), i, n);
		json_error_t jerr;
		double t0 = now_s();

		json_decref(json_loadb(dg, (size_t)len, 0, &jerr));
		t += now_s() - t0;
	}
	return t * 1e6 / (double)n;
}

/* SQLite alone: n new rows of result_tuples' shape, random keys, `batch`
 * rows per transaction, the store's pragmas; µs per row. */
static double
floor_sqlite(const char *dir, long n, long batch)
{
	char path[256], domain[64];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint64_t x = 88172645463325252ULL;
	double t0, t = -1;

	snprintf(path, sizeof(path), "%s/floor.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
			 "CREATE TABLE t (id INTEGER PRIMARY KEY, key BIGINT NOT NULL UNIQUE,"
			 " day BIGINT NOT NULL, domain TEXT NOT NULL, tlsrpt_record TEXT,"
			 " policy_type TEXT, policy_domain TEXT, policy_strings TEXT NOT NULL,"
			 " mx_hosts TEXT NOT NULL, total_success BIGINT NOT NULL,"
			 " total_failure BIGINT NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t (key, day, domain, tlsrpt_record, policy_type,"
			       " policy_domain, policy_strings, mx_hosts, total_success,"
			       " total_failure) VALUES (?, 20000, ?, ?, 'sts', ?, ?, ?, 1, 0)"
			       " ON CONFLICT (key) DO NOTHING", -1, &st, NULL) != SQLITE_OK)
		goto out;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (i % batch == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(domain, sizeof(domain), "d%ld.example", i);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)x);
		sqlite3_bind_text(st, 2, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, "v=TLSRPTv1; rua=mailto:tlsrpt@example.net", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, "version: STSv1\nmode: enforce\nmx: mx1.example.net\n"
				  "max_age: 604800", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, "mx1.example.net", -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
		if (i % batch == batch - 1 || i == n - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t = (now_s() - t0) * 1e6 / (double)n;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	bench_db_unlink(path);
	return t;
}

/* The collector's own work, no socket: decode + store in batches. */
static int
pipeline(const char *dir, long n, long domains)
{
	char dbpath[256], url[300], dg[1024];
	struct datagram_batch b = { 0 };
	struct dgcache *cache = calloc(1, sizeof(*cache));
	struct store *st;
	struct err err;
	double t0, t_dec = 0, t_store = 0;
	long long stored = 0;
	struct collectd_config cfg;
	size_t batch;

	collectd_config_defaults(&cfg);
	batch = cfg.batch_max;

	snprintf(dbpath, sizeof(dbpath), "%s/p%ld.db", dir, domains);
	snprintf(url, sizeof(url), "sqlite:%s", dbpath);
	st = store_open(url, &err);
	if (st == NULL) {
		fprintf(stderr, "bench_collectd: %s\n", err.msg);
		return -1;
	}
	for (long i = 0; i < n; i++) {
		struct datagram_info info;
		int len;

		len = build_datagram(dg, sizeof(dg), i, domains);
		t0 = now_s();
		if (dgcache_decode(cache, dg, (size_t)len, 20000, &b, &info, &err) < 0) {
			fprintf(stderr, "bench_collectd: decode: %s\n", err.msg);
			break;
		}
		t_dec += now_s() - t0;
		if (b.n >= batch || i == n - 1) {
			t0 = now_s();
			if (store_put_results(st, b.v, b.n, &err) < 0) {
				fprintf(stderr, "bench_collectd: store: %s\n", err.msg);
				break;
			}
			t_store += now_s() - t0;
			stored += (long long)b.n;
			datagram_batch_clear(&b);
		}
	}
	datagram_batch_free(&b);
	dgcache_clear(cache);
	free(cache);
	store_close(&st);
	printf("bench_collectd: %6ld domains %8lld results %9.0f results/s pipeline without "
	       "socket (decode %.2f us, store %.2f us per result; batches of %zu)\n", domains,
	       stored, (double)stored / (t_dec + t_store), t_dec * 1e6 / (double)n,
	       t_store * 1e6 / (double)n, batch);
	bench_db_unlink(dbpath);
	return 0;
}

int
main(void)
{
	const char *env = getenv("BENCH_COLLECTD_N");
	long n = env != NULL ? strtol(env, NULL, 10) : 200000;
	char dir[] = "/tmp/bench_collectd.XXXXXX";

	if (n <= 0 || mkdtemp(dir) == NULL)
		return 1;
	tlsrpt_set_blocking();
	run(dir, n, 100);
	run(dir, n, 100000);
	pipeline(dir, n, 100);
	pipeline(dir, n, 100000);
	{
		double j = floor_jansson(n), s1 = floor_sqlite(dir, n, 1000),
		       s2 = floor_sqlite(dir, n, 100000);

		printf("bench_collectd: floors, %ld distinct datagrams: jansson parse + free %.2f us; "
		       "bare SQLite new indexed row %.2f us (transactions of 1000), %.2f us (of "
		       "100000); together at best %.0f results/s\n", n, j, s1, s2,
		       1e6 / (j + (s1 < s2 ? s1 : s2)));
	}
	rmdir(dir);
	printf("bench_collectd: reference (research/sys4.md \"Measured\"; sys4's Python collector "
	       "cannot be fetched here): ~9,400 results/s with 100 domains, 100k domains all "
	       "committed after 20.2 s, 66 MB database; targets >= 300k/s and >= 30x (282k/s)\n");
	return 0;
}
