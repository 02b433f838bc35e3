/* Unit tests for collector/collect_writer: batches pushed from the
 * receiving thread are all stored (real SQLite store in a temporary
 * directory) by the time stop returns, and the counters add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector/collect_writer.h"
#include "store/store.h"

static void
fill(struct datagram_batch *b, int n, int base)
{
	char dg[256];

	for (int i = 0; i < n; i++) {
		struct datagram_info info;
		struct err err;
		int len = snprintf(dg, sizeof(dg), "{\"dpv\":\"1\",\"d\":\"d%d.example\",\"pr\":\"v=TLSRPTv1; "
				   "rua=mailto:a@b.example\",\"policies\":[{\"policy-type\":2,\"t\":0,\"f\":%d}]}",
				   (base + i) % 7, i % 2);

		assert_int_equal(datagram_decode(dg, (size_t)len, 20000, b, &info, &err), 1);
	}
}

static void
test_collect_writer_stores_everything_pushed_before_stop(void **state)
{
	char dir[] = "/tmp/tlsrpt-writer.XXXXXX", url[256], path[128];
	struct collect_writer_stats st;
	struct collect_writer *w;
	struct store *s;
	struct err err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	s = store_open(url, &err);
	assert_non_null(s);
	w = collect_writer_start(s, 100000, &err);
	assert_non_null(w);
	for (int k = 0; k < 20; k++) {
		struct datagram_batch b = { 0 };

		fill(&b, 50, k * 50);
		collect_writer_push(w, &b);
		assert_int_equal(b.n, 0);
		datagram_batch_free(&b);
	}
	{
		struct datagram_batch empty = { 0 };

		collect_writer_push(w, &empty);     /* no-op */
	}
	assert_int_equal(collect_writer_stop(&w, &st), 0);
	assert_null(w);
	assert_int_equal(st.stored, 1000);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.lost, 0);
	assert_true(st.transactions >= 1 && st.transactions <= 20);
	assert_int_equal(collect_writer_stop(&w, NULL), 0);
	unlink(path);
	snprintf(url, sizeof(url), "%s-wal", path);
	unlink(url);
	snprintf(url, sizeof(url), "%s-shm", path);
	unlink(url);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_writer_stores_everything_pushed_before_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
