/* Unit tests for serve/intake_writer: the group-commit store writer over
 * a real temporary SQLite store.  A report the store refuses (a trigger
 * in the database raises an error for one report-id: a real store error,
 * no stub) fails alone: the others of its group are stored and committed
 * in one transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "model/report_json.h"
#include "serve/intake.h"
#include "store/store_conflicts.h"
#include "util/xalloc.h"

static const char report_fmt[] =
	"{\"organization-name\":\"Org\",\"date-range\":{\"start-datetime\":"
	"\"2024-03-01T00:00:00Z\",\"end-datetime\":\"2024-03-01T23:59:59Z\"},"
	"\"contact-info\":\"x@example.net\",\"report-id\":\"%s\",\"policies\":[{"
	"\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
	"\"summary\":{\"total-successful-session-count\":9,\"total-failure-session-count\":0}}]}";

struct fixture {
	char dir[64];
	char *path;
	struct intake *in;
};

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	struct err err;
	char *url;
	sqlite3 *db;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/tlsrpt-intake-unit.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->path = xasprintf("%s/db.sqlite", fx->dir);
	url = xasprintf("sqlite:%s", fx->path);
	fx->in = intake_start(url, 0, &err);   /* creates the schema */
	free(url);
	if (fx->in == NULL)
		fail_msg("intake_start: %s", err.msg);
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON reports"
				      " WHEN NEW.report_id = 'refused' BEGIN"
				      " SELECT RAISE(ABORT, 'refused by a trigger'); END",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);

	intake_stop(&fx->in);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", fx->dir);
	free(cmd);
	free(fx->path);
	free(fx);
	return 0;
}

/* Items for the report-ids in ids (n of them); reports in *reps. */
static struct intake_item *
make_items(const char *const *ids, size_t n, struct report **reps, char **raws)
{
	struct intake_item *items = xcalloc(n, sizeof(*items));
	struct err err;

	for (size_t i = 0; i < n; i++) {
		raws[i] = xasprintf(report_fmt, ids[i]);
		reps[i] = report_parse_json(raws[i], strlen(raws[i]), &err);
		if (reps[i] == NULL)
			fail_msg("report_parse_json: %s", err.msg);
		items[i].report = reps[i];
		items[i].src.channel = "https";
		items[i].src.name = "POST";
		items[i].src.raw_json = raws[i];
		items[i].digest = store_report_content_digest(reps[i]);
	}
	return items;
}

static void
free_items(struct intake_item *items, size_t n, struct report **reps, char **raws)
{
	for (size_t i = 0; i < n; i++) {
		report_free(reps[i]);
		free(raws[i]);
	}
	free(items);
}

/* Counts the stored reports with report-id id. */
static int
stored(struct fixture *fx, const char *id)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM reports WHERE report_id = ?",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* One job of four reports: one the store refuses, one a duplicate of an
 * earlier one in the same group.  One commit; each its own outcome. */
static void
test_intake_one_bad_report_does_not_fail_its_group(void **state)
{
	struct fixture *fx = *state;
	static const char *const ids[] = { "good-1", "refused", "good-2", "good-1" };
	struct report *reps[4];
	char *raws[4];
	struct intake_item *items = make_items(ids, 4, reps, raws);
	struct intake_job job;
	uint64_t groups, written;

	memset(&job, 0, sizeof(job));
	job.items = items;
	job.n_items = 4;
	intake_store_wait(fx->in, &job);
	assert_int_equal(items[0].outcome, 1);
	assert_int_equal(items[1].outcome, -1);
	assert_non_null(strstr(items[1].err.msg, "refused by a trigger"));
	assert_int_equal(items[2].outcome, 1);
	assert_int_equal(items[3].outcome, 0);     /* duplicate of good-1 */
	intake_counts(fx->in, &groups, &written);
	assert_int_equal(groups, 1);
	assert_int_equal(written, 4);
	/* committed: another connection sees them */
	assert_int_equal(stored(fx, "good-1"), 1);
	assert_int_equal(stored(fx, "good-2"), 1);
	assert_int_equal(stored(fx, "refused"), 0);
	free_items(items, 4, reps, raws);

	/* the writer reopened its handle after the error and goes on */
	{
		static const char *const more[] = { "good-3" };
		struct report *r1[1];
		char *w1[1];
		struct intake_item *it = make_items(more, 1, r1, w1);

		memset(&job, 0, sizeof(job));
		job.items = it;
		job.n_items = 1;
		intake_store_wait(fx->in, &job);
		assert_int_equal(it[0].outcome, 1);
		assert_int_equal(stored(fx, "good-3"), 1);
		free_items(it, 1, r1, w1);
	}
}

/* How many jobs were answered. */
struct counter {
	int done;
};

static void
count_done(struct intake_job *job)
{
	struct counter *c = job->ctx;

	__atomic_add_fetch(&c->done, 1, __ATOMIC_SEQ_CST);
}

enum { QUEUED = 200 };

/* The jobs of one queued run: QUEUED one-report jobs. */
struct queued {
	struct intake_job jobs[QUEUED];
	struct intake_item *items[QUEUED];
	struct report *reps[QUEUED];
	char *raws[QUEUED];
	struct counter c;
};

/* Submits QUEUED one-report jobs to fx's intake while another connection
 * holds SQLite's write lock, so that they queue into one group, then lets
 * it go and waits for every answer.  Report i is named prefix-i, or
 * "refused" (the fixture's trigger refuses it) when refuse_odd and i is
 * odd.  No job may be answered before the lock is let go. */
static void
run_queued(struct fixture *fx, struct queued *q, const char *prefix, int refuse_odd)
{
	char id[32];
	sqlite3 *db;

	memset(q, 0, sizeof(*q));
	for (int i = 0; i < QUEUED; i++) {
		const char *ids[1] = { id };

		if (refuse_odd && i % 2 == 1)
			snprintf(id, sizeof(id), "refused");
		else
			snprintf(id, sizeof(id), "%s-%d", prefix, i);
		q->items[i] = make_items(ids, 1, &q->reps[i], &q->raws[i]);
		q->jobs[i].items = q->items[i];
		q->jobs[i].n_items = 1;
		q->jobs[i].done = count_done;
		q->jobs[i].ctx = &q->c;
	}
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < QUEUED; i++)
		intake_submit(fx->in, &q->jobs[i]);
	usleep(200 * 1000);
	assert_int_equal(__atomic_load_n(&q->c.done, __ATOMIC_SEQ_CST), 0);  /* not before the commit */
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	for (int k = 0; k < 3000 && __atomic_load_n(&q->c.done, __ATOMIC_SEQ_CST) < QUEUED; k++)
		usleep(10 * 1000);
	assert_int_equal(q->c.done, QUEUED);
}

/* Jobs queued while the writer waits for the store (another connection
 * holds its write lock) are stored in one or two commits, not one each,
 * and every job is completed. */
static void
test_intake_groups_queued_jobs_into_few_commits(void **state)
{
	struct fixture *fx = *state;
	static struct queued q;
	uint64_t groups, written;

	run_queued(fx, &q, "many", 0);
	intake_counts(fx->in, &groups, &written);
	assert_int_equal(written, QUEUED);
	assert_true(groups <= 2);
	for (int i = 0; i < QUEUED; i++) {
		assert_int_equal(q.items[i][0].outcome, 1);
		free_items(q.items[i], 1, &q.reps[i], &q.raws[i]);
	}
	assert_int_equal(stored(fx, "many-0"), 1);
	assert_int_equal(stored(fx, "many-199"), 1);
}

/* A client that sends many reports the store refuses cannot make the
 * writer store its group one report per commit, nor retry each refused
 * one: 200 queued jobs, every other one refused, are two commits at most
 * (the group, and at most one more for what arrives after it). */
static void
test_intake_refused_reports_keep_group_commit(void **state)
{
	struct fixture *fx = *state;
	static struct queued q;
	uint64_t groups, written;

	run_queued(fx, &q, "mixed", 1);
	intake_counts(fx->in, &groups, &written);
	assert_int_equal(written, QUEUED);
	assert_true(groups <= 2);
	assert_true(intake_commits(fx->in) <= 2);
	for (int i = 0; i < QUEUED; i++) {
		if (i % 2 == 1) {
			assert_int_equal(q.items[i][0].outcome, -1);
			assert_non_null(strstr(q.items[i][0].err.msg, "refused by a trigger"));
			assert_int_equal(q.items[i][0].retryable, 0);
		} else {
			assert_int_equal(q.items[i][0].outcome, 1);
		}
		free_items(q.items[i], 1, &q.reps[i], &q.raws[i]);
	}
	assert_int_equal(stored(fx, "mixed-0"), 1);
	assert_int_equal(stored(fx, "mixed-198"), 1);
	assert_int_equal(stored(fx, "refused"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intake_one_bad_report_does_not_fail_its_group,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_intake_groups_queued_jobs_into_few_commits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_intake_refused_reports_keep_group_commit,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
