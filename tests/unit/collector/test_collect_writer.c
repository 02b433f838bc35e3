/* Unit tests for collector/collect_writer: journal segments handed over
 * by the receiving thread are all stored (real SQLite store in a
 * temporary directory) by the time stop returns, removed after the
 * commit, kept when the store fails, stored at once when a flush is asked
 * for, and the counters add up.  One set-up (fx_setup: journal, store as
 * the test's row says, writer) for every test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* Appends n datagrams (domains d0..d6.example, f = i % 2) received on
 * `day` to the journal. */
static void
fill_day(struct journal *j, int n, int base, int32_t day)
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
	assert_int_equal(journal_append(j, day, iov, (size_t)n, &err), 0);
}

/* The same, received on day 20000. */
static void
fill(struct journal *j, int n, int base)
{
	fill_day(j, n, base, 20000);
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

/* How a test's store is at the writer's start. */
enum store_at_start {
	STORE_OPEN,             /* opened and handed to the writer */
	STORE_NO_DELTAS,        /* opened, but its result_deltas table is gone: every put fails */
	STORE_NOT_YET,          /* its directory does not exist: the writer retries opening it */
};

/* One test's writer, journal, store URL and temporary directory. */
struct fx {
	char dir[64], url[256], jdir[160], sub[160];
	struct journal *j;
	struct collect_writer *w;
};

/* A fixture row: the test, and how its store is at the start. */
struct fx_case {
	enum store_at_start store;
};

static const struct fx_case fx_open = { STORE_OPEN };
static const struct fx_case fx_no_deltas = { STORE_NO_DELTAS };
static const struct fx_case fx_not_yet = { STORE_NOT_YET };

/* cmocka set-up: a temporary directory with the journal, the store as
 * the case says, and a writer (batch_max 100) over both. */
static int
fx_setup(void **state)
{
	const struct fx_case *c = *state;
	struct fx *f = calloc(1, sizeof(*f));
	struct store *s = NULL;
	struct err err;
	uint64_t *old, old_bytes;
	size_t n_old;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/tlsrpt-writer.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->jdir, sizeof(f->jdir), "%s/journal", f->dir);
	snprintf(f->sub, sizeof(f->sub), "%s/later", f->dir);
	snprintf(f->url, sizeof(f->url), "sqlite:%s/%sw.db", f->dir,
		 c->store == STORE_NOT_YET ? "later/" : "");
	if (c->store == STORE_NO_DELTAS) {
		sqlite3 *db;

		s = store_open(f->url, &err);
		assert_non_null(s);
		store_close(&s);
		assert_int_equal(sqlite3_open(f->url + 7, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DROP TABLE result_deltas", NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	if (c->store != STORE_NOT_YET) {
		s = store_open(f->url, &err);
		assert_non_null(s);
	}
	f->j = journal_open(f->jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(f->j);
	assert_int_equal(n_old, 0);
	free(old);
	f->w = collect_writer_start(s, f->url, f->jdir, 100, &err);
	assert_non_null(f->w);
	*state = f;
	return 0;
}

/* cmocka tear-down: stops the writer if the test did not, closes the
 * journal, removes the directory. */
static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	collect_writer_stop(&f->w, NULL);
	journal_close(&f->j);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Closes the journal's open segment and hands it to the writer; returns
 * its sequence number. */
static uint64_t
fx_push(struct fx *f)
{
	uint64_t bytes, records, seq = journal_rotate(f->j, &bytes, &records);

	assert_true(seq > 0);
	collect_writer_push(f->w, seq, records, bytes);
	return seq;
}

/* Results of `day` in the store at f->url, summed. */
static struct sums
fx_stored_day(const struct fx *f, int64_t day)
{
	struct sums t = { 0, 0, 0 };
	struct err err;
	struct store *s = store_open(f->url, &err);

	assert_non_null(s);
	assert_int_equal(store_get_day_results(s, day, add_up, &t, &err), 0);
	store_close(&s);
	return t;
}

/* Results of day 20000, summed. */
static struct sums
fx_stored(const struct fx *f)
{
	return fx_stored_day(f, 20000);
}

/* 20 segments of 50 datagrams, one invalid datagram, one segment with a
 * torn tail: everything valid is stored, the segments are removed, the
 * invalid one and the torn bytes are counted. */
static void
test_collect_writer_stores_every_segment_pushed_before_stop(void **state)
{
	struct fx *f = *state;
	struct collect_writer_stats st;
	struct sums t;
	struct err err;

	for (int k = 0; k < 20; k++) {
		uint64_t bytes, records, seq;

		fill(f->j, 50, k * 50);
		if (k == 3) {
			struct iovec bad = { "{\"d\":", 5 };

			assert_int_equal(journal_append(f->j, 20000, &bad, 1, &err), 0);
		}
		seq = journal_rotate(f->j, &bytes, &records);
		assert_true(seq > 0);
		if (k == 7) {   /* a torn record at the end, as a crash mid-write leaves */
			char seg[256];
			FILE *fp;

			snprintf(seg, sizeof(seg), "%s/%016llx.tjr", f->jdir, (unsigned long long)seq);
			fp = fopen(seg, "a");
			assert_non_null(fp);
			fputs("TJR1 torn", fp);
			fclose(fp);
		}
		collect_writer_push(f->w, seq, records, bytes);
	}
	assert_int_equal(journal_rotate(f->j, &(uint64_t){ 0 }, &(uint64_t){ 0 }), 0);
	assert_int_equal(collect_writer_stop(&f->w, &st), 0);
	assert_null(f->w);
	assert_int_equal(st.results, 1000);
	assert_int_equal(st.stored, 1000);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.pending_bytes, 0);
	assert_int_equal(st.kept, 0);
	assert_int_equal(st.invalid[DATAGRAM_BAD_JSON], 1);
	assert_int_equal(st.torn_bytes, 9);
	assert_true(st.transactions >= 1 && st.transactions <= 20);
	assert_int_equal(count_segments(f->jdir), 0);
	assert_int_equal(collect_writer_stop(&f->w, NULL), 0);
	/* The store itself, not the writer's counters: 1000 results, half
	 * failed (f = i % 2), in 7 domains (one STS policy each). */
	t = fx_stored(f);
	assert_int_equal(t.ok, 500);
	assert_int_equal(t.failed, 500);
	assert_int_equal(t.policies, 7);
}

/* A store that cannot be written (no result_deltas table): at stop the
 * segments stay in the journal (kept, stop returns 1), nothing is lost,
 * and the next start finds them. */
static void
test_collect_writer_keeps_segments_when_the_store_fails(void **state)
{
	struct fx *f = *state;
	struct collect_writer_stats st;
	struct err err;
	uint64_t *old, old_bytes, seq;
	size_t n_old;

	fill(f->j, 10, 0);
	seq = fx_push(f);
	assert_int_equal(collect_writer_stop(&f->w, &st), 1);
	assert_int_equal(st.stored, 0);
	assert_int_equal(st.kept, 10);
	assert_int_equal(st.kept_segments, 1);
	assert_true(st.store_errors >= 3);
	assert_int_equal(count_segments(f->jdir), 1);
	journal_close(&f->j);
	f->j = journal_open(f->jdir, &old, &n_old, &old_bytes, &err);
	assert_non_null(f->j);
	assert_int_equal(n_old, 1);
	assert_int_equal(old[0], seq);
	assert_true(old_bytes > 0);
	free(old);
}

/* The same datagram 10 000 times in 200 segments (and one other datagram
 * twice): stored exactly (10 000 + 2 sessions), in one transaction, the
 * segments removed; the collector counted the repeats in memory instead
 * of storing them segment by segment. */
static void
test_collect_writer_counts_repeated_datagrams_and_stores_them_once(void **state)
{
	struct fx *f = *state;
	const char *same = "{\"dpv\":\"1\",\"d\":\"same.example\",\"policies\":[{\"policy-type\":2,"
			   "\"t\":1,\"f\":1,\"failure-details\":[{\"c\":204,\"r\":\"192.0.2.1\"}]}]}";
	const char *other = "{\"dpv\":\"1\",\"d\":\"other.example\",\"policies\":[{\"policy-type\":9,"
			    "\"t\":0,\"f\":0}]}";
	struct collect_writer_stats st;
	struct sums t;
	struct err err;
	struct iovec iov[50];
	uint64_t seqs[200], sbytes[200], srecords[200];
	sqlite3 *db;
	sqlite3_stmt *q;

	for (int i = 0; i < 50; i++) {
		iov[i].iov_base = (void *)same;
		iov[i].iov_len = strlen(same);
	}
	/* written first, pushed together: the writer sees them within its
	 * 2 s window even on a slow (sanitized, shared) machine */
	for (int k = 0; k < 200; k++) {
		assert_int_equal(journal_append(f->j, 20000, iov, 50, &err), 0);
		if (k == 10 || k == 150) {
			struct iovec o = { (void *)other, strlen(other) };

			assert_int_equal(journal_append(f->j, 20000, &o, 1, &err), 0);
		}
		seqs[k] = journal_rotate(f->j, &sbytes[k], &srecords[k]);
	}
	for (int k = 0; k < 200; k++)
		collect_writer_push(f->w, seqs[k], srecords[k], sbytes[k]);
	assert_int_equal(collect_writer_stop(&f->w, &st), 0);
	assert_int_equal(st.results, 10002);
	assert_int_equal(st.stored, 10002);
	assert_int_equal(st.transactions, 1);
	assert_int_equal(st.pending, 0);
	assert_int_equal(count_segments(f->jdir), 0);
	t = fx_stored(f);
	assert_int_equal(t.ok, 2);
	assert_int_equal(t.failed, 10000);
	assert_int_equal(t.policies, 2);
	/* the failure row counts every session too */
	assert_int_equal(sqlite3_open(f->url + 7, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT SUM(failed_count), COUNT(*) FROM "
					    "result_failures", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 10000);
	assert_int_equal(sqlite3_column_int64(q, 1), 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Polls the writer's counters until `stored` reaches want or `ms` pass;
 * returns the last counters. */
static struct collect_writer_stats
wait_stored(struct fx *f, uint64_t want, int ms)
{
	struct collect_writer_stats st;

	for (int i = 0; i <= ms / 20; i++) {
		collect_writer_get_stats(f->w, &st);
		if (st.stored >= want)
			break;
		usleep(20000);
	}
	return st;
}

/* No store at start (its directory does not exist yet): the writer keeps
 * the segment, retries, and stores it once the store can be opened. */
static void
test_collect_writer_opens_the_store_when_it_can(void **state)
{
	struct fx *f = *state;
	struct collect_writer_stats st;

	fill(f->j, 20, 0);
	fx_push(f);
	sleep(4);       /* the flush (2 s) fails: no store yet */
	collect_writer_get_stats(f->w, &st);
	assert_true(st.store_errors >= 1);
	assert_int_equal(st.stored, 0);
	assert_int_equal(count_segments(f->jdir), 1);
	assert_int_equal(mkdir(f->sub, 0700), 0);
	st = wait_stored(f, 20, 5000);
	assert_int_equal(st.stored, 20);
	assert_int_equal(collect_writer_stop(&f->w, &st), 0);
	assert_int_equal(count_segments(f->jdir), 0);
}

/* collect_writer_flush() (SIGHUP, an idle socket) stores what is counted
 * as soon as the queued segments are read, not at the end of the 2 s
 * window: within 1 s here, the segment removed. */
static void
test_collect_writer_flush_stores_at_once(void **state)
{
	struct fx *f = *state;
	struct collect_writer_stats st;

	fill(f->j, 30, 0);
	fx_push(f);
	collect_writer_flush(f->w);
	st = wait_stored(f, 30, 1000);
	assert_int_equal(st.stored, 30);
	assert_int_equal(st.transactions, 1);
	for (int i = 0; i < 50 && count_segments(f->jdir) > 0; i++)
		usleep(20000);
	assert_int_equal(count_segments(f->jdir), 0);
	assert_int_equal(fx_stored(f).ok + fx_stored(f).failed, 30);
}

/* A datagram counted in one window and again in later ones (the entry
 * keeps its decoded results and, for today's rows, their keys, which the
 * later windows use instead of looking the rows up): the sums are exact,
 * one row per tuple, each window one transaction. */
static void
test_collect_writer_later_windows_add_to_the_same_rows(void **state)
{
	struct fx *f = *state;
	struct collect_writer_stats st;
	struct sums t;
	uint64_t want = 0;
	int32_t today = (int32_t)(time(NULL) / 86400);
	sqlite3 *db;
	sqlite3_stmt *q;

	for (int round = 0; round < 3; round++) {
		/* d0..d6, each twice: once f=0, once f=1 */
		fill_day(f->j, 14, 0, today);
		fx_push(f);
		collect_writer_flush(f->w);
		want += 14;
		st = wait_stored(f, want, 3000);
		assert_int_equal(st.stored, want);
		assert_int_equal(st.transactions, (uint64_t)round + 1);
	}
	t = fx_stored_day(f, today);
	assert_int_equal(t.ok, 21);
	assert_int_equal(t.failed, 21);
	assert_int_equal(t.policies, 7);
	assert_int_equal(sqlite3_open(f->url + 7, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM result_tuples", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 7);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_stores_every_segment_pushed_before_stop,
			fx_setup, fx_teardown, (void *)&fx_open),
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_keeps_segments_when_the_store_fails,
			fx_setup, fx_teardown, (void *)&fx_no_deltas),
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_counts_repeated_datagrams_and_stores_them_once,
			fx_setup, fx_teardown, (void *)&fx_open),
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_opens_the_store_when_it_can,
			fx_setup, fx_teardown, (void *)&fx_not_yet),
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_flush_stores_at_once,
			fx_setup, fx_teardown, (void *)&fx_open),
		cmocka_unit_test_prestate_setup_teardown(
			test_collect_writer_later_windows_add_to_the_same_rows,
			fx_setup, fx_teardown, (void *)&fx_open),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
