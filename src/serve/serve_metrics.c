/*
 * serve_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), read through the viewer-scoped store handle (a tenant
 * sees its own domains' series only; the process counters are for
 * administrators).  Counters from this process (reports received over
 * HTTP, requests by status code) and totals from the store over all time,
 * read from the roll-ups (store_metrics.h), with the
 * figures of store_summary.h: sessions per policy domain (lower case) and
 * reporting organization, failures per domain and result type.  Label
 * values are report content: escaped per the format (backslash, double
 * quote, newline).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/intake.h"
#include "serve/serve_private.h"
#include "store/store_metrics.h"
#include "util/log.h"
#include "util/xalloc.h"

int
serve_metrics_escape(struct buf *b, const char *value)
{
	const char *p = value;
	int rc = 0;

	while (rc == 0 && *p != '\0') {
		size_t plain = strcspn(p, "\\\"\n");

		rc = buf_append(b, p, plain);
		p += plain;
		if (rc != 0 || *p == '\0')
			break;
		rc = buf_append(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n", 2);
		p++;
	}
	return rc;
}

/* One label set with its figures, copied out of the store's row. */
struct sample {
	const char *l1;         /* domain: shared by the samples of one domain */
	char *l2;               /* organization or result type (owned) */
	uint64_t a, b;          /* success and failure sessions, or failed sessions */
	int64_t order;          /* sessions: first UTC day; failures: unused */
	int owns_l1;            /* the first sample of its domain frees l1 */
};

/* The samples in the store's order: by domain, then second label. */
struct samples {
	struct sample *v;
	size_t n, cap;
};

static struct sample *
samples_add(struct samples *m, const char *l1, const char *l2)
{
	struct sample *x, *prev = m->n > 0 ? &m->v[m->n - 1] : NULL;

	if (m->n == m->cap) {
		m->cap = m->cap != 0 ? 2 * m->cap : 1024;
		m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
		prev = m->n > 0 ? &m->v[m->n - 1] : NULL;
	}
	x = &m->v[m->n++];
	l1 = l1 != NULL ? l1 : "";
	x->owns_l1 = prev == NULL || strcmp(prev->l1, l1) != 0;
	x->l1 = x->owns_l1 ? xstrdup(l1) : prev->l1;
	x->l2 = xstrdup(l2 != NULL ? l2 : "");
	x->a = x->b = 0;
	x->order = 0;
	return x;
}

static void
samples_free(struct samples *m)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].owns_l1)
			free((char *)m->v[i].l1);
		free(m->v[i].l2);
	}
	free(m->v);
}

/* Sorts the samples of each domain with cmp (the domains stay in order). */
static void
sort_within_domains(struct samples *m, int (*cmp)(const void *, const void *))
{
	size_t i, k;

	for (i = 0; i < m->n; i = k) {
		for (k = i + 1; k < m->n && !m->v[k].owns_l1; k++)
			;
		if (k - i > 1)
			qsort(&m->v[i], k - i, sizeof(m->v[i]), cmp);
	}
}

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((86399 - t) / 86400);
}

static int
on_sessions(void *ctx, const struct store_metrics_row *row)
{
	struct sample *x = samples_add(ctx, row->domain, row->key);

	x->a = row->a;
	x->b = row->b;
	x->order = day_of(row->first_start);
	return 0;
}

static int
on_failure_type(void *ctx, const struct store_metrics_row *row)
{
	samples_add(ctx, row->domain, row->key)->a = row->a;
	return 0;
}

/* Sessions of one domain: organizations in the order they first reported
 * it, then by name, as the series have always been listed. */
static int
cmp_sessions(const void *pa, const void *pb)
{
	const struct sample *x = pa, *y = pb;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->l2, y->l2);
}

/* Failures of one domain: most failed sessions first, then by type. */
static int
cmp_failures(const void *pa, const void *pb)
{
	const struct sample *x = pa, *y = pb;

	if (x->a != y->a)
		return x->a > y->a ? -1 : 1;
	return strcmp(x->l2, y->l2);
}

/* Appends v in decimal. */
static void
append_u64(struct buf *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_append(b, d + i, sizeof(d) - i);
}

/* Writes one line per sample: NAME{L1="a",L2="b"EXTRA} value, the value
 * being member a, or b when second is set. */
static void
write_samples(struct buf *b, const char *name, const char *l1, const char *l2,
	      const struct samples *m, int second, const char *extra)
{
	char *head = xasprintf("%s{%s=\"", name, l1), *mid = xasprintf("\",%s=\"", l2);
	char *tail = xasprintf("\"%s} ", extra);

	for (size_t i = 0; i < m->n; i++) {
		buf_append_str(b, head);
		serve_metrics_escape(b, m->v[i].l1);
		buf_append_str(b, mid);
		serve_metrics_escape(b, m->v[i].l2);
		buf_append_str(b, tail);
		append_u64(b, second ? m->v[i].b : m->v[i].a);
		buf_append(b, "\n", 1);
	}
	free(head);
	free(mid);
	free(tail);
}

/* The store totals over all time, read from the roll-ups (store_metrics.h):
 * sessions per (domain, organization), failed sessions per (domain,
 * result type); the figures of store_summary.h. */
static int
store_totals(struct store *st, struct buf *b, struct err *err)
{
	struct samples sessions = { 0 }, types = { 0 };
	int rc = -1;

	if (store_metrics_sessions(st, on_sessions, &sessions, err) != 0 ||
	    store_metrics_failure_types(st, on_failure_type, &types, err) != 0)
		goto out;
	sort_within_domains(&sessions, cmp_sessions);
	sort_within_domains(&types, cmp_failures);
	buf_append_str(b, "# HELP tlsrpt_sessions_total TLS sessions in stored reports, "
		       "by policy domain, reporting organization and result.\n"
		       "# TYPE tlsrpt_sessions_total counter\n");
	write_samples(b, "tlsrpt_sessions_total", "domain", "org", &sessions, 0,
		      ",result=\"success\"");
	write_samples(b, "tlsrpt_sessions_total", "domain", "org", &sessions, 1,
		      ",result=\"failure\"");
	buf_append_str(b, "# HELP tlsrpt_failures_total Failed sessions in stored reports, "
		       "by policy domain and result type.\n"
		       "# TYPE tlsrpt_failures_total counter\n");
	write_samples(b, "tlsrpt_failures_total", "domain", "result_type", &types, 0, "");
	rc = 0;
out:
	samples_free(&sessions);
	samples_free(&types);
	return rc;
}

void
serve_metrics(struct serve_ctx *ctx, const struct http_request *req,
	      struct http_response *resp)
{
	struct serve *s = ctx->serve;
	struct err err;
	struct buf *b = &resp->body;
	unsigned code;
	uint64_t n, groups, written;

	(void)req;
	buf_reset(b);
	/* ctx->store is scoped to the viewer: a tenant gets its domains' series */
	if (store_totals(ctx->store, b, &err) != 0) {
		ctx->store_broken = 1;
		log_error("metrics: %s", err.msg);
		http_response_text(resp, 503, "text/plain; charset=utf-8", "store unavailable\n");
		return;
	}
	if (!ctx->viewer->user.admin) {
		/* the process counters mix every tenant: administrators only */
		resp->status = 200;
		snprintf(resp->content_type, sizeof(resp->content_type),
			 "text/plain; version=0.0.4; charset=utf-8");
		return;
	}
	buf_printf(b, "# HELP tlsrpt_reports_received_total Report documents received "
		   "by HTTP POST since start.\n# TYPE tlsrpt_reports_received_total counter\n"
		   "tlsrpt_reports_received_total %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_received));
	buf_printf(b, "# HELP tlsrpt_reports_stored_total Reports stored from HTTP POST "
		   "since start, by outcome.\n# TYPE tlsrpt_reports_stored_total counter\n"
		   "tlsrpt_reports_stored_total{outcome=\"stored\"} %" PRIuFAST64 "\n"
		   "tlsrpt_reports_stored_total{outcome=\"duplicate\"} %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_stored), atomic_load(&s->reports_duplicate));
	buf_printf(b, "# HELP tlsrpt_reports_refused_total Reports refused by HTTP POST "
		   "since start because none of their policy domains is accepted here.\n"
		   "# TYPE tlsrpt_reports_refused_total counter\n"
		   "tlsrpt_reports_refused_total %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_refused));
	intake_counts(s->intake, &groups, &written);
	buf_printf(b, "# HELP tlsrpt_intake_commits_total Transactions in which the intake"
		   " stored POSTed reports (group commit) since start.\n"
		   "# TYPE tlsrpt_intake_commits_total counter\n"
		   "tlsrpt_intake_commits_total %" PRIu64 "\n"
		   "# HELP tlsrpt_intake_written_total Reports the intake wrote in those"
		   " transactions (stored, duplicate or failed).\n"
		   "# TYPE tlsrpt_intake_written_total counter\n"
		   "tlsrpt_intake_written_total %" PRIu64 "\n", groups, written);
	buf_printf(b, "# HELP tlsrpt_logins_total Dashboard logins since start, by outcome.\n"
		   "# TYPE tlsrpt_logins_total counter\n"
		   "tlsrpt_logins_total{outcome=\"ok\"} %" PRIuFAST64 "\n"
		   "tlsrpt_logins_total{outcome=\"failed\"} %" PRIuFAST64 "\n"
		   "tlsrpt_logins_total{outcome=\"throttled\"} %" PRIuFAST64 "\n",
		   atomic_load(&s->logins_ok), atomic_load(&s->logins_failed),
		   atomic_load(&s->logins_throttled));
	buf_append_str(b, "# HELP tlsrpt_http_requests_total HTTP requests answered, "
		       "by status code.\n# TYPE tlsrpt_http_requests_total counter\n");
	for (code = 100; code < 600; code++) {
		n = atomic_load(&s->http_by_code[code]);
		if (n > 0)
			buf_printf(b, "tlsrpt_http_requests_total{code=\"%u\"} %" PRIu64 "\n",
				   code, n);
	}
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "text/plain; version=0.0.4; charset=utf-8");
}
