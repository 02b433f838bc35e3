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

#include "bench_collect_common.h"

int
main(void)
{
	long n = getenv("BENCH_JOURNAL_N") ? atol(getenv("BENCH_JOURNAL_N")) : 200000;
	double per_a, per_r, avg, w0 = now_s();

	if (bench_journal_cost(n, 100000, &per_a, &per_r, &avg) < 0)
		return 1;
	printf("journal, %ld datagrams of %.0f bytes in batches of %d: append %.2f µs CPU, "
	       "replay+remove %.2f µs, together %.2f µs per datagram (%.1f s wall)\n",
	       n, avg, COLLECTD_RECV_BATCH, per_a, per_r, per_a + per_r, now_s() - w0);
	printf("  beside: the collector's budget at 300 000 results/s is 3.3 µs per result "
	       "(journal share %.0f %%); recv() of one datagram ~1 µs (issue 12)\n",
	       (per_a + per_r) / 3.33 * 100.0);
	return 0;
}
