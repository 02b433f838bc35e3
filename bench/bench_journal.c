/*
 * bench_journal: what the collector's journal costs per datagram.
 *
 * Every datagram the collector reads is appended to the journal before it
 * is decoded (collector/journal.h); the writer thread reads the segment
 * back and removes it after the commit.  This program does exactly that
 * with BENCH_JOURNAL_N sys4-format datagrams (default 200000, ~400 bytes,
 * as bench_collectd sends them): appends in batches of COLLECTD_RECV_BATCH
 * (one writev each, as after one recvmmsg), a segment closed every 10 000
 * datagrams, each segment replayed (read + CRC check) and removed.
 * Printed: CPU µs per datagram for the append, the replay and both, beside
 * the collector's whole budget at 300 000 results/s (3.3 µs) and the
 * recv() of one such datagram (~1 µs, issue 12): the journal's share.
 * The journal directory is under $TMPDIR (default /tmp): a disk, not
 * tmpfs, on most machines; the writes stay in the page cache (no fsync).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "bench_collect_common.h"
#include "collector/journal.h"

#define SEGMENT 10000

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
count(void *ctx, int32_t day, const char *data, size_t len)
{
	(void)day;
	(void)data;
	*(uint64_t *)ctx += len;
	return 0;
}

int
main(void)
{
	long n = getenv("BENCH_JOURNAL_N") ? atol(getenv("BENCH_JOURNAL_N")) : 200000;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[256], cmd[300];
	static char dg[4096][1024];
	static size_t dg_len[4096];
	struct iovec iov[COLLECTD_RECV_BATCH];
	uint64_t *old, old_bytes, seqs[4096], replayed = 0, bytes_total = 0;
	size_t n_old, n_seq = 0, in_seg = 0;
	double c0, c1, c2, w0, w2;
	struct journal *j;
	struct err err;

	if (n < COLLECTD_RECV_BATCH)
		n = COLLECTD_RECV_BATCH;
	snprintf(dir, sizeof(dir), "%s/tlsrpt-bench-journal.%d", tmp, (int)getpid());
	j = journal_open(dir, &old, &n_old, &old_bytes, &err);
	if (j == NULL) {
		fprintf(stderr, "bench_journal: %s\n", err.msg);
		return 1;
	}
	free(old);
	/* the datagrams are made before the clock starts: only the journal is timed */
	for (int k = 0; k < 4096; k++)
		dg_len[k] = (size_t)build_datagram(dg[k], sizeof(dg[k]), k, 100000);
	w0 = now_s();
	c0 = cpu_s();
	for (long i = 0; i < n; i += COLLECTD_RECV_BATCH) {
		for (int k = 0; k < COLLECTD_RECV_BATCH; k++) {
			long d = (i + k) % 4096;

			iov[k].iov_base = dg[d];
			iov[k].iov_len = dg_len[d];
			bytes_total += (uint64_t)dg_len[d];
		}
		if (journal_append(j, 20000, iov, COLLECTD_RECV_BATCH, &err) < 0) {
			fprintf(stderr, "bench_journal: %s\n", err.msg);
			return 1;
		}
		in_seg += COLLECTD_RECV_BATCH;
		if (in_seg >= SEGMENT && n_seq < 4096) {
			uint64_t b, r;

			seqs[n_seq++] = journal_rotate(j, &b, &r);
			in_seg = 0;
		}
	}
	if (in_seg > 0 && n_seq < 4096) {
		uint64_t b, r;

		seqs[n_seq++] = journal_rotate(j, &b, &r);
	}
	c1 = cpu_s();
	for (size_t s = 0; s < n_seq; s++) {
		struct journal_scan_info info;

		if (journal_replay(dir, seqs[s], count, &replayed, &info, &err) < 0 ||
		    journal_remove(dir, seqs[s], &err) < 0) {
			fprintf(stderr, "bench_journal: %s\n", err.msg);
			return 1;
		}
	}
	c2 = cpu_s();
	w2 = now_s();
	journal_close(&j);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_journal: could not remove %s\n", dir);
	if (replayed != bytes_total) {
		fprintf(stderr, "bench_journal: replayed %llu bytes of %llu\n",
			(unsigned long long)replayed, (unsigned long long)bytes_total);
		return 1;
	}
	{
		double per_a = (c1 - c0) * 1e6 / (double)n, per_r = (c2 - c1) * 1e6 / (double)n;

		printf("journal, %ld datagrams of %.0f bytes in batches of %d: append %.2f µs CPU, "
		       "replay+remove %.2f µs, together %.2f µs per datagram (%.1f s wall)\n",
		       n, (double)bytes_total / (double)n, COLLECTD_RECV_BATCH, per_a, per_r,
		       per_a + per_r, w2 - w0);
		printf("  beside: the collector's budget at 300 000 results/s is 3.3 µs per result "
		       "(journal share %.0f %%); recv() of one datagram ~1 µs (issue 12)\n",
		       (per_a + per_r) / 3.33 * 100.0);
	}
	return 0;
}
