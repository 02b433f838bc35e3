/* Unit tests for store/store_prune: what retention deletes and keeps, in
 * bounded transactions, and giving the space back. */
#include "unit/store/store_test.h"

#include <sys/stat.h>

#include "store/store_prune.h"

#define NOW 1800000000LL        /* 2027-01-15 */
#define OLD 1500000000LL        /* 2017-07-14 */

static int64_t
count(struct store_fixture *f, const char *sql)
{
	struct err err;
	struct db_stmt *st = db_prepare(f->s->db, sql, &err);
	int64_t n;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	assert_int_equal(db_step(st, &err), 1);
	n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

static void
exec_ok(struct store_fixture *f, const char *sql)
{
	struct err err;

	if (db_exec(f->s->db, sql, &err) < 0)
		fail_msg("%s: %s", sql, err.msg);
}

/* n old reports (each with a policy and a failure) and 3 recent ones. */
static void
fill(struct store_fixture *f, int n_old)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO reports (organization, report_id, dedup_key, start_time, end_time,"
		 " received) SELECT 'org', 'r' || i, 'k' || i, %lld, %lld, %lld FROM n",
		 n_old, OLD - 86400, OLD, OLD);
	exec_ok(f, sql);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO reports (organization, report_id, dedup_key, start_time, end_time,"
		 " received) VALUES ('org', 'new1', 'n1', %lld, %lld, %lld),"
		 " ('org', 'new2', 'n2', %lld, %lld, %lld), ('org', 'new3', 'n3', %lld, %lld, %lld)",
		 NOW - 86400, NOW, NOW, NOW - 86400, NOW, NOW, NOW - 86400, NOW, NOW);
	exec_ok(f, sql);
	exec_ok(f, "INSERT INTO report_policies (report, seq, domain_key, total_success,"
		" total_failure, has_failure_details) SELECT id, 0, 'example.com', 1, 1, 1"
		" FROM reports");
	exec_ok(f, "INSERT INTO report_failures (policy, seq, failed_session_count)"
		" SELECT id, 0, 1 FROM report_policies");
	/* every child table of reports: neither engine cascades (their
	 * foreign keys are enforced by neither, store_report_links.c), prune
	 * must delete each explicitly */
	exec_ok(f, "INSERT INTO report_domains (report, domain_key, first_domain, start_time,"
		" organization, received, success, failure) SELECT id, 'example.com', 1,"
		" start_time, organization, received, 1, 1 FROM reports");
	exec_ok(f, "INSERT INTO report_types (report, whole, domain_key, type_key, start_time,"
		" organization) SELECT id, 1, 'example.com', 5, start_time, organization"
		" FROM reports");
	exec_ok(f, "INSERT INTO report_conflicts (report, content_digest, received)"
		" SELECT id, 7, received FROM reports");
	/* results: day numbers */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO result_tuples (key, day, domain, policy_strings, mx_hosts,"
		 " total_success, total_failure) VALUES (1, %lld, 'a', '', '', 1, 0),"
		 " (2, %lld, 'a', '', '', 1, 0);"
		 "INSERT INTO result_deltas (policy, ok, failed) VALUES (1, 1, 0), (2, 1, 0);"
		 "INSERT INTO result_failures (key, policy, result_code, failed_count)"
		 " VALUES (10, 1, 0, 1), (20, 2, 0, 1)", OLD / 86400, NOW / 86400);
	exec_ok(f, sql);
	/* outbox: old and finished, old and still pending, recent and finished */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO outbox_reports (report_id, day, policy_domain, created, json,"
		 " lookup_state, lookup_attempts, lookup_next) VALUES"
		 " ('o-done', 1, 'a', %lld, '{}', 'done', 1, 0),"
		 " ('o-pending', 1, 'a', %lld, '{}', 'done', 1, 0),"
		 " ('n-done', 1, 'a', %lld, '{}', 'done', 1, 0);"
		 "INSERT INTO outbox_deliveries (report_id, destination, state, attempts, next_try)"
		 " VALUES ('o-done', 'mailto:x@a', 'sent', 1, 0),"
		 " ('o-pending', 'mailto:x@a', 'pending', 1, 0),"
		 " ('n-done', 'mailto:x@a', 'sent', 1, 0)", OLD, OLD, NOW);
	exec_ok(f, sql);
}

static void
test_prune_deletes_only_what_is_older_and_finished(void **state)
{
	struct store_fixture *f = *state;
	struct store_prune_stats st = { 0 };
	struct err err;

	fill(f, 10);
	if (store_prune(f->s, NOW - 30 * 86400, 0, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(st.reports, 10);
	assert_int_equal(st.results, 1);
	assert_int_equal(st.outbox, 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM reports"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM report_policies"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM report_failures"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM report_domains"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM report_types"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM report_conflicts"), 3);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM result_tuples"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM result_deltas"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM result_failures"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM result_tuples WHERE key = 2"), 1);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox_reports"), 2);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox_reports WHERE report_id ="
			       " 'o-done'"), 0);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox_deliveries"), 2);
	/* again: nothing more */
	memset(&st, 0, sizeof(st));
	assert_int_equal(store_prune(f->s, NOW - 30 * 86400, 0, &st, &err), 0);
	assert_int_equal(st.reports + st.results + st.outbox, 0);
}

static void
test_prune_works_in_transactions_of_at_most_batch_rows(void **state)
{
	struct store_fixture *f = *state;
	struct store_prune_stats st = { 0 };
	struct err err;

	fill(f, 2500);
	assert_int_equal(store_prune(f->s, NOW - 30 * 86400, 1000, &st, &err), 0);
	assert_int_equal(st.reports, 2500);
	/* reports: 1000 + 1000 + 500; results: 1; outbox: 1 */
	assert_int_equal(st.transactions, 5);
	assert_int_equal(count(f, "SELECT COUNT(*) FROM reports"), 3);
}

static void
test_reclaim_shrinks_a_new_sqlite_store(void **state)
{
	struct store_fixture *f = *state;
	struct store_prune_stats st = { 0 };
	struct err err;
	int64_t freed = -1, pages_full, pages_after;

	if (f->pg_url != NULL) {
		assert_int_equal(store_reclaim(f->s, 0, &freed, &err), STORE_RECLAIM_AUTOVACUUM);
		return;
	}
	fill(f, 3000);
	exec_ok(f, "UPDATE reports SET raw_json = hex(randomblob(500))");
	pages_full = count(f, "PRAGMA page_count");
	assert_int_equal(store_prune(f->s, NOW - 30 * 86400, 0, &st, &err), 0);
	assert_int_equal(store_reclaim(f->s, 0, &freed, &err), STORE_RECLAIM_SHRUNK);
	pages_after = count(f, "PRAGMA page_count");
	assert_true(freed > 0);
	if (pages_after >= pages_full / 2)
		fail_msg("page_count %lld -> %lld: not shrunk", (long long)pages_full,
			 (long long)pages_after);
	assert_int_equal(count(f, "PRAGMA freelist_count"), 0);
}

static void
test_reclaim_on_an_old_sqlite_store_needs_vacuum_then_converts_it(void **state)
{
	struct store_fixture *f = *state;
	struct err err;
	int64_t freed;

	if (f->pg_url != NULL)
		skip();
	/* a store made before incremental auto-vacuum */
	exec_ok(f, "PRAGMA auto_vacuum=NONE; VACUUM");
	assert_int_equal(count(f, "PRAGMA auto_vacuum"), 0);
	assert_int_equal(store_reclaim(f->s, 0, &freed, &err), STORE_RECLAIM_NEEDS_VACUUM);
	assert_int_equal(store_reclaim(f->s, 1, &freed, &err), STORE_RECLAIM_VACUUMED);
	assert_int_equal(count(f, "PRAGMA auto_vacuum"), 2);
	assert_int_equal(store_reclaim(f->s, 0, &freed, &err), STORE_RECLAIM_SHRUNK);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_prune_deletes_only_what_is_older_and_finished),
	STORE_TEST(test_prune_works_in_transactions_of_at_most_batch_rows),
	STORE_TEST(test_reclaim_shrinks_a_new_sqlite_store),
	STORE_TEST(test_reclaim_on_an_old_sqlite_store_needs_vacuum_then_converts_it),
};

STORE_TEST_MAIN(tests)
