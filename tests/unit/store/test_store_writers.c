/* Several writer processes on one store at once (SQLite file, or
 * PostgreSQL with TLSRPT_TEST_PG_URL): nothing is lost, nothing counted
 * twice, duplicates stay duplicates, and a fresh store opened by all of
 * them at once is created exactly once. */
#include "unit/store/store_test.h"

#include <sys/wait.h>

#include "model/report.h"
#include "model/result.h"
#include "store/store_reports.h"
#include "store/store_results.h"
#include "util/xalloc.h"

enum { WRITERS = 4, BATCHES = 150, BATCH = 100, DOMAINS = 5, REPORTS = 12 };

static void
make_result(struct result *r, unsigned w, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->day = 300;
	r->domain = xasprintf("d%u.example", (w + i) % DOMAINS);
	r->policy_type = POLICY_TYPE_STS;
	r->policy_domain = xstrdup(r->domain);
	strlist_add(&r->policy_string, "version: STSv1");
	if (i % 10 == 0) {
		struct result_failure *f = result_add_failure(r);

		r->failed = 1;
		f->type = RESULT_CERTIFICATE_EXPIRED;
		f->code = result_type_to_sys4_code(f->type);
		f->receiving_ip = xstrdup("192.0.2.1");
	}
}

/* Report k of writer w: ids 0..REPORTS-1 are shared by all writers. */
static struct report *
make_report(unsigned k)
{
	struct report *r = report_new();
	struct policy *p = report_add_policy(r);

	r->organization_name = xstrdup("Org");
	r->report_id = xasprintf("shared-%u", k);
	r->start = 1767225600;
	r->end = r->start + 86399;
	p->policy_type = xstrdup("sts");
	p->policy_domain = xstrdup("shared.example");
	p->total_successful_session_count = 1;
	return r;
}

/* The body of one writer process; returns its exit status. */
static int
writer(const char *url, unsigned w)
{
	struct result v[BATCH];
	struct err err;
	struct store *s = store_open(url, &err);
	int rc = 0;

	if (s == NULL) {
		fprintf(stderr, "# writer %u: open: %s\n", w, err.msg);
		return 2;
	}
	for (unsigned b = 0; b < BATCHES && rc == 0; b++) {
		for (unsigned i = 0; i < BATCH; i++)
			make_result(&v[i], w, b * BATCH + i);
		if (store_put_results(s, v, BATCH, &err) < 0) {
			fprintf(stderr, "# writer %u: %s\n", w, err.msg);
			rc = 3;
		}
		for (unsigned i = 0; i < BATCH; i++)
			result_clear(&v[i]);
		if (b < REPORTS && rc == 0) {
			struct report *r = make_report((b + w) % REPORTS);

			if (store_put_report(s, r, NULL, &err) < 0) {
				fprintf(stderr, "# writer %u: %s\n", w, err.msg);
				rc = 4;
			}
			report_free(r);
		}
	}
	store_close(&s);
	return rc;
}

struct totals {
	uint64_t ok, failed, fd;
	size_t policies;
};

static int
sum_cb(void *ctx, const char *domain, const char *record, const struct policy *p)
{
	struct totals *t = ctx;

	(void)domain;
	(void)record;
	t->ok += p->total_successful_session_count;
	t->failed += p->total_failure_session_count;
	for (size_t i = 0; i < p->n_failure_details; i++)
		t->fd += p->failure_details[i].failed_session_count;
	t->policies++;
	return 0;
}

static int
count_cb(void *ctx, int64_t id, const struct report *r)
{
	(void)id;
	(void)r;
	(*(size_t *)ctx)++;
	return 0;
}

static void
test_writers_at_once_lose_nothing(void **state)
{
	struct store_fixture *f = *state;
	pid_t pids[WRITERS];
	struct totals t = { 0 };
	size_t reports = 0;
	struct err err;

	/* start from nothing, so that all writers create the schema at once */
	store_close(&f->s);
	if (f->pg_url != NULL) {
		assert_int_equal(store_test_pg_reset(f->pg_url), 0);
	} else {
		char path[600];

		snprintf(path, sizeof(path), "%s/t.db", f->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/t.db-wal", f->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/t.db-shm", f->dir);
		unlink(path);
	}
	fflush(NULL);
	for (unsigned w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			_exit(writer(f->url, w));
	}
	for (unsigned w = 0; w < WRITERS; w++) {
		int st;

		assert_int_equal(waitpid(pids[w], &st, 0), pids[w]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	f->s = store_test_reopen(f);
	assert_non_null(f->s);
	assert_int_equal(store_get_day_results(f->s, 300, sum_cb, &t, &err), 0);
	assert_int_equal(t.policies, DOMAINS);
	assert_int_equal(t.ok + t.failed, WRITERS * BATCHES * BATCH);
	assert_int_equal(t.failed, WRITERS * BATCHES * BATCH / 10);
	assert_int_equal(t.fd, t.failed);
	assert_int_equal(store_query_reports(f->s, NULL, count_cb, &reports, &err), 0);
	assert_int_equal(reports, REPORTS);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_writers_at_once_lose_nothing),
};

STORE_TEST_MAIN(tests)
