/* Unit tests for store/store_results: aggregation, days, deletion. */
#include "unit/store/store_test.h"

#include "model/result.h"
#include "store/store_results.h"
#include "util/xalloc.h"

/* A flat description of one result, for tables. */
struct rspec {
	int64_t day;
	const char *domain;
	const char *record;
	enum policy_type type;
	const char *pdomain;
	const char *strings;    /* '|'-separated, NULL for none */
	int failed;
	enum result_type ftype; /* used when failed */
	const char *mx_ip;      /* receiving-ip of the failure */
};

static void
add_split(struct strlist *l, const char *s)
{
	const char *p;

	if (s == NULL)
		return;
	while ((p = strchr(s, '|')) != NULL) {
		strlist_add_owned(l, xstrndup(s, (size_t)(p - s)));
		s = p + 1;
	}
	strlist_add(l, s);
}

static void
make(struct result *r, const struct rspec *sp)
{
	memset(r, 0, sizeof(*r));
	r->day = sp->day;
	r->domain = xstrdup(sp->domain);
	r->tlsrpt_record = sp->record ? xstrdup(sp->record) : NULL;
	r->policy_type = sp->type;
	r->policy_domain = sp->pdomain ? xstrdup(sp->pdomain) : NULL;
	add_split(&r->policy_string, sp->strings);
	strlist_add(&r->mx_host, "*.mx.example");
	r->failed = sp->failed;
	if (sp->failed) {
		struct result_failure *f = result_add_failure(r);

		f->type = sp->ftype;
		f->code = result_type_to_sys4_code(sp->ftype);
		f->receiving_mx_hostname = xstrdup("mx1.example");
		f->receiving_ip = sp->mx_ip ? xstrdup(sp->mx_ip) : NULL;
	}
}

static int
put(struct store *s, const struct rspec *v, size_t n)
{
	struct result *r = xcalloc(n, sizeof(*r));
	struct err err;
	int rc;

	for (size_t i = 0; i < n; i++)
		make(&r[i], &v[i]);
	rc = store_put_results(s, r, n, &err);
	if (rc < 0)
		fprintf(stderr, "# %s\n", err.msg);
	for (size_t i = 0; i < n; i++)
		result_clear(&r[i]);
	free(r);
	return rc;
}

/* What the callback saw, flattened. */
struct seen {
	size_t n;
	char domain[16][64];
	int has_record[16];
	uint64_t ok[16], failed[16];
	size_t n_strings[16];
	size_t n_fd[16];
	uint64_t fd_count[16][4];
	char fd_type[16][4][40];
	int fd_enum[16][4];
	int stop_after;
};

static int
collect(void *ctx, const char *domain, const char *record, const struct policy *p)
{
	struct seen *w = ctx;
	size_t i = w->n++;

	assert_true(i < 16);
	snprintf(w->domain[i], sizeof(w->domain[i]), "%s", domain);
	w->has_record[i] = record != NULL;
	w->ok[i] = p->total_successful_session_count;
	w->failed[i] = p->total_failure_session_count;
	w->n_strings[i] = p->policy_string.n;
	w->n_fd[i] = p->n_failure_details;
	for (size_t k = 0; k < p->n_failure_details && k < 4; k++) {
		w->fd_count[i][k] = p->failure_details[k].failed_session_count;
		snprintf(w->fd_type[i][k], 40, "%s", p->failure_details[k].result_type);
		w->fd_enum[i][k] = p->failure_details[k].type;
	}
	return w->stop_after && (int)w->n >= w->stop_after ? 7 : 0;
}

static const struct rspec batch_a[] = {
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 0, 0, NULL },
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 0, 0, NULL },
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 1, RESULT_CERTIFICATE_EXPIRED, "192.0.2.1" },
	{ 100, "b.example", NULL, POLICY_TYPE_NO_POLICY_FOUND, NULL, NULL, 0, 0, NULL },
};

static const struct rspec batch_b[] = {
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 1, RESULT_CERTIFICATE_EXPIRED, "192.0.2.1" },
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 1, RESULT_STARTTLS_NOT_SUPPORTED, "192.0.2.1" },
	{ 100, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: testing", 0, 0, NULL },
	{ 101, "a.example", "v=TLSRPTv1; rua=mailto:r@a.example", POLICY_TYPE_STS, "a.example",
	  "version: STSv1|mode: enforce", 0, 0, NULL },
};

static void
test_results_sum_over_batches_per_policy_tuple(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	struct err err;

	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(put(f->s, batch_b, 4), 0);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	/* a.example enforce, a.example testing, b.example */
	assert_int_equal(w.n, 3);
	assert_string_equal(w.domain[0], "a.example");
	assert_string_equal(w.domain[1], "a.example");
	assert_string_equal(w.domain[2], "b.example");
	/* the enforce row was created first (lower id) */
	assert_int_equal(w.ok[0], 2);
	assert_int_equal(w.failed[0], 3);
	assert_int_equal(w.n_strings[0], 2);
	assert_int_equal(w.n_fd[0], 2);
	assert_string_equal(w.fd_type[0][0], "certificate-expired");
	assert_int_equal(w.fd_count[0][0], 2);
	assert_string_equal(w.fd_type[0][1], "starttls-not-supported");
	assert_int_equal(w.fd_count[0][1], 1);
	assert_int_equal(w.ok[1], 1);
	assert_int_equal(w.failed[1], 0);
	assert_int_equal(w.n_fd[1], 0);
	assert_int_equal(w.ok[2], 1);
	assert_false(w.has_record[2]);
	assert_true(w.has_record[0]);
	assert_int_equal(w.n_strings[2], 0);
}

static void
test_results_days_are_kept_apart_and_listed(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	int64_t *days;
	size_t n;
	struct err err;

	assert_int_equal(put(f->s, batch_b, 4), 0);
	assert_int_equal(store_get_day_results(f->s, 101, collect, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.ok[0], 1);
	assert_int_equal(store_result_days(f->s, 102, &days, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(days[0], 100);
	assert_int_equal(days[1], 101);
	free(days);
	assert_int_equal(store_result_days(f->s, 101, &days, &n, &err), 0);
	assert_int_equal(n, 1);
	free(days);
	assert_int_equal(store_result_days(f->s, 100, &days, &n, &err), 0);
	assert_int_equal(n, 0);
	free(days);
}

static void
test_results_delete_day_for_one_domain_or_all(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	struct err err;

	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(put(f->s, batch_b, 4), 0);
	assert_int_equal(store_delete_day_results(f->s, 100, "a.example", &err), 0);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.domain[0], "b.example");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_get_day_results(f->s, 101, collect, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(store_delete_day_results(f->s, 101, NULL, &err), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_get_day_results(f->s, 101, collect, &w, &err), 0);
	assert_int_equal(w.n, 0);
	/* after deletion the same tuple starts counting from zero again */
	assert_int_equal(put(f->s, batch_a, 1), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ok[0], 1);
	assert_int_equal(w.n_fd[0], 0);
}

static void
test_results_unknown_failure_code_reads_as_validation_failure(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	struct result r;
	struct result_failure *rf;
	struct err err;

	make(&r, &batch_a[0]);
	r.failed = 1;
	rf = result_add_failure(&r);
	rf->type = RESULT_UNKNOWN;
	rf->code = 901;
	assert_int_equal(store_put_results(f->s, &r, 1, &err), 0);
	result_clear(&r);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_int_equal(w.n_fd[0], 1);
	assert_string_equal(w.fd_type[0][0], "validation-failure");
	assert_int_equal(w.fd_enum[0][0], RESULT_UNKNOWN);
}

static void
test_results_callback_stop_value_is_returned(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { .stop_after = 1 };
	struct err err;

	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 7);
	assert_int_equal(w.n, 1);
}

/* Many results in several batches, counted by the test independently. */
static void
test_results_random_batches_match_independent_count(void **state)
{
	enum { N = 3000, DOMAINS = 7 };
	static const char *const dom[DOMAINS] = { "d0.example", "d1.example", "d2.example",
		"d3.example", "d4.example", "d5.example", "d6.example" };
	struct store_fixture *f = *state;
	struct rspec *v = calloc(N, sizeof(*v));
	uint64_t want_ok[DOMAINS] = { 0 }, want_failed[DOMAINS] = { 0 };
	struct seen w = { 0 };
	unsigned x = 12345;
	struct err err;

	for (size_t i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		size_t d = (x >> 8) % DOMAINS;
		int failed = ((x >> 20) % 5) == 0;

		v[i] = (struct rspec){ 200, dom[d], NULL, POLICY_TYPE_STS, dom[d], "version: STSv1",
				       failed, RESULT_VALIDATION_FAILURE, "192.0.2.9" };
		if (failed)
			want_failed[d]++;
		else
			want_ok[d]++;
	}
	for (size_t i = 0; i < N; i += 700)
		assert_int_equal(put(f->s, v + i, i + 700 <= N ? 700 : N - i), 0);
	assert_int_equal(store_get_day_results(f->s, 200, collect, &w, &err), 0);
	assert_int_equal(w.n, DOMAINS);
	for (size_t d = 0; d < DOMAINS; d++) {
		assert_string_equal(w.domain[d], dom[d]);
		assert_int_equal(w.ok[d], want_ok[d]);
		assert_int_equal(w.failed[d], want_failed[d]);
		assert_int_equal(w.fd_count[d][0], want_failed[d]);
	}
	free(v);
}

static void
test_results_are_visible_from_a_second_handle(void **state)
{
	struct store_fixture *f = *state;
	struct store *s2 = store_test_reopen(f);
	struct seen w = { 0 };
	struct err err;

	assert_non_null(s2);
	assert_int_equal(put(s2, batch_a, 4), 0);
	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.ok[0], 4);
	assert_int_equal(w.failed[0], 2);
	store_close(&s2);
}

static void
test_results_rolled_back_with_the_callers_transaction(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	struct err err;

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(put(f->s, batch_a, 4), 0);
	store_rollback(f->s);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 0);
}

/* Enough batches on one handle that counters are folded while writing
 * (store_results.c FOLD_EVERY), some of them more than once. */
static void
test_results_many_small_batches_fold_without_loss(void **state)
{
	struct store_fixture *f = *state;
	struct seen w = { 0 };
	struct err err;

	for (int i = 0; i < 300; i++)
		assert_int_equal(put(f->s, &batch_a[i % 4], 1), 0);
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.ok[0], 150);
	assert_int_equal(w.failed[0], 75);
	assert_int_equal(w.fd_count[0][0], 75);
	assert_int_equal(w.ok[1], 75);
	/* reading folded everything; more batches keep adding */
	assert_int_equal(put(f->s, batch_a, 4), 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.ok[0], 152);
	assert_int_equal(w.failed[0], 76);
}

/* The result_policies view shows the totals before they are folded. */
static void
test_results_view_shows_unfolded_totals(void **state)
{
	struct store_fixture *f = *state;
	struct db_stmt *st;
	struct err err;

	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(put(f->s, batch_b, 4), 0);
	st = db_prepare(f->s->db, "SELECT SUM(total_success), SUM(total_failure)"
			" FROM result_policies WHERE day = 100", &err);
	assert_non_null(st);
	assert_int_equal(db_step(st, &err), 1);
	assert_int_equal(db_column_int64(st, 0), 4);
	assert_int_equal(db_column_int64(st, 1), 3);
	db_reset(st);
}


/* Schema step 13 (store_results_table.c) on SQLite: result_tuples in the
 * step 3 shape (an id rowid and a UNIQUE key) becomes a table keyed by
 * `key` itself, with the same rows and counters; run again, it changes
 * nothing. */
static const char old_shape[] =
	"DROP VIEW result_policies;"
	"CREATE TABLE t3 (id INTEGER PRIMARY KEY, key BIGINT NOT NULL UNIQUE,"
	" day BIGINT NOT NULL, domain TEXT NOT NULL, tlsrpt_record TEXT, policy_type TEXT,"
	" policy_domain TEXT, policy_strings TEXT NOT NULL, mx_hosts TEXT NOT NULL,"
	" total_success BIGINT NOT NULL, total_failure BIGINT NOT NULL);"
	"INSERT INTO t3 (key, day, domain, tlsrpt_record, policy_type, policy_domain,"
	" policy_strings, mx_hosts, total_success, total_failure) SELECT key, day, domain,"
	" tlsrpt_record, policy_type, policy_domain, policy_strings, mx_hosts, total_success,"
	" total_failure FROM result_tuples;"
	"DROP TABLE result_tuples;"
	"ALTER TABLE t3 RENAME TO result_tuples;"
	"CREATE INDEX result_tuples_day_domain ON result_tuples (day, domain);"
	"CREATE VIEW result_policies AS SELECT key AS id, * FROM result_tuples;"
	"DELETE FROM schema_version WHERE version >= 13;";

static int64_t
count_of(struct store *s, const char *sql)
{
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int64_t v;

	assert_non_null(st);
	assert_int_equal(db_step(st, &err), 1);
	v = db_column_int64(st, 0);
	db_reset(st);
	return v;
}

static void
test_results_keep_their_counters_through_the_rekeying_step(void **state)
{
	struct store_fixture *f = *state;
	struct err err;

	if (f->pg_url != NULL)
		skip();         /* the step changes nothing on PostgreSQL */
	assert_int_equal(put(f->s, batch_a, 4), 0);
	assert_int_equal(put(f->s, batch_b, 4), 0);
	assert_int_equal(store_results_fold(f->s, &err), 0);
	assert_int_equal(db_exec(f->s->db, old_shape, &err), 0);
	assert_int_equal(count_of(f->s, "SELECT COUNT(*) FROM pragma_index_list('result_tuples')"), 2);
	for (int run = 0; run < 2; run++) {
		struct store *s2 = store_test_reopen(f);   /* migrates */
		struct seen w = { 0 };

		assert_non_null(s2);
		/* the key is the rowid: the only index left is (day, domain) */
		assert_int_equal(count_of(s2, "SELECT COUNT(*) FROM pragma_index_list('result_tuples')"), 1);
		assert_int_equal(count_of(s2, "SELECT COUNT(*) FROM result_tuples WHERE key <> rowid"), 0);
		assert_int_equal(count_of(s2, "SELECT SUM(total_success) FROM result_policies WHERE day = 100"),
				 4 + 3 * run);
		assert_int_equal(count_of(s2, "SELECT SUM(total_failure) FROM result_policies WHERE day = 100"),
				 3 + run);
		/* the same tuples, found again by their keys */
		assert_int_equal(put(s2, batch_a, 4), 0);
		assert_int_equal(store_get_day_results(s2, 100, collect, &w, &err), 0);
		assert_int_equal(w.n, 3);
		assert_int_equal(w.ok[0] + w.ok[1] + w.ok[2], 7 + 3 * run);
		assert_int_equal(w.failed[0] + w.failed[1] + w.failed[2], 4 + run);
		assert_int_equal(db_exec(s2->db, "DELETE FROM schema_version WHERE version >= 13", &err), 0);
		store_close(&s2);
	}
}

/* What the many-domains test saw: every domain once, in order, with its
 * own counters and failure attached to the right policy. */
struct round_check {
	size_t n;
	char last[64];
	int bad;
};

static int
check_round_row(void *ctx, const char *domain, const char *record, const struct policy *p)
{
	struct round_check *c = ctx;
	unsigned k;

	(void)record;
	if (sscanf(domain, "d%u.example", &k) != 1 || strcmp(domain, c->last) <= 0)
		c->bad++;
	/* domain k has k % 3 successes and one failure when k is odd */
	if (p->total_successful_session_count != k % 3 ||
	    p->total_failure_session_count != (k & 1) || p->n_failure_details != (k & 1))
		c->bad++;
	snprintf(c->last, sizeof(c->last), "%s", domain);
	c->n++;
	return 0;
}

static void
test_results_day_with_more_domains_than_one_round_is_read_whole(void **state)
{
	struct store_fixture *f = *state;
	enum { N = 2600 };  /* more than two rounds of 1000 domains */
	struct rspec *v = xcalloc(N * 3, sizeof(*v));
	char (*names)[32] = xcalloc(N, sizeof(*names));
	struct round_check c = { 0, "", 0 };
	struct err err;
	size_t n = 0;

	for (unsigned k = 0; k < N; k++) {
		snprintf(names[k], sizeof(names[k]), "d%05u.example", k);
		for (unsigned i = 0; i < k % 3; i++)
			v[n++] = (struct rspec){ 100, names[k], NULL, POLICY_TYPE_STS, names[k],
						 "version: STSv1", 0, 0, NULL };
		if (k & 1)
			v[n++] = (struct rspec){ 100, names[k], NULL, POLICY_TYPE_STS, names[k],
						 "version: STSv1", 1, RESULT_CERTIFICATE_EXPIRED,
						 "192.0.2.9" };
	}
	assert_int_equal(put(f->s, v, n), 0);
	assert_int_equal(store_get_day_results(f->s, 100, check_round_row, &c, &err), 0);
	/* domains with no result at all (k % 3 == 0 and k even) are absent */
	assert_int_equal(c.n, N - (N + 5) / 6);
	assert_int_equal(c.bad, 0);
	free(v);
	free(names);
}

/* store_put_results_keyed(): the keys come back after the commit (one per
 * tuple: equal for equal tuples), and given back they add to the same
 * rows: the same sums as without them, no new row. */
static void
test_results_keyed_puts_add_to_the_same_rows(void **state)
{
	struct store_fixture *f = *state;
	struct result r[4];
	uint64_t counts[4] = { 3, 4, 5, 6 };
	int64_t keys[4] = { 0 }, first[4];
	struct seen w = { 0 };
	struct err err;

	for (size_t i = 0; i < 4; i++)
		make(&r[i], &batch_a[i]);
	assert_int_equal(store_put_results_keyed(f->s, r, counts, keys, 4, &err), 0);
	for (size_t i = 0; i < 4; i++)
		assert_true(keys[i] != 0);
	assert_true(keys[0] == keys[1] && keys[1] == keys[2]);     /* one STS tuple */
	assert_true(keys[3] != keys[0]);
	memcpy(first, keys, sizeof(first));
	assert_int_equal(store_put_results_keyed(f->s, r, counts, keys, 4, &err), 0);
	assert_memory_equal(first, keys, sizeof(first));
	/* a mix: one known, one not (the same tuple) */
	keys[1] = 0;
	assert_int_equal(store_put_results_keyed(f->s, r, counts, keys, 2, &err), 0);
	assert_memory_equal(first, keys, sizeof(first));
	assert_int_equal(store_get_day_results(f->s, 100, collect, &w, &err), 0);
	assert_int_equal(w.n, 2);
	/* a.example: 3 + 4 ok, 5 failed per put; two full puts and one of
	 * the first two results */
	assert_int_equal(w.ok[0], 2 * 7 + 7);
	assert_int_equal(w.failed[0], 2 * 5);
	assert_int_equal(w.fd_count[0][0], 2 * 5);
	assert_int_equal(w.ok[1], 2 * 6);
	for (size_t i = 0; i < 4; i++)
		result_clear(&r[i]);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_results_keyed_puts_add_to_the_same_rows),
	STORE_TEST(test_results_day_with_more_domains_than_one_round_is_read_whole),
	STORE_TEST(test_results_view_shows_unfolded_totals),
	STORE_TEST(test_results_keep_their_counters_through_the_rekeying_step),
	STORE_TEST(test_results_many_small_batches_fold_without_loss),
	STORE_TEST(test_results_sum_over_batches_per_policy_tuple),
	STORE_TEST(test_results_days_are_kept_apart_and_listed),
	STORE_TEST(test_results_delete_day_for_one_domain_or_all),
	STORE_TEST(test_results_unknown_failure_code_reads_as_validation_failure),
	STORE_TEST(test_results_callback_stop_value_is_returned),
	STORE_TEST(test_results_random_batches_match_independent_count),
	STORE_TEST(test_results_are_visible_from_a_second_handle),
	STORE_TEST(test_results_rolled_back_with_the_callers_transaction),
};

STORE_TEST_MAIN(tests)
