/* Unit tests for collector/collect_writer: journal segments handed over
 * by the receiving thread are all stored (real SQLite store in a
 * temporary directory) by the time stop returns, removed after the
 * commit, kept when the store fails, and the counters add up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "collector/collect_writer.h"
#include "collector/journal.h"
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

/* Appends n datagrams (domains d0..d6.example, f = i % 2) to the journal. */
static void
fill(struct journal *j, int n, int base)
{
	char dg[64][256];
	struct iovec iov[64];
	struct err err;

	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		int len = snprintf(dg[i], sizeof(dg[i]), "{\"dpv\":\"1\",\"d\":\"d%d.example\",\"pr\":"
				   "\"v=TLSRPTv1; rua=mailto:a@b.example\",\"policies\":[{\"policy-type\":2,"
				   "\"t\":0,\"f\":%d}]}", (base + i) % 7, i % 2);

		iov[i].iov_base = dg[i];
		iov[i].iov_len = (size_t)len;
	}
	assert_int_equal(journal_append(j, 20000, iov, (size_t)n, &err), 0);
}

static void
rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static int
count_segments(const char *dir)
{
	char cmd[256];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '\\.tjr$'", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &n), 1);
	pclose(f);
	return n;
}

/* 20 segments of 50 datagrams, one invalid datagram, one segment with a
 * torn tail: everything valid is stored, the segments are removed, the
 * invalid one and the torn bytes are counted. */
static void
test_collect_writer_stores_every_segment_pushed_before_stop(void **state)
{
	char dir[] = "/tmp/tlsrpt-writer.XXXXXX", url[256], path[128], jdir[160];
	struct collect_writer_stats st;
	struct collect_writer *w;
	struct journal *j;
	struct store *s;
	struct err err;
	uint64_t *old, old_bytes;
	size_t n_old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/w.db", dir);
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	s = store_open(url, &err);
	assert_non_null(s);
	j = journal_open(jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	assert_int_equal(n_old, 0);
	free(old);
	w = collect_writer_start(s, url, jdir, 100, &err);
	assert_non_null(w);
	for (int k = 0; k < 20; k++) {
		uint64_t bytes, records, seq;

		fill(j, 50, k * 50);
		if (k == 3) {
			struct iovec bad = { "{\"d\":", 5 };

			assert_int_equal(journal_append(j, 20000, &bad, 1, &err), 0);
		}
		seq = journal_rotate(j, &bytes, &records);
		assert_true(seq > 0);
		if (k == 7) {   /* a torn record at the end, as a crash mid-write leaves */
			char seg[256];
			FILE *f;

			snprintf(seg, sizeof(seg), "%s/%016llx.tjr", jdir, (unsigned long long)seq);
			f = fopen(seg, "a");
			assert_non_null(f);
			fputs("TJR1 torn", f);
			fclose(f);
		}
		collect_writer_push(w, seq, records, bytes);
	}
	assert_int_equal(journal_rotate(j, &(uint64_t){ 0 }, &(uint64_t){ 0 }), 0);
	assert_int_equal(collect_writer_stop(&w, &st), 0);
	assert_null(w);
	assert_int_equal(st.results, 1000);
	assert_int_equal(st.stored, 1000);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	assert_int_equal(st.kept, 0);
	assert_int_equal(st.invalid[DATAGRAM_BAD_JSON], 1);
	assert_int_equal(st.torn_bytes, 9);
	assert_true(st.transactions >= 1 && st.transactions <= 20);
	assert_int_equal(count_segments(jdir), 0);
	assert_int_equal(collect_writer_stop(&w, NULL), 0);
	journal_close(&j);
	/* The store itself, not the writer's counters: 1000 results, half
	 * failed (f = i % 2), in 7 domains (one STS policy each). */
	{
		struct sums t = { 0, 0, 0 };

		s = store_open(url, &err);
		assert_non_null(s);
		assert_int_equal(store_get_day_results(s, 20000, add_up, &t, &err), 0);
		assert_int_equal(t.ok, 500);
		assert_int_equal(t.failed, 500);
		assert_int_equal(t.policies, 7);
		store_close(&s);
	}
	rm_rf(dir);
}

/* A store that cannot be written (read-only database file): at stop the
 * segments stay in the journal (kept, stop returns 1), nothing is lost. */
static void
test_collect_writer_keeps_segments_when_the_store_fails(void **state)
{
	char dir[] = "/tmp/tlsrpt-writer.XXXXXX", url[256], jdir[160];
	struct collect_writer_stats st;
	struct collect_writer *w;
	struct journal *j;
	struct store *s;
	struct err err;
	uint64_t *old, old_bytes, bytes, records, seq;
	size_t n_old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(url, sizeof(url), "sqlite:%s/w.db", dir);
	s = store_open(url, &err);
	assert_non_null(s);
	store_close(&s);
	{
		sqlite3 *db;

		assert_int_equal(sqlite3_open(url + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DROP TABLE result_deltas", NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	s = store_open(url, &err);
	assert_non_null(s);
	j = journal_open(jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	free(old);
	w = collect_writer_start(s, url, jdir, 100, &err);
	assert_non_null(w);
	fill(j, 10, 0);
	seq = journal_rotate(j, &bytes, &records);
	collect_writer_push(w, seq, records, bytes);
	assert_int_equal(collect_writer_stop(&w, &st), 1);
	assert_int_equal(st.stored, 0);
	assert_int_equal(st.kept, 10);
	assert_int_equal(st.kept_segments, 1);
	assert_true(st.store_errors >= 3);
	assert_int_equal(count_segments(jdir), 1);
	journal_close(&j);
	/* The next start finds it. */
	j = journal_open(jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	assert_int_equal(n_old, 1);
	assert_int_equal(old[0], seq);
	assert_int_equal(old_bytes, bytes);
	free(old);
	journal_close(&j);
	rm_rf(dir);
}

/* The same datagram 10 000 times in 200 segments (and one other datagram
 * twice): stored exactly (10 000 + 2 sessions), in one transaction, the
 * segments removed; the collector counted the repeats in memory instead
 * of storing them segment by segment. */
static void
test_collect_writer_counts_repeated_datagrams_and_stores_them_once(void **state)
{
	char dir[] = "/tmp/tlsrpt-writer.XXXXXX", url[256], jdir[160];
	const char *same = "{\"dpv\":\"1\",\"d\":\"same.example\",\"policies\":[{\"policy-type\":2,"
			   "\"t\":1,\"f\":1,\"failure-details\":[{\"c\":204,\"r\":\"192.0.2.1\"}]}]}";
	const char *other = "{\"dpv\":\"1\",\"d\":\"other.example\",\"policies\":[{\"policy-type\":9,"
			    "\"t\":0,\"f\":0}]}";
	struct collect_writer_stats st;
	struct collect_writer *w;
	struct journal *j;
	struct store *s;
	struct err err;
	uint64_t *old, old_bytes;
	size_t n_old;
	struct iovec iov[50];
	uint64_t seqs[200], sbytes[200], srecords[200];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(url, sizeof(url), "sqlite:%s/w.db", dir);
	s = store_open(url, &err);
	assert_non_null(s);
	j = journal_open(jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	free(old);
	w = collect_writer_start(s, url, jdir, 100, &err);
	assert_non_null(w);
	for (int i = 0; i < 50; i++) {
		iov[i].iov_base = (void *)same;
		iov[i].iov_len = strlen(same);
	}
	/* written first, pushed together: the writer sees them within its
	 * 2 s window even on a slow (sanitized, shared) machine */
	for (int k = 0; k < 200; k++) {
		assert_int_equal(journal_append(j, 20000, iov, 50, &err), 0);
		if (k == 10 || k == 150) {
			struct iovec o = { (void *)other, strlen(other) };

			assert_int_equal(journal_append(j, 20000, &o, 1, &err), 0);
		}
		seqs[k] = journal_rotate(j, &sbytes[k], &srecords[k]);
	}
	for (int k = 0; k < 200; k++)
		collect_writer_push(w, seqs[k], srecords[k], sbytes[k]);
	assert_int_equal(collect_writer_stop(&w, &st), 0);
	assert_int_equal(st.results, 10002);
	assert_int_equal(st.stored, 10002);
	assert_int_equal(st.transactions, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(count_segments(jdir), 0);
	journal_close(&j);
	{
		struct sums t = { 0, 0, 0 };
		sqlite3 *db;
		sqlite3_stmt *q;

		s = store_open(url, &err);
		assert_non_null(s);
		assert_int_equal(store_get_day_results(s, 20000, add_up, &t, &err), 0);
		assert_int_equal(t.ok, 2);
		assert_int_equal(t.failed, 10000);
		assert_int_equal(t.policies, 2);
		store_close(&s);
		/* the failure row counts every session too */
		assert_int_equal(sqlite3_open(url + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT SUM(failed_count), COUNT(*) FROM "
						    "result_failures", -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(q, 0), 10000);
		assert_int_equal(sqlite3_column_int64(q, 1), 1);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	rm_rf(dir);
}

/* No store at start (its directory does not exist yet): the writer keeps
 * the segment, retries, and stores it once the store can be opened. */
static void
test_collect_writer_opens_the_store_when_it_can(void **state)
{
	char dir[] = "/tmp/tlsrpt-writer.XXXXXX", url[256], jdir[160], sub[160];
	struct collect_writer_stats st;
	struct collect_writer *w;
	struct journal *j;
	struct err err;
	uint64_t *old, old_bytes, bytes, records, seq;
	size_t n_old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);
	snprintf(sub, sizeof(sub), "%s/later", dir);
	snprintf(url, sizeof(url), "sqlite:%s/later/w.db", dir);
	j = journal_open(jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	free(old);
	w = collect_writer_start(NULL, url, jdir, 100, &err);
	assert_non_null(w);
	fill(j, 20, 0);
	seq = journal_rotate(j, &bytes, &records);
	collect_writer_push(w, seq, records, bytes);
	sleep(4);       /* the flush (2 s) fails: no store yet */
	collect_writer_get_stats(w, &st);
	assert_true(st.store_errors >= 1);
	assert_int_equal(st.stored, 0);
	assert_int_equal(count_segments(jdir), 1);
	assert_int_equal(mkdir(sub, 0700), 0);
	for (int i = 0; i < 50; i++) {
		collect_writer_get_stats(w, &st);
		if (st.stored == 20)
			break;
		usleep(100000);
	}
	assert_int_equal(st.stored, 20);
	assert_int_equal(collect_writer_stop(&w, &st), 0);
	assert_int_equal(count_segments(jdir), 0);
	journal_close(&j);
	rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_writer_stores_every_segment_pushed_before_stop),
		cmocka_unit_test(test_collect_writer_keeps_segments_when_the_store_fails),
		cmocka_unit_test(test_collect_writer_counts_repeated_datagrams_and_stores_them_once),
		cmocka_unit_test(test_collect_writer_opens_the_store_when_it_can),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
