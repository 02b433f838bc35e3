/* What the report search and metrics tests share
 * (test_store_report_search.c, test_store_metrics.c): a store of reports
 * with several domains, organizations, days and failure details.  Only for
 * those tests: every function is static inline. */
#ifndef TLSRPT_TESTS_UNIT_STORE_SEARCH_TEST_H
#define TLSRPT_TESTS_UNIT_STORE_SEARCH_TEST_H

#include <stdio.h>

#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_reports.h"
#include "util/xalloc.h"

#define DAY0 20000              /* 2024-10-04 */

static inline void
add_failure(struct policy *p, const char *type, uint64_t n)
{
	struct failure_detail *f = policy_add_failure_detail(p);

	f->result_type = type != NULL ? xstrdup(type) : NULL;
	f->type = result_type_from_string(type != NULL ? type : "");
	f->receiving_mx_hostname = xstrdup("mx1.d.example");
	f->failed_session_count = n;
}

static inline struct policy *
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
static inline struct report *
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

static inline void
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

#endif
