/*
 * bench_aggregate: 1M policy domains aggregated and composed, no delivery
 * (issue 4 target: under 60 s).  Each domain has one STS policy row, every
 * tenth a failure detail, every hundredth a TLSA row for a shared MX host
 * (AGG-08 path); every report is written as canonical JSON, gzipped and
 * composed into a multipart/report mail (not DKIM-signed: signing, the
 * store read, DNS lookups and delivery are outside what this measures;
 * the output says so).  Prints the wall and CPU time (on
 * a shared machine the wall time includes waiting for a CPU), the time per
 * stage and the rate.  Memory stays flat: reports are streamed.
 *
 * usage: bench_aggregate [N]     (N domains, default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report_json.h"
#include "report/aggregate.h"
#include "report/compose.h"
#include "report/gzip.h"
#include "util/xalloc.h"

struct totals {
	size_t reports, json_bytes, gz_bytes, mail_bytes;
	struct buf gz, mail;
	struct gzipper *gzip;
	struct composer *compose;
	double t_json, t_gzip, t_compose;
};

static double now_s(void);

static int
on_report(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct totals *t = ctx;
	double t0 = now_s();
	char *json = report_write_json(o->report, 0);
	double t1 = now_s(), t2;
	struct compose_mail m = {
		.from = "tlsrpt@mail.sender.example", .to = "tls@example.com",
		.submitter = "mail.sender.example", .policy_domain = o->policy_domain,
		.report_id = o->report->report_id, .organization = "Bench Org",
		.begin = o->report->start, .end = o->report->end, .date = o->report->end + 3600,
		.message_id = "bench@mail.sender.example", .compressed = 1,
	};
	size_t n = strlen(json);

	buf_reset(&t->gz);
	buf_reset(&t->mail);
	if (gzipper_run(t->gzip, json, n, &t->gz, err) < 0)
		goto fail;
	t2 = now_s();
	m.body = t->gz.data;
	m.body_len = t->gz.len;
	if (composer_build(t->compose, &m, &t->mail, err) < 0)
		goto fail;
	t->t_json += t1 - t0;
	t->t_gzip += t2 - t1;
	t->t_compose += now_s() - t2;
	t->reports++;
	t->json_bytes += n;
	t->gz_bytes += t->gz.len;
	t->mail_bytes += t->mail.len;
	free(json);
	return 0;
fail:
	free(json);
	return -1;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct aggregate_config cfg = { 20778, "mail.sender.example", "Bench Org",
					"tlsrpt@mail.sender.example", NULL, NULL, NULL };
	struct totals t = { 0 };
	struct aggregate *a;
	struct policy sts = { 0 }, tlsa = { 0 };
	struct failure_detail *d;
	struct err err;
	char domain[64];
	double t0, t1;
	clock_t c0, c1;

	t.gzip = gzipper_new();
	t.compose = composer_new();
	buf_init(&t.gz, 16u << 20);
	buf_init(&t.mail, 32u << 20);
	sts.type = POLICY_TYPE_STS;
	sts.policy_type = xstrdup("sts");
	strlist_add(&sts.policy_string, "version: STSv1");
	strlist_add(&sts.policy_string, "mode: enforce");
	strlist_add(&sts.policy_string, "max_age: 604800");
	tlsa.type = POLICY_TYPE_TLSA;
	tlsa.policy_type = xstrdup("tlsa");
	tlsa.policy_domain = xstrdup("mx.shared-host.example");
	strlist_add(&tlsa.policy_string, "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
	tlsa.total_successful_session_count = 3;
	d = policy_add_failure_detail(&sts);
	d->type = RESULT_CERTIFICATE_EXPIRED;
	d->result_type = xstrdup("certificate-expired");
	d->sending_mta_ip = xstrdup("198.51.100.7");
	d->receiving_ip = xstrdup("192.0.2.25");
	d->receiving_mx_hostname = xstrdup("mx1.example.com");
	d->failed_session_count = 2;

	c0 = clock();
	t0 = now_s();
	a = aggregate_new(&cfg, on_report, &t);
	for (long i = 0; i < n; i++) {
		snprintf(domain, sizeof(domain), "d%07ld.example", i);
		free(sts.policy_domain);
		sts.policy_domain = xstrdup(domain);
		strlist_clear(&sts.mx_host);
		strlist_addf(&sts.mx_host, "mx.%s", domain);
		sts.total_successful_session_count = (uint64_t)(i % 97) + 1;
		sts.total_failure_session_count = i % 10 == 0 ? 2 : 0;
		sts.n_failure_details = i % 10 == 0 ? 1 : 0;
		if (aggregate_add(a, domain, &sts, &err) < 0 ||
		    (i % 100 == 0 && aggregate_add(a, domain, &tlsa, &err) < 0)) {
			fprintf(stderr, "bench_aggregate: %s\n", err.msg);
			return 1;
		}
	}
	if (aggregate_finish(a, &err) < 0) {
		fprintf(stderr, "bench_aggregate: %s\n", err.msg);
		return 1;
	}
	t1 = now_s();
	c1 = clock();
	aggregate_free(&a);
	sts.n_failure_details = 1;
	policy_clear(&sts);
	policy_clear(&tlsa);
	gzipper_free(&t.gzip);
	composer_free(&t.compose);
	buf_free(&t.gz);
	buf_free(&t.mail);
	printf("bench_aggregate: %ld policy domains -> %zu reports aggregated, JSON-encoded,"
	       " gzipped and composed in %.2f s (%.0f reports/s; target < 60 s for 1M);"
	       " %zu MB JSON, %zu MB gzip, %zu MB mail\n",
	       n, t.reports, t1 - t0, (double)t.reports / (t1 - t0), t.json_bytes >> 20,
	       t.gz_bytes >> 20, t.mail_bytes >> 20);
	printf("bench_aggregate: CPU time %.2f s (the wall time above includes waiting for"
	       " a shared CPU)\n", (double)(c1 - c0) / CLOCKS_PER_SEC);
	printf("bench_aggregate: included: aggregation, report JSON, gzip, MIME composition;"
	       " not included: reading the store, TLSRPT lookups, DKIM signing, delivery\n");
	printf("bench_aggregate: of which JSON %.2f s, gzip %.2f s, compose %.2f s, aggregation"
	       " %.2f s\n", t.t_json, t.t_gzip, t.t_compose,
	       (t1 - t0) - t.t_json - t.t_gzip - t.t_compose);
	return 0;
}
