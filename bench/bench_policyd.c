/*
 * bench_policyd: `tlsrpt policyd` answering Postfix socketmap lookups.
 *
 * Cached (no arguments): forks a policy server (policyd_run(), as
 * `tlsrpt policyd` runs it) on a temporary unix socket whose store holds
 * one enforce policy, warms it up, then sends BENCH_POLICYD_N lookups
 * (default 200000) for that domain over one connection, one at a time as
 * an smtp(8) process does, timing each: lookups/s and p50/p99/max
 * latency; then the same with 4 connections at once.
 * TCP (`--tcp NAME HOST:PORT DOMAIN`, from bench_policyd.sh): cached
 * lookups over loopback TCP against any socketmap server, for
 * postfix-mta-sts-resolver side by side.
 * Cold (`--cold SOCKET FILE`, from bench_policyd.sh): one lookup per
 * domain listed in FILE against a running server whose DNS and HTTPS are
 * real loopback servers: each one is a TXT lookup, a DANE check and an
 * HTTPS fetch.
 * Targets (bench/README.md): >= 50 000 cached lookups/s on one core,
 * p99 < 1 ms.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policyd/policyd.h"
#include "store/store.h"
#include "store/store_sts_cache.h"
#include "util/log.h"

#define ANCHOR_RATE 50000.0
#define ANCHOR_P99_US 1000.0
#define THREADS 4

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) process pid has used so far. */
static double
cpu_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		ut = st = 0;
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
connect_tcp(const char *hostport)
{
	char host[64];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One request, one whole answer; returns the answer length or -1. */
static long
lookup(int fd, const char *req, char *ans, size_t cap)
{
	char out[600];
	int n = snprintf(out, sizeof(out), "%zu:%s,", strlen(req), req);
	size_t have = 0, len;
	char *colon;
	ssize_t r;

	if (write(fd, out, (size_t)n) != n)
		return -1;
	for (;;) {
		r = read(fd, ans + have, cap - have - 1);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		ans[have] = '\0';
		if ((colon = memchr(ans, ':', have)) == NULL)
			continue;
		len = strtoul(ans, NULL, 10);
		if (have >= (size_t)(colon - ans) + 1 + len + 1)
			return (long)len;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
print_latency(const char *what, double *lat, long n, double secs)
{
	double rate = (double)n / secs, p99;

	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	p99 = lat[(size_t)((double)n * 0.99)] * 1e6;
	printf("%-34s %9.0f lookups/s   anchor %.0f   ratio %.2f\n", what, rate, ANCHOR_RATE,
	    rate / ANCHOR_RATE);
	printf("%-34s p50 %.1f us  p99 %.1f us  max %.1f us   anchor p99 %.0f us   ratio %.2f\n", what,
	    lat[n / 2] * 1e6, p99, lat[n - 1] * 1e6, ANCHOR_P99_US, p99 / ANCHOR_P99_US);
}

struct client {
	const char *sock;
	long n;
	double *lat;
	int failed;
};

static void *
client_main(void *arg)
{
	struct client *c = arg;
	char ans[4096];
	double t;
	int fd = connect_unix(c->sock);
	long i;

	if (fd < 0) {
		c->failed = 1;
		return NULL;
	}
	for (i = 0; i < c->n; i++) {
		t = now_s();
		if (lookup(fd, "sts bench.test", ans, sizeof(ans)) < 0 || strstr(ans, "OK secure") == NULL) {
			c->failed = 1;
			break;
		}
		c->lat[i] = now_s() - t;
	}
	close(fd);
	return NULL;
}

static int
cached(void)
{
	char dir[] = "/tmp/bench-policyd.XXXXXX", sock[300], db[300], ans[4096];
	struct store_sts_policy p = { 0 };
	struct policyd_config cfg;
	struct client cl[THREADS];
	pthread_t th[THREADS];
	struct store *s;
	struct err err;
	long n = getenv("BENCH_POLICYD_N") ? atol(getenv("BENCH_POLICYD_N")) : 200000, i;
	double t0, *lat, cpu;
	pid_t pid;
	int fd = -1, rc = 1, k, bad = 0;

	if (mkdtemp(dir) == NULL || n < 100)
		return 1;
	snprintf(sock, sizeof(sock), "%s/policyd.sock", dir);
	snprintf(db, sizeof(db), "sqlite:%s/policyd.db", dir);
	if ((s = store_open(db, &err)) == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	p.domain = "bench.test";
	p.id = "1";
	p.body = "version: STSv1\nmode: enforce\nmx: mx1.bench.test\nmx: *.mx.bench.test\nmax_age: 604800\n";
	p.fetched = (int64_t)time(NULL);
	p.expires = p.fetched + 604800;
	if (store_sts_cache_put(s, &p, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	store_close(&s);
	policyd_config_defaults(&cfg);
	cfg.socket_path = sock;
	cfg.db_url = db;
	cfg.dns.resolver = "127.0.0.1@9";       /* nothing there: checks fail fast, the cache answers */
	cfg.dns.timeout_ms = 300;
	cfg.rules.retry_interval = 3600;
	cfg.stats_secs = 0;
	if ((pid = fork()) == 0) {
		log_init("bench-policyd", LOG_LEVEL_ERROR, 0);
		_exit(policyd_run(&cfg, &err) < 0 ? 3 : 0);
	}
	for (k = 0; k < 100 && (fd = connect_unix(sock)) < 0; k++)
		usleep(20000);
	if (fd < 0) {
		fprintf(stderr, "bench_policyd: server did not start\n");
		goto out;
	}
	/* warm-up: the first lookup waits for the (failing) TXT and DANE checks */
	for (k = 0; k < 3; k++)
		if (lookup(fd, "sts bench.test", ans, sizeof(ans)) < 0) {
			fprintf(stderr, "bench_policyd: no answer\n");
			goto out;
		}
	if (strstr(ans, "OK secure") == NULL) {
		fprintf(stderr, "bench_policyd: unexpected answer %s\n", ans);
		goto out;
	}
	lat = calloc((size_t)n, sizeof(*lat));
	cpu = cpu_of(pid);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		double t = now_s();
		if (lookup(fd, "sts bench.test", ans, sizeof(ans)) < 0) {
			bad++;
			break;
		}
		lat[i] = now_s() - t;
	}
	if (bad)
		printf("INCOMPLETE: %d errors\n", bad);
	else {
		print_latency("cached, 1 connection", lat, n, now_s() - t0);
		cpu = cpu_of(pid) - cpu;
		if (cpu > 0)
			printf("%-34s %9.0f lookups per server CPU second (one core)   anchor %.0f   ratio %.2f\n",
			    "cached, 1 connection", (double)n / cpu, ANCHOR_RATE, (double)n / cpu / ANCHOR_RATE);
	}
	free(lat);
	for (k = 0; k < THREADS; k++) {
		cl[k].sock = sock;
		cl[k].n = n / THREADS;
		cl[k].lat = calloc((size_t)cl[k].n, sizeof(double));
		cl[k].failed = 0;
	}
	t0 = now_s();
	for (k = 0; k < THREADS; k++)
		pthread_create(&th[k], NULL, client_main, &cl[k]);
	for (k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
	t0 = now_s() - t0;
	lat = calloc((size_t)n, sizeof(*lat));
	for (i = 0, k = 0; k < THREADS; k++) {
		bad |= cl[k].failed;
		memcpy(lat + i, cl[k].lat, (size_t)cl[k].n * sizeof(double));
		i += cl[k].n;
		free(cl[k].lat);
	}
	if (bad)
		printf("INCOMPLETE: %d errors\n", bad);
	else
		print_latency("cached, 4 connections", lat, i, t0);
	free(lat);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(sock);
	snprintf(ans, sizeof(ans), "rm -rf '%s'", dir);
	if (system(ans) != 0)
		rc = 1;
	return rc;
}

/* One lookup per domain of file against the server at sock. */
static int
cold(const char *sock, const char *file)
{
	FILE *f = fopen(file, "r");
	char line[300], req[320], ans[200000];
	double *lat = calloc(100000, sizeof(double)), t0, t;
	long n = 0, secure = 0;
	int fd = connect_unix(sock);

	if (f == NULL || fd < 0) {
		fprintf(stderr, "bench_policyd: cannot open %s or connect to %s\n", file, sock);
		return 1;
	}
	t0 = now_s();
	while (n < 100000 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(req, sizeof(req), "sts %s", line);
		t = now_s();
		if (lookup(fd, req, ans, sizeof(ans)) < 0) {
			printf("INCOMPLETE: 1 errors\n");
			return 1;
		}
		lat[n++] = now_s() - t;
		secure += strstr(ans, "OK secure") != NULL;
	}
	t0 = now_s() - t0;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("cold (DNS + HTTPS), 1 connection  %6.0f lookups/s   p50 %.2f ms  p99 %.2f ms  "
	    "(%ld of %ld enforce answers)\n", (double)n / t0, lat[n / 2] * 1e3,
	    lat[(size_t)((double)n * 0.99)] * 1e3, secure, n);
	free(lat);
	fclose(f);
	close(fd);
	return secure == n ? 0 : 1;
}

/* Cached lookups of domain over loopback TCP against any socketmap
 * server (ours, or postfix-mta-sts-resolver, side by side). */
static int
tcp(const char *who, const char *hostport, const char *domain)
{
	char req[300], ans[65536];
	long n = getenv("BENCH_POLICYD_N") ? atol(getenv("BENCH_POLICYD_N")) : 20000, i;
	double *lat = calloc((size_t)n, sizeof(double)), t0, t;
	int fd = connect_tcp(hostport), k;

	if (fd < 0 || lat == NULL) {
		printf("INCOMPLETE: %s: cannot connect to %s\n", who, hostport);
		return 1;
	}
	snprintf(req, sizeof(req), "postfix %s", domain);
	for (k = 0; k < 3; k++)
		if (lookup(fd, req, ans, sizeof(ans)) < 0) {
			printf("INCOMPLETE: %s: no answer\n", who);
			return 1;
		}
	if (strstr(ans, "OK secure") == NULL) {
		printf("INCOMPLETE: %s: answer is not an enforce policy: %.200s\n", who, ans);
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		t = now_s();
		if (lookup(fd, req, ans, sizeof(ans)) < 0) {
			printf("INCOMPLETE: %s: 1 errors\n", who);
			return 1;
		}
		lat[i] = now_s() - t;
	}
	print_latency(who, lat, n, now_s() - t0);
	free(lat);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[1], "--tcp") == 0)
		return tcp(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "--cold") == 0)
		return cold(argv[2], argv[3]);
	return cached();
}
