/* What the roll-up tests share (test_store_rollup.c, test_store_midday.c,
 * test_store_policies.c): reports of a fixed shape, storing them, views and
 * SQL rows as sorted text.  Only for those tests: every function is static inline. */
#ifndef TLSRPT_TESTS_UNIT_STORE_ROLLUP_TEST_H
#define TLSRPT_TESTS_UNIT_STORE_ROLLUP_TEST_H

#include <stdlib.h>
#include <string.h>

#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_reports.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define DAY0 20000              /* 2024-10-04 */

static inline void
add_failure(struct policy *p, const char *type, const char *mx, const char *ip,
	    const char *info, const char *code, uint64_t n)
{
	struct failure_detail *f = policy_add_failure_detail(p);

	f->result_type = type != NULL ? xstrdup(type) : NULL;
	f->type = result_type_from_string(type != NULL ? type : "");
	f->receiving_mx_hostname = mx != NULL ? xstrdup(mx) : NULL;
	f->sending_mta_ip = ip != NULL ? xstrdup(ip) : NULL;
	f->additional_information = info != NULL ? xstrdup(info) : NULL;
	f->failure_reason_code = code != NULL ? xstrdup(code) : NULL;
	f->failed_session_count = n;
}

static inline struct policy *
add_policy(struct report *r, const char *domain, const char *type, uint64_t ok, uint64_t bad)
{
	struct policy *p = report_add_policy(r);

	p->policy_domain = domain != NULL ? xstrdup(domain) : NULL;
	p->policy_type = xstrdup(type);
	p->type = strcmp(type, "sts") == 0 ? POLICY_TYPE_STS : POLICY_TYPE_NO_POLICY_FOUND;
	p->total_successful_session_count = ok;
	p->total_failure_session_count = bad;
	p->has_failure_details = 1;
	return p;
}

/* Report i: of day DAY0 + i % 6, organization i % 3, with one to three
 * policies (two of one domain under two policy types, one without domain)
 * and failure details sharing a group. */
static inline struct report *
make(int i, uint64_t extra)
{
	static const char *const orgs[] = { "Google Inc.", "Microsoft", "" };
	struct report *r = report_new();
	struct policy *p;
	char dom[32];

	r->organization_name = xstrdup(orgs[i % 3]);
	r->report_id = xasprintf("r%d", i);
	r->start = (int64_t)(DAY0 + i % 6) * 86400 + (i % 2) * 3600;
	r->end = r->start + 86399;
	snprintf(dom, sizeof(dom), "D%d.Example.", i % 4);
	p = add_policy(r, dom, "sts", 100 + (uint64_t)i + extra, (uint64_t)(i % 3));
	if (i % 3 > 0) {
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.1", "z info", NULL, 1);
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.2", "a info", "X1", 1);
	}
	if (i % 2 == 0) {
		p = add_policy(r, dom, "tlsa", 5, 1);
		add_failure(p, "certificate-expired", "mx1.d.example", "192.0.2.3", NULL, NULL, 1);
		add_failure(p, NULL, NULL, "", "", "", 2);
	}
	if (i % 5 == 0)
		add_policy(r, NULL, "no-policy-found", 7, 0);
	return r;
}

static inline void
put(struct store *s, struct report *r, int64_t received, int want)
{
	struct report_source src = { .channel = "test", .name = "t", .received = received };
	struct err err;
	int rc = store_put_report(s, r, &src, &err);

	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rc, want);
	report_free(r);
}

static inline int
cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline int
on_row_text(void *ctx, const struct store_view_row *r)
{
	buf_printf(ctx, "%s|%s|%llu|%llu|%llu|%lld|%lld\n", r->k1 ? r->k1 : "-",
		   r->k2 ? r->k2 : "-", (unsigned long long)r->reports,
		   (unsigned long long)r->success, (unsigned long long)r->failure,
		   (long long)r->first_start, (long long)r->last_received);
	return 0;
}

static inline int
on_failure_text(void *ctx, const struct store_view_failure *f)
{
	buf_printf(ctx, "%s|%s|%s|%llu|%llu|%lld|%lld|%s\n", f->domain, f->result_type, f->mx,
		   (unsigned long long)f->sessions, (unsigned long long)f->reports,
		   (long long)f->first_seen, (long long)f->last_seen,
		   f->additional_information ? f->additional_information : "(null)");
	return 0;
}

/* Appends the lines of part (freed) to b, sorted: the order of groups is
 * the database's, not part of the contract. */
static inline void
append_sorted(struct buf *b, struct buf *part)
{
	char *text = buf_steal(part, NULL), **lines = NULL, *p, *save = NULL;
	size_t nl = 0, k;

	for (p = strtok_r(text, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save)) {
		lines = xreallocarray(lines, nl + 1, sizeof(*lines));
		lines[nl++] = p;
	}
	if (nl > 1)
		qsort(lines, nl, sizeof(*lines), cmp_lines);
	for (k = 0; k < nl; k++)
		buf_printf(b, "%s\n", lines[k]);
	free(lines);
	free(text);
}

/* The rows of sql (freed) as sorted text: each row its first n_text
 * columns as text, then n_int columns as integers, joined by '|'. */
static inline char *
sql_rows_text(struct store *s, char *sql, int n_text, int n_int)
{
	struct buf b, part;
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int rc, c;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	while ((rc = db_step(st, &err)) == 1) {
		for (c = 0; c < n_text + n_int; c++) {
			if (c < n_text)
				buf_printf(&part, "%s%s", c > 0 ? "|" : "", db_column_text(st, c));
			else
				buf_printf(&part, "%s%lld", c > 0 ? "|" : "",
					   (long long)db_column_int64(st, c));
		}
		buf_append_str(&part, "\n");
	}
	db_reset(st);
	assert_int_equal(rc, 0);
	free(sql);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* What store_view_groups() gives for q and by, each row written by cb, as
 * sorted text (the caller frees it). */
static inline char *
groups_text(struct store *s, const struct report_query *q, enum store_view_by by,
	    store_view_row_cb cb)
{
	struct buf b, part;
	struct err err;

	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	if (store_view_groups(s, q, by, cb, &part, &err) != 0)
		fail_msg("%s", err.msg);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

#endif
