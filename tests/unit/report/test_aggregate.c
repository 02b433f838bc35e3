/* Unit tests for report/aggregate: stored rows (a stub list, no store) →
 * one report per policy domain (sender.md AGG-01, -02, -04, -08, GEN-01,
 * -02, -07, -08, -15, -18, -19). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/aggregate.h"
#include "util/xalloc.h"

#define DAY_D 20778             /* 2026-11-21 */

/* What the emit callback collected: the reports, taken over. */
struct got {
	struct report *r[16];
	char *pd[16];
	int host[16];
	uint64_t failures[16];
	size_t n;
};

static int
collect(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct got *g = ctx;

	(void)err;
	assert_true(g->n < 16);
	g->r[g->n] = o->report;
	g->pd[g->n] = xstrdup(o->policy_domain);
	g->host[g->n] = o->host_report;
	g->failures[g->n] = o->failures;
	g->n++;
	o->report = NULL;
	return 0;
}

static void
got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		report_free(g->r[i]);
		free(g->pd[i]);
	}
}

static const struct aggregate_config cfg = {
	DAY_D, "mail.sender.example", "Sender Org", "tlsrpt@mail.sender.example", NULL, NULL, NULL
};

/* A stub row: policy of type t in domain pd with counters. */
static void
policy_init(struct policy *p, enum policy_type t, const char *pd, uint64_t ok, uint64_t fail)
{
	memset(p, 0, sizeof(*p));
	p->type = t;
	p->policy_type = xstrdup(policy_type_to_string(t));
	p->policy_domain = pd ? xstrdup(pd) : NULL;
	p->total_successful_session_count = ok;
	p->total_failure_session_count = fail;
}

static struct failure_detail *
detail(struct policy *p, enum result_type t, const char *rip, uint64_t n)
{
	struct failure_detail *d = policy_add_failure_detail(p);

	d->type = t;
	d->result_type = xstrdup(result_type_to_string(t));
	d->receiving_ip = rip ? xstrdup(rip) : NULL;
	d->receiving_mx_hostname = xstrdup("mx.example.com");
	d->failed_session_count = n;
	return d;
}

static const struct policy *
find_policy(const struct report *r, const char *type, const char *pd)
{
	for (size_t i = 0; i < r->n_policies; i++)
		if (strcmp(r->policies[i].policy_type, type) == 0 &&
		    strcmp(r->policies[i].policy_domain, pd) == 0)
			return &r->policies[i];
	return NULL;
}

static void
test_sts_sessions_and_identical_failures_are_summed(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy p1, p2;
	struct err err;
	const struct policy *p;

	(void)state;
	/* two rows for example.com (two TLSRPT records seen that day): same policy */
	policy_init(&p1, POLICY_TYPE_STS, "example.com", 3, 6);
	strlist_add(&p1.policy_string, "version: STSv1");
	strlist_add(&p1.mx_host, "mx.example.com");
	detail(&p1, RESULT_STARTTLS_NOT_SUPPORTED, "192.0.2.1", 5);
	policy_init(&p2, POLICY_TYPE_STS, "example.com", 4, 1);
	strlist_add(&p2.policy_string, "version: STSv1");
	strlist_add(&p2.mx_host, "mx.example.com");
	detail(&p2, RESULT_STARTTLS_NOT_SUPPORTED, "192.0.2.1", 1);
	detail(&p2, RESULT_STARTTLS_NOT_SUPPORTED, "192.0.2.2", 1);
	assert_int_equal(aggregate_add(a, "example.com", &p1, &err), 0);
	assert_int_equal(aggregate_add(a, "example.com", &p2, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.pd[0], "example.com");
	assert_int_equal(g.r[0]->n_policies, 1);
	p = &g.r[0]->policies[0];
	assert_int_equal(p->total_successful_session_count, 7);
	assert_int_equal(p->total_failure_session_count, 7);
	assert_int_equal(p->n_failure_details, 2);
	assert_int_equal(p->failure_details[0].failed_session_count, 6);
	assert_string_equal(p->failure_details[0].receiving_ip, "192.0.2.1");
	assert_int_equal(p->failure_details[1].failed_session_count, 1);
	assert_int_equal(g.failures[0], 7 + 6 + 1);
	policy_clear(&p1);
	policy_clear(&p2);
	aggregate_free(&a);
	got_free(&g);
}

static void
test_report_metadata_is_filled_from_config_and_day(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy p;
	struct err err;

	(void)state;
	policy_init(&p, POLICY_TYPE_NO_POLICY_FOUND, NULL, 2, 0);
	assert_int_equal(aggregate_add(a, "Plain.Example.", &p, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.r[0]->organization_name, "Sender Org");
	assert_string_equal(g.r[0]->contact_info, "tlsrpt@mail.sender.example");
	assert_string_equal(g.r[0]->report_id, "20261121.plain.example.1@mail.sender.example");
	assert_string_equal(g.r[0]->start_datetime, "2026-11-21T00:00:00Z");
	assert_string_equal(g.r[0]->end_datetime, "2026-11-21T23:59:59Z");
	/* GEN-07: no-policy-found keeps its domain and writes [] arrays */
	assert_string_equal(g.r[0]->policies[0].policy_type, "no-policy-found");
	assert_string_equal(g.r[0]->policies[0].policy_domain, "plain.example");
	assert_true(g.r[0]->policies[0].has_policy_string);
	assert_true(g.r[0]->policies[0].has_mx_host);
	assert_true(g.r[0]->policies[0].has_failure_details);
	assert_int_equal(g.failures[0], 0);
	policy_clear(&p);
	aggregate_free(&a);
	got_free(&g);
}

static void
test_tlsa_goes_to_the_mx_host_report_and_the_recipient_report(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy sts, tlsa1, tlsa2;
	struct err err;
	const struct policy *p;

	(void)state;
	/* AGG-08: example.com (STS) uses MX mx.example.net (DANE); other.org too */
	policy_init(&sts, POLICY_TYPE_STS, "example.com", 2, 0);
	policy_init(&tlsa1, POLICY_TYPE_TLSA, "mx.example.net", 2, 0);
	strlist_add(&tlsa1.policy_string, "3 1 1 ABCD");
	policy_init(&tlsa2, POLICY_TYPE_TLSA, "mx.example.net", 1, 1);
	strlist_add(&tlsa2.policy_string, "3 1 1 ABCD");
	detail(&tlsa2, RESULT_VALIDATION_FAILURE, "192.0.2.9", 1);
	assert_int_equal(aggregate_add(a, "example.com", &sts, &err), 0);
	assert_int_equal(aggregate_add(a, "example.com", &tlsa1, &err), 0);
	assert_int_equal(aggregate_add(a, "other.org", &tlsa2, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 3);
	/* recipient reports first, in row order, then the MX host's */
	assert_string_equal(g.pd[0], "example.com");
	assert_int_equal(g.host[0], 0);
	assert_int_equal(g.r[0]->n_policies, 2);
	p = find_policy(g.r[0], "sts", "example.com");
	assert_non_null(p);
	assert_int_equal(p->total_successful_session_count, 2);
	p = find_policy(g.r[0], "tlsa", "mx.example.net");
	assert_non_null(p);
	assert_int_equal(p->total_successful_session_count, 2);
	assert_string_equal(g.pd[1], "other.org");
	assert_int_equal(g.r[1]->n_policies, 1);
	assert_string_equal(g.pd[2], "mx.example.net");
	assert_int_equal(g.host[2], 1);
	assert_string_equal(g.r[2]->report_id, "20261121.mx.example.net.2@mail.sender.example");
	assert_int_equal(g.r[2]->n_policies, 1);
	p = &g.r[2]->policies[0];
	assert_int_equal(p->total_successful_session_count, 3);
	assert_int_equal(p->total_failure_session_count, 1);
	assert_int_equal(p->n_failure_details, 1);
	policy_clear(&sts);
	policy_clear(&tlsa1);
	policy_clear(&tlsa2);
	aggregate_free(&a);
	got_free(&g);
}

static void
test_one_session_with_two_failure_types_gives_two_details(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy p;
	struct err err;

	(void)state;
	/* AGG-04: details may sum above total-failure-session-count */
	policy_init(&p, POLICY_TYPE_STS, "example.com", 0, 1);
	detail(&p, RESULT_CERTIFICATE_EXPIRED, "192.0.2.1", 1);
	detail(&p, RESULT_CERTIFICATE_HOST_MISMATCH, "192.0.2.1", 1);
	assert_int_equal(aggregate_add(a, "example.com", &p, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.r[0]->policies[0].total_failure_session_count, 1);
	assert_int_equal(g.r[0]->policies[0].n_failure_details, 2);
	policy_clear(&p);
	aggregate_free(&a);
	got_free(&g);
}

static void
test_empty_strings_become_absent_and_counts_saturate(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy p;
	struct failure_detail *d;
	struct err err;

	(void)state;
	policy_init(&p, POLICY_TYPE_STS, "example.com", (uint64_t)1 << 53, 0);
	d = detail(&p, RESULT_STS_POLICY_FETCH_ERROR, "", 1);
	d->sending_mta_ip = xstrdup("");
	assert_int_equal(aggregate_add(a, "example.com", &p, &err), 0);
	assert_int_equal(aggregate_add(a, "example.com", &p, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_null(g.r[0]->policies[0].failure_details[0].receiving_ip);
	assert_null(g.r[0]->policies[0].failure_details[0].sending_mta_ip);
	assert_int_equal(g.r[0]->policies[0].failure_details[0].failed_session_count, 2);
	assert_int_equal(g.r[0]->policies[0].total_successful_session_count,
			 ((uint64_t)1 << 53) - 1);
	policy_clear(&p);
	aggregate_free(&a);
	got_free(&g);
}

static void
test_domains_are_a_labels_and_bad_names_are_skipped(void **state)
{
	struct got g = { 0 };
	struct aggregate *a = aggregate_new(&cfg, collect, &g);
	struct policy p;
	struct err err;
	char *s;

	(void)state;
	s = aggregate_domain("B\xc3\xbc" "cher.Example");
	assert_string_equal(s, "xn--bcher-kva.example");
	free(s);
	s = aggregate_domain("*.b\xc3\xbc" "cher.example");
	assert_string_equal(s, "*.xn--bcher-kva.example");
	free(s);
	policy_init(&p, POLICY_TYPE_STS, NULL, 1, 0);
	strlist_add(&p.mx_host, "mx.b\xc3\xbc" "cher.example");
	assert_int_equal(aggregate_add(a, "", &p, &err), -1);
	assert_non_null(strstr(err.msg, "not a valid domain"));
	assert_int_equal(aggregate_add(a, "b\xc3\xbc" "cher.example", &p, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.pd[0], "xn--bcher-kva.example");
	assert_string_equal(g.r[0]->policies[0].policy_domain, "xn--bcher-kva.example");
	assert_string_equal(g.r[0]->policies[0].mx_host.v[0], "mx.xn--bcher-kva.example");
	policy_clear(&p);
	aggregate_free(&a);
	got_free(&g);
}

/* Two failure details of one sts policy that must merge into one tuple:
 * what each carries, and the merged tuple expected. */
struct merge_case {
	const char *name;
	const char *sip[2], *rip[2], *info[2];  /* sending IP, receiving IP,
	                                         * additional-information */
	const char *want_sip, *want_rip, *want_info;  /* NULL: absent */
};

static const struct merge_case merge_cases[] = {
	/* GEN-11: RFC 5952 IPv6, IPv4-mapped as IPv4; equal after that = one tuple */
	{ "addresses are canonical and merge",
	  { "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
	  { "::ffff:192.0.2.1", "192.0.2.1" }, { NULL, NULL },
	  "2001:db8::1", "192.0.2.1", NULL },
	/* two private senders and two quoted addresses: one tuple, nothing internal */
	{ "privacy applies before details are merged",
	  { "10.0.0.1", "fd00::2" }, { "192.0.2.1", "192.0.2.1" },
	  { "to a@example.com", "to b@example.org" },
	  NULL, "192.0.2.1", "to [address removed]" },
};

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void
test_details_merge_after_normalisation(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(merge_cases) / sizeof(merge_cases[0]); c++) {
		const struct merge_case *mc = &merge_cases[c];
		struct got g = { 0 };
		struct aggregate *a = aggregate_new(&cfg, collect, &g);
		struct policy p;
		struct failure_detail *d;
		struct err err;

		print_message("case: %s\n", mc->name);
		policy_init(&p, POLICY_TYPE_STS, "example.com", 0, 3);
		for (int i = 0; i < 2; i++) {
			d = detail(&p, RESULT_CERTIFICATE_EXPIRED, mc->rip[i], (uint64_t)i + 1);
			d->sending_mta_ip = xstrdup(mc->sip[i]);
			d->additional_information = mc->info[i] ? xstrdup(mc->info[i]) : NULL;
		}
		assert_int_equal(aggregate_add(a, "example.com", &p, &err), 0);
		assert_int_equal(aggregate_finish(a, &err), 0);
		assert_int_equal(g.r[0]->policies[0].n_failure_details, 1);
		d = &g.r[0]->policies[0].failure_details[0];
		assert_str_or_null(d->sending_mta_ip, mc->want_sip);
		assert_str_or_null(d->receiving_ip, mc->want_rip);
		assert_str_or_null(d->additional_information, mc->want_info);
		assert_int_equal(d->failed_session_count, 3);
		policy_clear(&p);
		aggregate_free(&a);
		got_free(&g);
	}
}

static int
keep_not_same(void *ctx, const char *domain, const char *host)
{
	(void)ctx;
	assert_string_equal(host, "mx.example.net");
	return strcmp(domain, "same-rua.example") != 0;
}

static void
test_host_report_leaves_out_what_keep_in_host_refuses(void **state)
{
	struct aggregate_config c = cfg;
	struct got g = { 0 };
	struct aggregate *a;
	struct policy t1, t2;
	struct err err;

	(void)state;
	c.keep_in_host = keep_not_same;
	a = aggregate_new(&c, collect, &g);
	policy_init(&t1, POLICY_TYPE_TLSA, "mx.example.net", 5, 0);
	policy_init(&t2, POLICY_TYPE_TLSA, "mx.example.net", 2, 0);
	assert_int_equal(aggregate_add(a, "other.example", &t1, &err), 0);
	assert_int_equal(aggregate_add(a, "same-rua.example", &t2, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 3);
	/* both recipient reports carry their TLSA policy ... */
	assert_int_equal(g.r[1]->policies[0].total_successful_session_count, 2);
	/* ... the MX host's report only the one going elsewhere */
	assert_string_equal(g.pd[2], "mx.example.net");
	assert_int_equal(g.r[2]->policies[0].total_successful_session_count, 5);
	policy_clear(&t1);
	policy_clear(&t2);
	aggregate_free(&a);
	got_free(&g);
}

static int
keep_none(void *ctx, const char *domain, const char *host)
{
	(void)ctx;
	(void)domain;
	(void)host;
	return 0;
}

static void
test_host_report_left_empty_is_not_emitted(void **state)
{
	struct aggregate_config c = cfg;
	struct got g = { 0 };
	struct aggregate *a;
	struct policy t;
	struct err err;

	(void)state;
	c.keep_in_host = keep_none;
	a = aggregate_new(&c, collect, &g);
	policy_init(&t, POLICY_TYPE_TLSA, "mx.example.net", 5, 0);
	assert_int_equal(aggregate_add(a, "example.com", &t, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.pd[0], "example.com");
	policy_clear(&t);
	aggregate_free(&a);
	got_free(&g);
}

/* What collect_refusing collects: the first `refuse` reports are refused. */
struct refusing {
	struct got got;
	int refuse;
};

static int
collect_refusing(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct refusing *rf = ctx;

	if (rf->refuse > 0) {
		rf->refuse--;
		err_set(err, "emit refused %s", o->policy_domain);
		return -1;
	}
	return collect(&rf->got, o, err);
}

static void
test_row_that_ends_a_failed_report_is_kept(void **state)
{
	struct refusing rf = { .refuse = 1 };
	struct got *g = &rf.got;
	struct aggregate *a = aggregate_new(&cfg, collect_refusing, &rf);
	struct policy p1, p2;
	struct err err;

	(void)state;
	/* emitting a.example fails when b.example's first row arrives: the
	 * error is returned, and that row still starts b.example's report */
	policy_init(&p1, POLICY_TYPE_STS, "a.example", 1, 0);
	policy_init(&p2, POLICY_TYPE_STS, "b.example", 5, 0);
	assert_int_equal(aggregate_add(a, "a.example", &p1, &err), 0);
	assert_int_equal(aggregate_add(a, "b.example", &p2, &err), -1);
	assert_non_null(strstr(err.msg, "emit refused a.example"));
	assert_int_equal(aggregate_add(a, "b.example", &p2, &err), 0);
	assert_int_equal(aggregate_finish(a, &err), 0);
	assert_int_equal(g->n, 1);
	assert_string_equal(g->pd[0], "b.example");
	assert_int_equal(g->r[0]->policies[0].total_successful_session_count, 10);
	policy_clear(&p1);
	policy_clear(&p2);
	aggregate_free(&a);
	got_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sts_sessions_and_identical_failures_are_summed),
		cmocka_unit_test(test_report_metadata_is_filled_from_config_and_day),
		cmocka_unit_test(test_tlsa_goes_to_the_mx_host_report_and_the_recipient_report),
		cmocka_unit_test(test_one_session_with_two_failure_types_gives_two_details),
		cmocka_unit_test(test_empty_strings_become_absent_and_counts_saturate),
		cmocka_unit_test(test_domains_are_a_labels_and_bad_names_are_skipped),
		cmocka_unit_test(test_details_merge_after_normalisation),
		cmocka_unit_test(test_host_report_leaves_out_what_keep_in_host_refuses),
		cmocka_unit_test(test_host_report_left_empty_is_not_emitted),
		cmocka_unit_test(test_row_that_ends_a_failed_report_is_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
