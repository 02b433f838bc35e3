/* Unit tests for store/store_report_search: on a store of reports with
 * several domains, organizations, days and failure details
 * (search_test.h), store_report_search() gives the pages
 * store_view_reports() gives (a table of selections, result types, offsets
 * and scopes), by offset and by cursor, also across schema steps 14 and 16. */
#include "unit/store/search_test.h"

#include "model/domain_scope.h"
#include "model/report.h"
#include "store/store_report_search.h"
#include "store/store_report_types.h"
#include "store/store_reports.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/xalloc.h"

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

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_search_pages_equal_view_reports),
	STORE_TEST(test_report_types_step_fills_stored_reports),
	STORE_TEST(test_report_types_step16_keeps_rows_and_pages),
	STORE_TEST(test_cursor_pages_equal_offset_pages),
};

STORE_TEST_MAIN(tests)
