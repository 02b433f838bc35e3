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
#include "store/store_results.h"

struct sums {
	uint64_t ok, failed;
	int policies;
};

static int
add_up(void *ctx, const char *domain, const char *tlsrpt_record, const struct policy *p)
{
	struct sums *t = ctx;

	(void)domain;
	(void)tlsrpt_record;
	t->ok += p->total_successful_session_count;
	t->failed += p->total_failure_session_count;
	t->policies++;
	return 0;
}

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

static const char *
url_db(char *url, size_t size, const char *path)
{
	snprintf(url, size, "sqlite:%s", path);
	return url;
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
	/* The store itself, not the writer's counters: 1000 results, half
	 * failed (f = i % 2), in 7 domains (one STS policy each). */
	{
		struct sums t = { 0, 0, 0 };

		s = store_open(url_db(url, sizeof(url), path), &err);
		assert_non_null(s);
		assert_int_equal(store_get_day_results(s, 20000, add_up, &t, &err), 0);
		assert_int_equal(t.ok, 500);
		assert_int_equal(t.failed, 500);
		assert_int_equal(t.policies, 7);
		store_close(&s);
	}
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
