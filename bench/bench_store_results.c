/*
 * bench_store_results: how many sending-side results per second
 * store_put_results() writes into SQLite, in batches of 1000 (what the
 * collector sends), with 100 and with 100 000 distinct recipient domains.
 * 5 % of the results are failures.  Prints one line per case.
 * usage: bench_store_results [TOTAL_RESULTS [DOMAINS]] (default 1000000;
 * both domain counts unless DOMAINS is given).  The time includes the
 * first read afterwards (a day without results), which folds the counters
 * still waiting as deltas: without it, folding less often would look free.  TLSRPT_BENCH_DB=URL runs
 * against that store instead (e.g. a PostgreSQL started by
 * tests/components/pg.sh); its result tables are added to, not emptied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/result.h"
#include "store/store.h"
#include "store/store_results.h"
#include "util/xalloc.h"

#define BATCH 1000

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make(struct result *r, size_t i, size_t domains, unsigned *seed)
{
	size_t d;

	*seed = *seed * 1103515245u + 12345u;
	d = (*seed >> 4) % domains;
	memset(r, 0, sizeof(*r));
	r->day = 20000 + (int64_t)(i / 400000);
	r->domain = xasprintf("d%zu.example", d);
	r->tlsrpt_record = xasprintf("v=TLSRPTv1; rua=mailto:tlsrpt@d%zu.example", d);
	r->policy_type = POLICY_TYPE_STS;
	r->policy_domain = xstrdup(r->domain);
	strlist_add(&r->policy_string, "version: STSv1");
	strlist_add(&r->policy_string, "mode: enforce");
	strlist_addf(&r->policy_string, "mx: mx1.d%zu.example", d);
	strlist_add(&r->policy_string, "max_age: 604800");
	strlist_addf(&r->mx_host, "mx1.d%zu.example", d);
	if ((*seed >> 16) % 20 == 0) {
		struct result_failure *f = result_add_failure(r);

		r->failed = 1;
		f->type = RESULT_CERTIFICATE_EXPIRED;
		f->code = result_type_to_sys4_code(f->type);
		f->sending_mta_ip = xstrdup("192.0.2.10");
		f->receiving_mx_hostname = xasprintf("mx1.d%zu.example", d);
		f->receiving_ip = xstrdup("198.51.100.7");
	}
}

static int
no_row(void *ctx, const char *domain, const char *tlsrpt_record, const struct policy *p)
{
	(void)ctx;
	(void)domain;
	(void)tlsrpt_record;
	(void)p;
	return 1;
}

static int
run(size_t total, size_t domains)
{
	char dir[] = "/tmp/tlsrpt-bench.XXXXXX", url[128], path[128];
	struct result *v = xcalloc(total, sizeof(*v));
	struct store *s;
	unsigned seed = 42;
	struct err err;
	double t0, t, t_read;
	int rc = 1;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s/bench.db", dir);
	if (getenv("TLSRPT_BENCH_DB") != NULL)
		snprintf(url, sizeof(url), "%s", getenv("TLSRPT_BENCH_DB"));
	for (size_t i = 0; i < total; i++)
		make(&v[i], i, domains, &seed);
	if ((s = store_open(url, &err)) == NULL) {
		fprintf(stderr, "bench: %s\n", err.msg);
		goto out;
	}
	t0 = now();
	for (size_t i = 0; i < total; i += BATCH) {
		if (store_put_results(s, v + i, total - i < BATCH ? total - i : BATCH, &err) < 0) {
			fprintf(stderr, "bench: %s\n", err.msg);
			goto out;
		}
	}
	t_read = now();
	if (store_get_day_results(s, 1, no_row, NULL, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		goto out;
	}
	t = now() - t0;
	t_read = now() - t_read;
	printf("store_put_results %s: %zu results, %zu domains, batches of %d: "
	       "%.2f s (of which the first read, folding: %.2f s), %.0f results/s\n",
	       strncmp(url, "sqlite:", 7) == 0 ? "sqlite" : "postgresql",
	       total, domains, BATCH, t, t_read, (double)total / t);
	rc = 0;
out:
	store_close(&s);
	for (size_t i = 0; i < total; i++)
		result_clear(&v[i]);
	free(v);
	for (const char *sfx = ""; sfx != NULL; sfx = *sfx == '\0' ? "-wal" : *sfx == '-' && sfx[1] == 'w' ? "-shm" : NULL) {
		snprintf(path, sizeof(path), "%s/bench.db%s", dir, sfx);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

int
main(int argc, char **argv)
{
	size_t total = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 1000000;

	if (total == 0)
		total = 1000000;
	if (argc > 2)
		return run(total, (size_t)strtoul(argv[2], NULL, 10));
	return run(total, 100) | run(total, 100000);
}
