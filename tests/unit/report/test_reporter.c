/* Unit tests for report/reporter (with report/rua and store/store_outbox):
 * stored results → reports in the outbox, with the TLSRPT lookup answered
 * by the stub resolver; the stored JSON is read back with our own parser
 * (report_parse_json).  Record rules REC-13/27/28, GEN-01/02/17, SCHED-02/04. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "model/report_json.h"
#include "net/dns.h"
#include "report/naming.h"
#include "report/reporter.h"
#include "report/rua.h"
#include "report/schedule.h"
#include "store/store_outbox.h"
#include "store/store_results.h"
#include "util/xalloc.h"

#define DAY_D 20778             /* 2026-11-21 */
#define NOW (20779LL * 86400 + 3600)

/* Stub DNS: _smtp._tls.<label>.example → answers by the first label. */
static int
stub(void *ctx, const char *qname, enum dns_type type, struct dns_answer *ans, struct err *err)
{
	(void)ctx;
	(void)err;
	assert_int_equal(type, DNS_TXT);
	ans->status = DNS_OK;
	if (strcmp(qname, "_smtp._tls.mail.example") == 0) {
		strlist_add(&ans->rr, "v=spf1 -all");
		strlist_add(&ans->rr, "v=TLSRPTv1; rua=mailto:tls%2Brpt@mail.example,"
				      "https://r.example/x,mailto:tls%2Brpt@mail.example");
	} else if (strcmp(qname, "_smtp._tls.two.example") == 0) {
		strlist_add(&ans->rr, "v=TLSRPTv1; rua=mailto:a@two.example");
		strlist_add(&ans->rr, "v=TLSRPTv1; rua=mailto:b@two.example");
	} else if (strcmp(qname, "_smtp._tls.sm.example") == 0) {
		strlist_add(&ans->rr, "v=TLSRPTv1; rua=mailto:tls@sm.example");
	} else if (strcmp(qname, "_smtp._tls.sf.example") == 0) {
		ans->status = DNS_SERVFAIL;
	} else {
		ans->status = DNS_NXDOMAIN;
	}
	return 0;
}

struct fixture {
	char dir[64];
	char url[96];
	struct store *s;
	struct dns *dns;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err err;

	snprintf(f->dir, sizeof(f->dir), "/tmp/tlsrpt-reporter.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->url, sizeof(f->url), "sqlite:%s/db", f->dir);
	f->s = store_open(f->url, &err);
	assert_non_null(f->s);
	f->dns = dns_new_stub(stub, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	store_close(&f->s);
	dns_free(f->dns);
	for (const char *sfx = "db\0db-wal\0db-shm\0"; *sfx; sfx += strlen(sfx) + 1) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, sfx);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* n sessions for domain (k of them failed with starttls-not-supported). */
static void
put(struct store *s, const char *domain, int n, int k)
{
	struct result *v = xcalloc((size_t)n, sizeof(*v));
	struct err err;

	for (int i = 0; i < n; i++) {
		v[i].day = DAY_D;
		v[i].domain = xstrdup(domain);
		v[i].policy_type = POLICY_TYPE_STS;
		v[i].policy_domain = xstrdup(domain);
		strlist_add(&v[i].policy_string, "version: STSv1");
		strlist_add(&v[i].mx_host, "mx.example.net");
		if (i < k) {
			struct result_failure *x = result_add_failure(&v[i]);

			v[i].failed = 1;
			x->type = RESULT_STARTTLS_NOT_SUPPORTED;
			x->code = result_type_to_sys4_code(x->type);
			x->receiving_mx_hostname = xstrdup("mx.example.net");
			x->receiving_ip = xstrdup("192.0.2.25");
		}
	}
	assert_int_equal(store_put_results(s, v, (size_t)n, &err), 0);
	for (int i = 0; i < n; i++)
		result_clear(&v[i]);
	free(v);
}

static struct reporter *
reporter(struct fixture *f, int only_failures)
{
	struct reporter_config c = { 0 };
	struct err err;
	struct reporter *r;

	c.submitter = "sender.example";
	c.organization = "Sender Org";
	c.only_failures = only_failures;
	r = reporter_new(&c, f->dns, &err);
	assert_non_null(r);
	return r;
}

static void
test_rua_lookup_applies_the_record_rules(void **state)
{
	struct fixture *f = *state;
	struct strlist d = { 0 };
	struct err err;

	assert_int_equal(rua_lookup(f->dns, "mail.example", &d, &err), RUA_FOUND);
	assert_int_equal(d.n, 2);       /* duplicate dropped, SPF record ignored (REC-14) */
	assert_string_equal(d.v[0], "mailto:tls+rpt@mail.example");   /* REC-21 */
	assert_string_equal(d.v[1], "https://r.example/x");
	strlist_clear(&d);
	assert_int_equal(rua_lookup(f->dns, "two.example", &d, &err), RUA_NONE);   /* REC-13 */
	assert_int_equal(rua_lookup(f->dns, "none.example", &d, &err), RUA_NONE);  /* REC-27 */
	assert_non_null(strstr(err.msg, "nxdomain"));
	assert_int_equal(rua_lookup(f->dns, "sf.example", &d, &err), RUA_TEMPFAIL); /* REC-28 */
	assert_int_equal(d.n, 0);
}

static void
test_generated_report_parses_back_with_our_parser(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 0);
	struct reporter_stats st = { 0 };
	struct report *rep;
	struct err err;
	char *json;

	put(f->s, "mail.example", 7, 2);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(st.reports, 1);
	assert_int_equal(st.stored, 1);
	json = store_outbox_json(f->s, "20261121.mail.example.1@sender.example", &err);
	assert_non_null(json);
	rep = report_parse_json(json, strlen(json), &err);
	assert_non_null(rep);
	assert_int_equal(rep->quirks.n, 0);
	assert_string_equal(rep->organization_name, "Sender Org");
	assert_string_equal(rep->contact_info, "postmaster@sender.example");
	assert_int_equal(rep->start, 20778LL * 86400);
	assert_int_equal(rep->end, 20778LL * 86400 + 86399);
	assert_int_equal(rep->n_policies, 1);
	assert_int_equal(rep->policies[0].type, POLICY_TYPE_STS);
	assert_string_equal(rep->policies[0].policy_domain, "mail.example");
	assert_int_equal(rep->policies[0].total_successful_session_count, 5);
	assert_int_equal(rep->policies[0].total_failure_session_count, 2);
	assert_int_equal(rep->policies[0].n_failure_details, 1);
	assert_int_equal(rep->policies[0].failure_details[0].type, RESULT_STARTTLS_NOT_SUPPORTED);
	assert_int_equal(rep->policies[0].failure_details[0].failed_session_count, 2);
	assert_int_equal(store_outbox_count(f->s, NULL, "pending", &err), 2);
	report_free(rep);
	free(json);
	reporter_free(&r);
}

static void
test_regenerating_a_day_queues_nothing_twice(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 0);
	struct reporter_stats st = { 0 };
	struct err err;
	char *a, *b;

	put(f->s, "mail.example", 3, 0);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	a = store_outbox_json(f->s, "20261121.mail.example.1@sender.example", &err);
	/* a crash before the results were deleted: the same results come again */
	put(f->s, "mail.example", 3, 0);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW + 10, &st, &err), 0);
	b = store_outbox_json(f->s, "20261121.mail.example.1@sender.example", &err);
	assert_int_equal(st.stored, 1);
	assert_int_equal(st.duplicates, 1);
	assert_string_equal(a, b);      /* GEN-17: same id, same bytes */
	assert_int_equal(store_outbox_count(f->s, NULL, NULL, &err), 2);
	free(a);
	free(b);
	reporter_free(&r);
}

static void
test_record_rules_drop_or_defer_reports(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 0);
	struct reporter_stats st = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;

	put(f->s, "none.example", 1, 0);
	put(f->s, "two.example", 1, 0);
	put(f->s, "sf.example", 1, 0);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(st.reports, 3);
	assert_int_equal(st.no_record, 2);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(store_outbox_lookups_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);         /* not before the backoff */
	assert_int_equal(store_outbox_lookups_due(f->s, NOW + 300, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].policy_domain, "sf.example");
	store_outbox_items_free(it, n);
	/* the retried lookup fails again: counted, so `tlsrpt send` exits 1 */
	memset(&st, 0, sizeof(st));
	assert_int_equal(reporter_run_due(r, f->s, NOW + 300, &st, &err), 0);
	assert_int_equal(st.deferred, 1);
	assert_int_equal(st.sent + st.retry + st.failed, 0);
	/* still failing two days later: given up (the report is dropped), counted */
	memset(&st, 0, sizeof(st));
	assert_int_equal(reporter_run_due(r, f->s, NOW + 2 * 86400, &st, &err), 0);
	assert_int_equal(st.deferred, 0);
	assert_int_equal(st.lookup_given_up, 1);
	reporter_free(&r);
}

static void
test_only_failures_skips_all_success_reports(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 1);
	struct reporter_stats st = { 0 };
	struct err err;

	put(f->s, "mail.example", 4, 0);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(st.only_success, 1);
	assert_int_equal(st.stored, 0);
	reporter_free(&r);
}

static void
test_claimed_delivery_is_never_claimed_again(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 0);
	struct reporter_stats st = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;

	put(f->s, "mail.example", 1, 0);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_claim(f->s, it[0].id, NOW, &err), 1);
	/* SCHED-02: a crash now leaves it "sending"; it is not due any more */
	assert_int_equal(store_outbox_claim(f->s, it[0].id, NOW, &err), 0);
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_due(f->s, NOW + 86400, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	store_outbox_items_free(it, n);
	reporter_free(&r);
}

/* A clock that says the run has gone on for two hours. */
static int64_t
two_hours_on(void *ctx)
{
	(void)ctx;
	return NOW + 7200;
}

/* The lease of a claim starts when the delivery is claimed, not when the
 * run started: a run that has gone on for an hour (slow receivers, 120 s
 * each) must not claim with a lease already over, which a concurrent
 * `send --retry-interrupted` would requeue while it is being sent.  The
 * sendmail command reads the lease from the store during the attempt. */
static void
test_lease_starts_at_the_claim(void **state)
{
	struct fixture *f = *state;
	const struct schedule_clock clock = { two_hours_on, NULL, NULL };
	struct reporter_config c = { 0 };
	struct reporter_stats st = { 0 };
	struct reporter *r;
	struct err err;
	char cmd[512], path[128], got[64] = "";
	FILE *fp;

	if (system("command -v sqlite3 >/dev/null 2>&1") != 0)
		skip();
	snprintf(path, sizeof(path), "%s/lease", f->dir);
	snprintf(cmd, sizeof(cmd), "cat >/dev/null; sqlite3 %s/db \"SELECT next_try FROM"
		 " outbox_deliveries WHERE state = 'sending'\" > %s", f->dir, path);
	c.submitter = "sender.example";
	c.sendmail = cmd;
	c.clock = &clock;
	r = reporter_new(&c, f->dns, &err);
	assert_non_null(r);
	put(f->s, "sm.example", 1, 1);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(reporter_run_due(r, f->s, NOW, &st, &err), 0);
	assert_int_equal(st.sent, 1);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(got, sizeof(got), fp));
	fclose(fp);
	unlink(path);
	assert_int_equal(strtoll(got, NULL, 10), NOW + 7200 + STORE_OUTBOX_LEASE);
	reporter_free(&r);
}

/* A mailto: destination with neither SMTP nor sendmail configured: the
 * delivery stays pending, an hour later, and says why; nothing counted. */
static void
test_mail_without_a_transport_waits_an_hour(void **state)
{
	struct fixture *f = *state;
	struct reporter *r = reporter(f, 0);
	struct reporter_stats st = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;

	put(f->s, "sm.example", 1, 1);
	assert_int_equal(reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err), 0);
	assert_int_equal(reporter_run_due(r, f->s, NOW, &st, &err), 0);
	assert_int_equal(st.sent + st.retry + st.failed, 0);
	assert_int_equal(store_outbox_due(f->s, NOW + 3599, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_due(f->s, NOW + 3600, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].attempts, 0);
	store_outbox_items_free(it, n);
	reporter_free(&r);
}

/* --dry-run over more reports than the writer queues (dry_writer.h): each
 * report's file is written; a file that cannot be written (a directory
 * is in its place) fails the run with its name and the system's reason,
 * after the earlier ones. */
static void
test_dry_run_writes_every_report_and_fails_on_a_file(void **state)
{
	static const struct {
		const char *name;
		int blocked;            /* report number whose file is a directory, or -1 */
	} cases[] = { { "all written", -1 }, { "one file blocked", 100 } };
	struct fixture *f = *state;
	char domain[32], path[256];

	for (int i = 0; i < 150; i++) {
		snprintf(domain, sizeof(domain), "d%03d.example", i);
		put(f->s, domain, 1, i % 10 == 0);
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct reporter_config rc = { 0 };
		struct reporter_stats st = { 0 };
		struct reporter *r;
		struct err err;
		char dir[128];
		int rc_gen;

		print_message("case: %s\n", cases[c].name);
		snprintf(dir, sizeof(dir), "%s/dry%zu", f->dir, c);
		assert_int_equal(mkdir(dir, 0700), 0);
		if (cases[c].blocked >= 0) {
			char *name;

			snprintf(domain, sizeof(domain), "d%03d.example", cases[c].blocked);
			name = naming_filename("sender.example", domain, naming_day_begin(DAY_D),
					       naming_day_end(DAY_D), 1);
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			free(name);
			assert_int_equal(mkdir(path, 0700), 0);
		}
		rc.submitter = "sender.example";
		rc.dry_run_dir = dir;
		r = reporter_new(&rc, f->dns, &err);
		assert_non_null(r);
		rc_gen = reporter_generate_day(r, f->s, DAY_D, NOW, &st, &err);
		for (int i = 0; i < 150; i++) {
			char *name;

			snprintf(domain, sizeof(domain), "d%03d.example", i);
			name = naming_filename("sender.example", domain, naming_day_begin(DAY_D),
					       naming_day_end(DAY_D), 1);
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			free(name);
			if (cases[c].blocked < 0 || i < cases[c].blocked)
				assert_int_equal(access(path, R_OK), 0);
		}
		if (cases[c].blocked < 0) {
			assert_int_equal(rc_gen, 0);
			assert_int_equal(st.reports, 150);
		} else {
			assert_int_equal(rc_gen, -1);
			assert_non_null(strstr(err.msg, "cannot write"));
			assert_non_null(strstr(err.msg, "d100.example"));
			assert_non_null(strstr(err.msg, strerror(EISDIR)));
		}
		reporter_free(&r);
		snprintf(path, sizeof(path), "rm -rf '%s'", dir);
		assert_int_equal(system(path), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rua_lookup_applies_the_record_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_generated_report_parses_back_with_our_parser,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_regenerating_a_day_queues_nothing_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_record_rules_drop_or_defer_reports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_only_failures_skips_all_success_reports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_claimed_delivery_is_never_claimed_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lease_starts_at_the_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_without_a_transport_waits_an_hour, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_writes_every_report_and_fails_on_a_file,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
