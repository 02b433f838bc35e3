/* Unit tests for serve/intake_checkpoint over a real temporary SQLite
 * store: a handle whose commits do not checkpoint (store_wal_manual())
 * sees its log grow; the checkpoint thread, asked once, copies it into
 * the database, and the log starts over at the handle's next commit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "serve/intake_checkpoint.h"
#include "store/store_reports.h"
#include "util/xalloc.h"

/* Stores report-id `id` (one policy) on s, in a transaction of its own. */
static void
put(struct store *s, int id)
{
	struct report *r = report_new();
	struct policy *p = report_add_policy(r);
	struct err err;

	r->organization_name = xstrdup("Org");
	r->report_id = xasprintf("ckpt-%d", id);
	r->start = 1709251200;
	r->end = r->start + 86399;
	p->policy_type = xstrdup("sts");
	p->policy_domain = xasprintf("d%d.example", id);
	p->total_successful_session_count = 9;
	if (store_put_report(s, r, NULL, &err) != 1)
		fail_msg("storing %d: %s", id, err.msg);
	report_free(r);
}

static void
test_checkpoint_thread_empties_the_log(void **state)
{
	char dir[64] = "/tmp/tlsrpt-ckpt-unit.XXXXXX";
	struct intake_checkpoint *c = NULL;
	struct store *s;
	struct err err;
	char *url, *cmd;
	long before, after;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	url = xasprintf("sqlite:%s/db.sqlite", dir);
	s = store_open(url, &err);
	if (s == NULL)
		fail_msg("%s", err.msg);
	store_wal_manual(s);
	for (i = 0; i < 40; i++)
		put(s, i);
	before = store_wal_frames(s);
	assert_true(before > 40);
	/* under INTAKE_WAL_FRAMES the writer asks for nothing */
	intake_checkpoint_after_commit(&c, url, s);
	assert_null(c);
	c = intake_checkpoint_start(url, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	intake_checkpoint_ask(c);
	for (i = 0; i < 500 && intake_checkpoint_runs(c) == 0; i++) {
		struct timespec ms10 = { 0, 10000000L };

		nanosleep(&ms10, NULL);
	}
	assert_int_equal(intake_checkpoint_runs(c), 1);
	put(s, 1000);
	after = store_wal_frames(s);
	if (after >= before)
		fail_msg("the log did not start over: %ld frames, %ld before", after, before);
	intake_checkpoint_stop(&c);
	assert_null(c);
	store_close(&s);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
	free(cmd);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checkpoint_thread_empties_the_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
