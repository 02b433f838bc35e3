/* Unit tests for store/store_report_search and store/store_metrics: on a
 * store of reports with several domains, organizations, days and failure
 * details, store_report_search() gives the pages store_view_reports()
 * gives (a table of selections, result types, offsets and scopes), and
 * store_metrics gives the all-time sums of store_summary.h. */
#include "unit/store/store_test.h"

#include "model/domain_scope.h"
#include "model/report.h"
#include "store/store_metrics.h"
#include "store/store_report_search.h"
#include "store/store_report_types.h"
#include "store/store_reports.h"
#include "store/store_summary.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define DAY0 20000              /* 2024-10-04 */

static void
add_failure(struct policy *p, const char *type, uint64_t n)
{
	struct failure_detail *f = policy_add_failure_detail(p);

	f->result_type = type != NULL ? xstrdup(type) : NULL;
	f->type = result_type_from_string(type != NULL ? type : "");
	f->receiving_mx_hostname = xstrdup("mx1.d.example");
	f->failed_session_count = n;
}

static struct policy *
add_policy(struct report *r, const char *domain, uint64_t ok, uint64_t bad)
{
	struct policy *p = report_add_policy(r);

	p->policy_domain = domain != NULL ? xstrdup(domain) : NULL;
	p->policy_type = xstrdup("sts");
	p->type = POLICY_TYPE_STS;
	p->total_successful_session_count = ok;
	p->total_failure_session_count = bad;
	p->has_failure_details = 1;
	return p;
}

/* Report i: day DAY0 + i % 9 (some starting mid-day), organization i % 3,
 * domain D(i % 4) and for some a second domain and a policy without one;
 * failures of two types. */
static struct report *
make(int i)
{
	static const char *const orgs[] = { "Google Inc.", "Microsoft", "Yahoo" };
	struct report *r = report_new();
	struct policy *p;
	char dom[32];

	r->organization_name = xstrdup(orgs[i % 3]);
	r->report_id = xasprintf("r%d", i);
	r->start = (int64_t)(DAY0 + i % 9) * 86400 + (i % 4 == 3) * 3600;
	r->end = r->start + 86399;
	snprintf(dom, sizeof(dom), "D%d.Example.", i % 4);
	p = add_policy(r, dom, 100 + (uint64_t)i, (uint64_t)(i % 3));
	if (i % 3 == 1)
		add_failure(p, "certificate-expired", 1);
	if (i % 5 == 2)
		add_failure(p, "starttls-not-supported", 2);
	if (i % 2 == 0) {
		p = add_policy(r, "shared.example", 5, 1);
		add_failure(p, i % 4 == 0 ? "certificate-expired" : NULL, 1);
	}
	if (i % 7 == 0)
		add_policy(r, NULL, 7, 0);
	return r;
}

static void
fill(struct store *s, int n)
{
	struct err err;

	for (int i = 0; i < n; i++) {
		struct report_source src = { .channel = "test", .name = "t",
					     .received = (int64_t)(DAY0 + 10) * 86400 + i };
		struct report *r = make(i);

		if (store_put_report(s, r, &src, &err) < 0)
			fail_msg("%s", err.msg);
		report_free(r);
	}
}

static int
on_row(void *ctx, const struct store_view_report *r)
{
	buf_printf(ctx, "%lld|%s|%s|%lld|%lld|%lld|%llu|%llu|%llu|%s\n", (long long)r->id,
		   r->organization, r->report_id, (long long)r->start, (long long)r->end,
		   (long long)r->received, (unsigned long long)r->success,
		   (unsigned long long)r->failure, (unsigned long long)r->domains,
		   r->quirks_json != NULL ? r->quirks_json : "-");
	return 0;
}

typedef int (*page_fn)(struct store *, const struct report_query *, const char *, uint64_t,
		       uint64_t, uint64_t *, store_view_report_cb, void *, struct err *);

/* store_report_search() by offset, as a page_fn. */
static int
search_offset(struct store *s, const struct report_query *q, const char *type,
	      uint64_t offset, uint64_t limit, uint64_t *total, store_view_report_cb cb,
	      void *ctx, struct err *err)
{
	struct report_page pg = { .from = REPORT_PAGE_OFFSET, .offset = offset, .limit = limit };
	struct report_page_info info;
	int rc = store_report_search(s, q, type, &pg, &info, cb, ctx, err);

	*total = info.total;
	return rc;
}

/* One page as text: the total, then one line per report. */
static char *
page(page_fn fn, struct store *s, const struct report_query *q, const char *type,
     uint64_t offset, uint64_t limit)
{
	struct buf b;
	struct err err;
	uint64_t total = 0;

	buf_init(&b, 1u << 20);
	buf_append_str(&b, "");
	if (fn(s, q, type, offset, limit, &total, on_row, &b, &err) != 0)
		fail_msg("%s", err.msg);
	buf_printf(&b, "total %llu\n", (unsigned long long)total);
	return buf_steal(&b, NULL);
}

/* Selections whose search pages must equal store_view_reports()'s. */
static const struct search_case {
	const char *domain, *org, *type, *scope;
	int64_t since, until;
	uint64_t offset, limit;
	size_t min_rows;        /* the page is not empty where it should not be */
} search_cases[] = {
	{ NULL, NULL, NULL, NULL, 0, 0, 0, 50, 50 },
	{ NULL, NULL, NULL, NULL, 0, 0, 45, 50, 15 },
	{ NULL, NULL, NULL, NULL, 0, 0, 60, 50, 0 },
	{ NULL, NULL, NULL, NULL, (DAY0 + 2) * 86400, (DAY0 + 5) * 86400, 3, 7, 7 },
	{ NULL, NULL, NULL, NULL, (DAY0 + 2) * 86400 + 60, 0, 0, 10, 10 },
	{ "d1.example", NULL, NULL, NULL, 0, 0, 0, 50, 15 },
	{ "D2.EXAMPLE.", "Yahoo", NULL, NULL, 0, 0, 1, 3, 3 },
	{ "shared.example", NULL, NULL, NULL, 0, 0, 5, 100, 25 },
	{ "", NULL, NULL, NULL, 0, 0, 0, 50, 9 },
	{ NULL, "Microsoft", NULL, NULL, 0, 0, 0, 50, 20 },
	{ NULL, NULL, "certificate-expired", NULL, 0, 0, 0, 50, 30 },
	{ NULL, NULL, "certificate-expired", NULL, 0, 0, 7, 5, 5 },
	{ NULL, NULL, "certificate-expired", NULL, (DAY0 + 3) * 86400, 0, 0, 50, 15 },
	{ NULL, NULL, "certificate-expired", NULL, (DAY0 + 2) * 86400 + 60,
	  (DAY0 + 6) * 86400, 0, 50, 10 },
	{ "shared.example", NULL, "certificate-expired", NULL, 0, 0, 0, 50, 15 },
	{ "d1.example", NULL, "certificate-expired", NULL, 0, 0, 2, 4, 3 },
	{ "d0.example", NULL, "certificate-expired", NULL, 0, 0, 0, 50, 0 },
	{ NULL, "Yahoo", "starttls-not-supported", NULL, 0, 0, 0, 50, 1 },
	{ "d2.example", "Yahoo", "starttls-not-supported", NULL, 0, 0, 0, 50, 1 },
	{ NULL, NULL, "no-such-type", NULL, 0, 0, 0, 50, 0 },
	{ NULL, NULL, NULL, "d1.example", 0, 0, 0, 50, 15 },
	{ NULL, NULL, "certificate-expired", "*.example", 0, 0, 0, 50, 30 },
	/* the type under a second domain only; a report once over both */
	{ NULL, NULL, "certificate-expired", "d0.example", 0, 0, 0, 50, 15 },
	/* the scope applies to the report's first domain, as without a type */
	{ NULL, NULL, "certificate-expired", "shared.example", 0, 0, 0, 50, 0 },
	{ "shared.example", NULL, NULL, "d3.example", 0, 0, 0, 50, 0 },
};

/* Every search_cases page of s equals store_view_reports()'s. */
static void
check_search_cases(struct store *s)
{
	size_t i;

	for (i = 0; i < sizeof(search_cases) / sizeof(search_cases[0]); i++) {
		const struct search_case *c = &search_cases[i];
		struct report_query q = { .since = c->since, .until = c->until,
					  .domain = c->domain, .organization = c->org };
		struct domain_scope *sc = NULL;
		struct err err;
		char *want, *got;
		size_t lines = 0;

		if (c->scope != NULL) {
			sc = domain_scope_new();
			assert_int_equal(domain_scope_add(sc, c->scope, &err), 0);
			store_set_scope(s, sc);
		}
		want = page(store_view_reports, s, &q, c->type, c->offset, c->limit);
		got = page(search_offset, s, &q, c->type, c->offset, c->limit);
		for (const char *p = got; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		if (strcmp(want, got) != 0 || lines - 1 < c->min_rows)
			fail_msg("case %zu:\nwant\n%sgot\n%s", i, want, got);
		free(want);
		free(got);
		store_set_scope(s, NULL);
		domain_scope_free(&sc);
	}
}

static void
test_search_pages_equal_view_reports(void **state)
{
	struct store_fixture *f = *state;

	fill(f->s, 60);
	check_search_cases(f->s);
}

/* The schema step that adds report_types fills it from the reports
 * stored before it: the searches by result type find the same reports. */
static void
test_report_types_step_fills_stored_reports(void **state)
{
	struct store_fixture *f = *state;
	struct store *s2;
	struct err err;
	char sql[128];
	int step = 0;

	for (size_t i = 0; i < store_schema_n_programs; i++)
		if (store_schema_programs[i].run == store_report_types_fill)
			step = store_schema_programs[i].version;
	assert_int_not_equal(step, 0);
	fill(f->s, 60);
	snprintf(sql, sizeof(sql), "DELETE FROM report_types;"
		 "DELETE FROM schema_version WHERE version >= %d", step);
	if (db_exec(f->s->db, sql, &err) != 0)
		fail_msg("%s", err.msg);
	s2 = store_test_reopen(f);
	assert_non_null(s2);
	check_search_cases(s2);
	store_close(&s2);
}

/* The report_types rows of s as text, in key order. */
static char *
type_rows(struct store *s)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT domain_key, organization, report, whole,"
					" type_key, start_time FROM report_types"
					" ORDER BY report, whole, domain_key, type_key", NULL);
	struct buf b;
	struct err err;
	int rc;

	assert_non_null(st);
	buf_init(&b, 1u << 20);
	buf_append_str(&b, "");
	while ((rc = db_step(st, &err)) == 1)
		buf_printf(&b, "%s|%s|%lld|%lld|%lld|%lld\n", db_column_text(st, 0),
			   db_column_text(st, 1), (long long)db_column_int64(st, 2),
			   (long long)db_column_int64(st, 3), (long long)db_column_int64(st, 4),
			   (long long)db_column_int64(st, 5));
	db_reset(st);
	assert_int_equal(rc, 0);
	return buf_steal(&b, NULL);
}

/* How many of report_types' indexes are partial ("... WHERE whole = N"),
 * plus 10 when the SQLite table has no rowid. */
static int64_t
type_layout(struct store *s)
{
	const char *sql = db_dialect(s->db) == DB_DIALECT_PG ?
		"SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema()"
		" AND tablename = 'report_types' AND indexdef LIKE '%WHERE (whole = %'" :
		"SELECT (SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'report_types'"
		" AND type = 'index' AND sql LIKE '%WHERE whole = %') + 10 * (SELECT COUNT(*)"
		" FROM sqlite_master WHERE name = 'report_types' AND sql LIKE '%WITHOUT ROWID')";
	struct db_stmt *st = db_prepare(s->db, sql, NULL);
	struct err err;
	int64_t n;

	assert_non_null(st);
	assert_int_equal(db_step(st, &err), 1);
	n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

/* A store of step 14's report_types (a rowid, both indexes over every
 * row) is upgraded by step 16: the same rows, each index over its kind
 * of row (and no rowid on SQLite), the same search pages.  (The test
 * above runs step 16 again on its own result.) */
static void
test_report_types_step16_keeps_rows_and_pages(void **state)
{
	struct store_fixture *f = *state;
	const int64_t layout = f->pg_url != NULL ? 2 : 12;
	struct store *s2;
	struct err err;
	char *want, *got;

	fill(f->s, 60);
	want = type_rows(f->s);
	assert_int_equal(type_layout(f->s), layout);
	/* back to step 13's schema for report_types: steps 14-16 run again */
	if (db_exec(f->s->db, "DROP TABLE report_types;"
		    "DELETE FROM schema_version WHERE version >= 14", &err) != 0)
		fail_msg("%s", err.msg);
	s2 = store_test_reopen(f);
	assert_non_null(s2);
	got = type_rows(s2);
	assert_string_equal(got, want);
	assert_int_equal(type_layout(s2), layout);
	check_search_cases(s2);
	free(got);
	free(want);
	store_close(&s2);
}

/* One page by cursor: its lines appended to b; *info filled. */
static void
cursor_page(struct store *s, const struct report_query *q, const char *type,
	    const struct report_page *pg, struct report_page_info *info, struct buf *b)
{
	struct err err;

	if (store_report_search(s, q, type, pg, info, on_row, b, &err) != 0)
		fail_msg("%s", err.msg);
}

/* Every page of a selection, walked with "next" cursors from the first
 * page and back with "prev" cursors from the last, is the page the same
 * offset gives (and the deep offsets that skip whole days agree too). */
static void
test_cursor_pages_equal_offset_pages(void **state)
{
	struct store_fixture *f = *state;
	static const struct {
		const char *domain, *org, *type, *scope;
		int64_t since, until;
		uint64_t limit;
		size_t min_pages;       /* the walk is not trivially short */
	} cases[] = {
		{ NULL, NULL, NULL, NULL, 0, 0, 7, 9 },
		{ NULL, NULL, NULL, NULL, 0, 0, 1, 60 },
		{ NULL, NULL, NULL, NULL, 0, 0, 100, 1 },
		{ NULL, NULL, NULL, NULL, (DAY0 + 2) * 86400, (DAY0 + 7) * 86400, 4, 8 },
		{ NULL, NULL, NULL, NULL, (DAY0 + 2) * 86400 + 60, 0, 6, 7 },
		{ NULL, "Microsoft", NULL, NULL, 0, 0, 3, 7 },
		{ "shared.example", NULL, NULL, NULL, 0, 0, 4, 8 },
		{ "d1.example", "Yahoo", NULL, NULL, 0, 0, 2, 3 },
		{ NULL, NULL, NULL, "*.example", 0, 0, 5, 12 },
		{ NULL, NULL, "certificate-expired", NULL, 0, 0, 4, 8 },
		{ "shared.example", NULL, "certificate-expired", NULL, 0, 0, 3, 5 },
		{ NULL, NULL, "no-such-type", NULL, 0, 0, 5, 1 },
	};
	size_t i;

	fill(f->s, 60);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report_query q = { .since = cases[i].since, .until = cases[i].until,
					  .domain = cases[i].domain,
					  .organization = cases[i].org };
		struct report_page pg = { .from = REPORT_PAGE_OFFSET, .limit = cases[i].limit };
		struct report_page_info info;
		struct domain_scope *sc = NULL;
		struct err err;
		uint64_t off = 0, total;
		char **pages = NULL;
		size_t n = 0, k;

		if (cases[i].scope != NULL) {
			sc = domain_scope_new();
			assert_int_equal(domain_scope_add(sc, cases[i].scope, &err), 0);
			store_set_scope(f->s, sc);
		}
		/* forward: next cursors; each page equals the offset page */
		for (;;) {
			struct buf b;
			char *want;

			buf_init(&b, 1u << 20);
			buf_append_str(&b, "");
			cursor_page(f->s, &q, cases[i].type, &pg, &info, &b);
			buf_printf(&b, "total %llu\n", (unsigned long long)info.total);
			want = page(store_view_reports, f->s, &q, cases[i].type, off,
				    cases[i].limit);
			pages = xreallocarray(pages, n + 1, sizeof(*pages));
			pages[n++] = buf_steal(&b, NULL);
			if (strcmp(want, pages[n - 1]) != 0)
				fail_msg("case %zu page %zu forward:\nwant\n%sgot\n%s", i, n,
					 want, pages[n - 1]);
			free(want);
			assert_int_equal(info.more_before, off > 0);
			off += info.rows;
			assert_int_equal(info.more_after, off < info.total);
			if (!info.more_after)
				break;
			pg = (struct report_page){ .from = REPORT_PAGE_AFTER,
				.key_start = info.last_start, .key_id = info.last_id,
				.limit = cases[i].limit };
		}
		total = info.total;
		if (n < cases[i].min_pages)
			fail_msg("case %zu: %zu pages, want %zu at least", i, n,
				 cases[i].min_pages);
		/* backward from the last page: prev cursors give the same pages */
		for (k = n - 1; k > 0; k--) {
			struct buf b;
			char *got;

			assert_true(info.more_before);
			pg = (struct report_page){ .from = REPORT_PAGE_BEFORE,
				.key_start = info.first_start, .key_id = info.first_id,
				.limit = cases[i].limit };
			buf_init(&b, 1u << 20);
			buf_append_str(&b, "");
			cursor_page(f->s, &q, cases[i].type, &pg, &info, &b);
			buf_printf(&b, "total %llu\n", (unsigned long long)total);
			got = buf_steal(&b, NULL);
			if (strcmp(pages[k - 1], got) != 0)
				fail_msg("case %zu page %zu backward:\nwant\n%sgot\n%s", i, k,
					 pages[k - 1], got);
			free(got);
			assert_true(info.more_after);
		}
		if (n > 1)
			assert_false(info.more_before);
		for (k = 0; k < n; k++)
			free(pages[k]);
		free(pages);
		store_set_scope(f->s, NULL);
		domain_scope_free(&sc);
	}
}

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
	STORE_TEST(test_search_pages_equal_view_reports),
	STORE_TEST(test_report_types_step_fills_stored_reports),
	STORE_TEST(test_report_types_step16_keeps_rows_and_pages),
	STORE_TEST(test_cursor_pages_equal_offset_pages),
	STORE_TEST(test_metrics_equal_summary),
};

STORE_TEST_MAIN(tests)
