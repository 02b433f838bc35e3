/* Unit tests for store/store_summary: per-day and per-failure totals. */
#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_reports.h"
#include "store/store_summary.h"
#include "util/xalloc.h"

#define DAY0 20454   /* 2026-01-01 */

struct spec {
	const char *org, *id, *domain;
	int day;
	uint64_t ok, failed;
	const char *ftype;      /* one failure detail with all failed sessions, or NULL */
	const char *mx;
};

static const struct spec reports[] = {
	{ "google.com", "g1", "A.example", 0, 100, 5, "certificate-expired", "mx1.a.example" },
	{ "google.com", "g2", "a.example", 1, 50, 0, NULL, NULL },
	{ "Microsoft", "m1", "a.example", 0, 10, 7, "certificate-expired", "mx1.a.example" },
	{ "Microsoft", "m2", "b.example", 0, 3, 2, "starttls-not-supported", "mx.b.example" },
	{ "google.com", "g3", "a.example", 5, 1, 1, "validation-failure", "mx2.a.example" },
};

static void
load(struct store *s)
{
	struct err err;

	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		const struct spec *sp = &reports[i];
		struct report *r = report_new();
		struct policy *p = report_add_policy(r);

		r->organization_name = xstrdup(sp->org);
		r->report_id = xstrdup(sp->id);
		r->start = (int64_t)(DAY0 + sp->day) * 86400;
		r->end = r->start + 86399;
		p->policy_type = xstrdup("sts");
		p->policy_domain = xstrdup(sp->domain);
		p->total_successful_session_count = sp->ok;
		p->total_failure_session_count = sp->failed;
		if (sp->ftype != NULL) {
			struct failure_detail *d = policy_add_failure_detail(p);

			d->result_type = xstrdup(sp->ftype);
			d->receiving_mx_hostname = xstrdup(sp->mx);
			d->failed_session_count = sp->failed;
		}
		assert_int_equal(store_put_report(s, r, NULL, &err), 1);
		report_free(r);
	}
}

struct rows {
	size_t n;
	char line[16][160];
};

static int
row_cb(void *ctx, const struct store_summary_row *r)
{
	struct rows *w = ctx;

	snprintf(w->line[w->n++], 160, "%lld %s %s %llu/%llu r%llu", (long long)(r->day - DAY0),
		 r->domain, r->organization, (unsigned long long)r->success, (unsigned long long)r->failure,
		 (unsigned long long)r->reports);
	return 0;
}

static int
failure_cb(void *ctx, const struct store_summary_failure *f)
{
	struct rows *w = ctx;

	snprintf(w->line[w->n++], 160, "%s %s %s %llu r%llu", f->domain,
		 f->result_type ? f->result_type : "-",
		 f->receiving_mx_hostname ? f->receiving_mx_hostname : "-",
		 (unsigned long long)f->sessions, (unsigned long long)f->reports);
	return 0;
}

static void
test_summary_days_group_by_day_domain_and_organization(void **state)
{
	struct store_fixture *f = *state;
	/* organizations sort byte-wise: "Microsoft" < "google.com" */
	static const char *const want[] = {
		"0 a.example Microsoft 10/7 r1",
		"0 a.example google.com 100/5 r1",
		"1 a.example google.com 50/0 r1",
		"0 b.example Microsoft 3/2 r1",
	};
	struct rows w = { 0 };
	struct err err;

	load(f->s);
	assert_int_equal(store_summary_days(f->s, (int64_t)DAY0 * 86400,
					    (int64_t)(DAY0 + 2) * 86400, NULL, row_cb, &w, &err), 0);
	assert_int_equal(w.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(w.line[i], want[i]);
}

static void
test_summary_domain_filter_is_case_insensitive_and_open_ended(void **state)
{
	struct store_fixture *f = *state;
	struct rows w = { 0 };
	struct err err;

	load(f->s);
	assert_int_equal(store_summary_days(f->s, 0, 0, "A.EXAMPLE", row_cb, &w, &err), 0);
	assert_int_equal(w.n, 4);
	assert_string_equal(w.line[3], "5 a.example google.com 1/1 r1");
}

static void
test_summary_failures_sum_sessions_most_first(void **state)
{
	struct store_fixture *f = *state;
	struct rows w = { 0 };
	struct err err;

	load(f->s);
	assert_int_equal(store_summary_failures(f->s, 0, (int64_t)(DAY0 + 5) * 86400, NULL,
						failure_cb, &w, &err), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.line[0], "a.example certificate-expired mx1.a.example 12 r2");
	assert_string_equal(w.line[1], "b.example starttls-not-supported mx.b.example 2 r1");
}

/* "A.example." is a.example; a report naming it twice (sts and tlsa) is one
 * report of its day; store_summary_reports() counts reports once. */
static void
test_summary_domain_key_and_one_count_per_report(void **state)
{
	struct store_fixture *f = *state;
	struct report *r = report_new();
	struct policy *p;
	struct rows w = { 0 };
	struct err err;
	uint64_t n;

	load(f->s);
	r->organization_name = xstrdup("Microsoft");
	r->report_id = xstrdup("m3");
	r->start = (int64_t)(DAY0 + 1) * 86400 + 3600;  /* counts on day 1, ends on day 2 */
	r->end = r->start + 86400;
	for (int i = 0; i < 3; i++) {
		p = report_add_policy(r);
		p->policy_type = xstrdup(i == 1 ? "tlsa" : "sts");
		p->policy_domain = xstrdup(i == 2 ? "c.example" : i == 1 ? "A.EXAMPLE." : "a.example.");
		p->total_successful_session_count = 2;
	}
	assert_int_equal(store_put_report(f->s, r, NULL, &err), 1);
	report_free(r);
	assert_int_equal(store_summary_days(f->s, (int64_t)(DAY0 + 1) * 86400,
					    (int64_t)(DAY0 + 2) * 86400, "a.EXAMPLE.", row_cb, &w,
					    &err), 0);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.line[0], "1 a.example Microsoft 4/0 r1");
	assert_string_equal(w.line[1], "1 a.example google.com 50/0 r1");
	assert_int_equal(store_summary_reports(f->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 6);
	assert_int_equal(store_summary_reports(f->s, 0, 0, "A.example.", &n, &err), 0);
	assert_int_equal(n, 5);
	/* the window starts on day 2: m3 overlaps it but started before */
	assert_int_equal(store_summary_reports(f->s, (int64_t)(DAY0 + 2) * 86400, 0, NULL, &n,
					       &err), 0);
	assert_int_equal(n, 1);
}

/* Domain "" is the policies without policy-domain, and only them; NULL
 * is every domain. */
static void
test_summary_empty_domain_is_the_policies_without_one(void **state)
{
	struct store_fixture *f = *state;
	struct report *r = report_new();
	struct policy *p;
	struct failure_detail *d;
	struct rows w = { 0 };
	struct err err;
	uint64_t n;

	load(f->s);
	r->organization_name = xstrdup("Yahoo");
	r->report_id = xstrdup("y1");
	r->start = (int64_t)(DAY0 + 2) * 86400;
	r->end = r->start + 86399;
	p = report_add_policy(r);
	p->policy_type = xstrdup("no-policy-found");
	p->total_successful_session_count = 8;
	p->total_failure_session_count = 4;
	d = policy_add_failure_detail(p);
	d->result_type = xstrdup("dnssec-invalid");
	d->failed_session_count = 4;
	p = report_add_policy(r);
	p->policy_type = xstrdup("sts");
	p->policy_domain = xstrdup("a.example");
	p->total_successful_session_count = 30;
	p->total_failure_session_count = 9;
	assert_int_equal(store_put_report(f->s, r, NULL, &err), 1);
	report_free(r);
	assert_int_equal(store_summary_days(f->s, 0, 0, "", row_cb, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.line[0], "2  Yahoo 8/4 r1");
	w.n = 0;
	assert_int_equal(store_summary_failures(f->s, 0, 0, "", failure_cb, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.line[0], " dnssec-invalid - 4 r1");
	assert_int_equal(store_summary_reports(f->s, 0, 0, "", &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_summary_reports(f->s, (int64_t)(DAY0 + 3) * 86400, 0, "", &n,
					       &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_summary_reports(f->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 6);
	w.n = 0;
	assert_int_equal(store_summary_days(f->s, 0, 0, NULL, row_cb, &w, &err), 0);
	assert_int_equal(w.n, 7);
	assert_string_equal(w.line[0], "2  Yahoo 8/4 r1");
}

/* Step 4 strips the trailing dot from domain keys stored before it. */
static void
test_summary_upgrade_strips_trailing_dot_of_stored_keys(void **state)
{
	struct store_fixture *f = *state;
	struct store *s2;
	struct rows w = { 0 };
	struct err err;

	load(f->s);
	assert_int_equal(db_exec(f->s->db, "UPDATE report_policies SET domain_key ="
				 " domain_key || '.' WHERE domain_key = 'b.example';"
				 /* undo what later steps added */
				 "DROP TABLE report_conflicts; DROP TABLE fetch_seen;"
				 "ALTER TABLE reports DROP COLUMN content_digest;"
				 "DELETE FROM schema_version WHERE version >= 4", &err), 0);
	s2 = store_test_reopen(f);
	assert_non_null(s2);
	assert_int_equal(store_summary_days(s2, 0, 0, "b.example", row_cb, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.line[0], "0 b.example Microsoft 3/2 r1");
	store_close(&s2);
}

/* Stores one report of org/id for a policy-domain, with ok/failed sessions. */
static void
put_one(struct store *s, const char *org, const char *id, const char *domain, uint64_t ok)
{
	struct err err;
	struct report *r = report_new();
	struct policy *p = report_add_policy(r);

	r->organization_name = xstrdup(org);
	r->report_id = xstrdup(id);
	r->start = (int64_t)DAY0 * 86400;
	r->end = r->start + 86399;
	p->policy_type = xstrdup("sts");
	p->policy_domain = xstrdup(domain);
	p->total_successful_session_count = ok;
	assert_int_equal(store_put_report(s, r, NULL, &err), 1);
	report_free(r);
}

/* A domain received as U-label and as A-label is one domain, however the
 * filter spells it (IDNA 2008 via report_domain_key()). */
static void
test_summary_idn_u_label_and_a_label_are_one_domain(void **state)
{
	struct store_fixture *f = *state;
	static const char *const filters[] = { "bücher.example", "XN--BCHER-KVA.example.",
					       "BÜCHER.example" };
	struct err err;

	put_one(f->s, "Org", "u", "bücher.example", 3);
	put_one(f->s, "Org", "a", "xn--bcher-kva.example", 4);
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
		struct rows w = { 0 };

		assert_int_equal(store_summary_days(f->s, 0, 0, filters[i], row_cb, &w, &err), 0);
		assert_int_equal(w.n, 1);
		assert_string_equal(w.line[0], "0 xn--bcher-kva.example Org 7/0 r2");
	}
}

/* The IDNA schema step rewrites the keys stored before it (as U-labels). */
static void
test_summary_upgrade_turns_stored_u_label_keys_into_a_labels(void **state)
{
	struct store_fixture *f = *state;
	struct store *s2;
	struct rows w = { 0 };
	struct err err;
	char sql[256];

	put_one(f->s, "Org", "u", "Bücher.example", 3);
	/* back to before the step (its SQL adds the conflict table) */
	snprintf(sql, sizeof(sql), "UPDATE report_policies SET domain_key = 'bücher.example';"
		 "DROP TABLE report_conflicts; DROP TABLE fetch_seen;"
		 "ALTER TABLE reports DROP COLUMN content_digest;"
		 "DELETE FROM schema_version WHERE version >= %d", store_schema_programs[0].version);
	assert_int_equal(db_exec(f->s->db, sql, &err), 0);
	s2 = store_test_reopen(f);
	assert_non_null(s2);
	assert_int_equal(store_summary_days(s2, 0, 0, NULL, row_cb, &w, &err), 0);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.line[0], "0 xn--bcher-kva.example Org 3/0 r1");
	store_close(&s2);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_summary_days_group_by_day_domain_and_organization),
	STORE_TEST(test_summary_domain_filter_is_case_insensitive_and_open_ended),
	STORE_TEST(test_summary_failures_sum_sessions_most_first),
	STORE_TEST(test_summary_domain_key_and_one_count_per_report),
	STORE_TEST(test_summary_empty_domain_is_the_policies_without_one),
	STORE_TEST(test_summary_upgrade_strips_trailing_dot_of_stored_keys),
	STORE_TEST(test_summary_idn_u_label_and_a_label_are_one_domain),
	STORE_TEST(test_summary_upgrade_turns_stored_u_label_keys_into_a_labels),
};

STORE_TEST_MAIN(tests)
