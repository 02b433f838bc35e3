/* Unit tests for store/store_metrics: on the store of search_test.h, the
 * all-time sums /metrics reads (store_metrics_*_table()) equal those of
 * store_summary.h, unscoped and under two viewer scopes. */
#include "unit/store/search_test.h"

#include "model/domain_scope.h"
#include "store/store_metrics.h"
#include "store/store_summary.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* Sums keyed by two labels, as text lines "a|b|x|y" (small: linear). */
struct sums {
	char **key;
	uint64_t *x, *y;
	size_t n;
	char *last_domain, *last_key;   /* on_metrics: the row before */
};

static void
sums_add(struct sums *m, const char *a, const char *b, uint64_t x, uint64_t y)
{
	char *k = xasprintf("%s|%s", a, b != NULL ? b : "");
	size_t i;

	for (i = 0; i < m->n && strcmp(m->key[i], k) != 0; i++)
		;
	if (i == m->n) {
		m->key = xreallocarray(m->key, m->n + 1, sizeof(*m->key));
		m->x = xreallocarray(m->x, m->n + 1, sizeof(*m->x));
		m->y = xreallocarray(m->y, m->n + 1, sizeof(*m->y));
		m->key[i] = k;
		m->x[i] = m->y[i] = 0;
		m->n++;
	} else {
		free(k);
	}
	m->x[i] += x;
	m->y[i] += y;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sums as sorted lines; frees them. */
static char *
sums_text(struct sums *m)
{
	char **v = xcalloc(m->n + 1, sizeof(*v));
	struct buf b;
	size_t i;

	for (i = 0; i < m->n; i++)
		v[i] = xasprintf("%s|%llu|%llu\n", m->key[i], (unsigned long long)m->x[i],
				 (unsigned long long)m->y[i]);
	qsort(v, m->n, sizeof(*v), cmp_line);
	buf_init(&b, 1u << 20);
	buf_append_str(&b, "");
	for (i = 0; i < m->n; i++) {
		buf_append_str(&b, v[i]);
		free(v[i]);
		free(m->key[i]);
	}
	free(v);
	free(m->key);
	free(m->x);
	free(m->y);
	free(m->last_domain);
	free(m->last_key);
	return buf_steal(&b, NULL);
}

static int
on_summary_day(void *ctx, const struct store_summary_row *row)
{
	sums_add(ctx, row->domain, row->organization, row->success, row->failure);
	return 0;
}

static int
on_summary_failure(void *ctx, const struct store_summary_failure *f)
{
	sums_add(ctx, f->domain, f->result_type, f->sessions, 0);
	return 0;
}

/* Also checks the rows come ordered by domain, then second label. */
static void
on_metrics(struct sums *m, const struct store_metrics_row *row)
{
	if (m->last_domain != NULL) {
		int r = strcmp(m->last_domain, row->domain);

		assert_true(r < 0 || (r == 0 && strcmp(m->last_key, row->key) < 0));
	}
	free(m->last_domain);
	free(m->last_key);
	m->last_domain = xstrdup(row->domain);
	m->last_key = xstrdup(row->key);
	sums_add(m, row->domain, row->key, row->a, row->b);
}

/* Passes every row of the table read by `read` through on_metrics(). */
static void
metrics_sums(struct store *s, int (*read)(struct store *, struct store_metrics_table *,
					  struct err *), struct sums *m)
{
	struct store_metrics_table t;
	struct err err;

	assert_int_equal(read(s, &t, &err), 0);
	for (size_t i = 0; i < t.n; i++)
		on_metrics(m, &t.v[i]);
	store_metrics_table_free(&t);
}

static void
test_metrics_equal_summary(void **state)
{
	struct store_fixture *f = *state;
	const char *scopes[] = { NULL, "d1.example", "*.example" };
	size_t i;

	fill(f->s, 60);
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		struct sums a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
		struct domain_scope *sc = NULL;
		struct err err;
		char *want, *got;

		if (scopes[i] != NULL) {
			sc = domain_scope_new();
			assert_int_equal(domain_scope_add(sc, scopes[i], &err), 0);
			store_set_scope(f->s, sc);
		}
		assert_int_equal(store_summary_days(f->s, 0, 0, NULL, on_summary_day, &a, &err), 0);
		metrics_sums(f->s, store_metrics_sessions_table, &b);
		assert_true(b.n >= (scopes[i] != NULL && scopes[i][0] == 'd' ? 3 : 12));
		want = sums_text(&a);
		got = sums_text(&b);
		assert_string_equal(want, got);
		free(want);
		free(got);
		assert_int_equal(store_summary_failures(f->s, 0, 0, NULL, on_summary_failure, &c,
							&err), 0);
		metrics_sums(f->s, store_metrics_failure_types_table, &d);
		assert_true(d.n >= 2);
		want = sums_text(&c);
		got = sums_text(&d);
		assert_string_equal(want, got);
		free(want);
		free(got);
		store_set_scope(f->s, NULL);
		domain_scope_free(&sc);
	}
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_metrics_equal_summary),
};

STORE_TEST_MAIN(tests)
