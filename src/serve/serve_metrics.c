/*
 * serve_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), read through the viewer-scoped store handle (a tenant
 * sees its own domains' series only; the process counters are for
 * administrators).  Counters from this process (reports received over
 * HTTP, requests by status code) and totals from the store, summed in
 * SQL (store_summary.h): sessions per policy domain (lower case) and
 * reporting organization, failures per domain and result type.  Label
 * values are report content: escaped per the format (backslash, double
 * quote, newline).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/intake.h"
#include "serve/serve_private.h"
#include "store/store_summary.h"
#include "util/count.h"
#include "util/log.h"
#include "util/xalloc.h"

int
serve_metrics_escape(struct buf *b, const char *value)
{
	const char *p;
	int rc = 0;

	for (p = value; rc == 0 && *p != '\0'; p++) {
		if (*p == '\\')
			rc = buf_append(b, "\\\\", 2);
		else if (*p == '"')
			rc = buf_append(b, "\\\"", 2);
		else if (*p == '\n')
			rc = buf_append(b, "\\n", 2);
		else
			rc = buf_append(b, p, 1);
	}
	return rc;
}

/* Sums keyed "a\x1fb" in a jansson object (small: one entry per label set). */
static void
sum_add(json_t *map, const char *a, const char *b, uint64_t n)
{
	char *k = xasprintf("%s\x1f%s", a, b);
	uint64_t cur = count_from_int64(json_integer_value(json_object_get(map, k)));

	json_object_set_new(map, k, json_integer((json_int_t)count_add(cur, n)));
	free(k);
}

struct sums {
	json_t *success;   /* domain \x1f org -> sessions */
	json_t *failure;
	json_t *types;     /* domain \x1f result type -> failed sessions */
};

static int
on_day(void *ctx, const struct store_summary_row *row)
{
	struct sums *m = ctx;

	sum_add(m->success, row->domain, row->organization, row->success);
	sum_add(m->failure, row->domain, row->organization, row->failure);
	return 0;
}

static int
on_failure(void *ctx, const struct store_summary_failure *f)
{
	struct sums *m = ctx;

	sum_add(m->types, f->domain, f->result_type != NULL ? f->result_type : "", f->sessions);
	return 0;
}

/* Writes one sample per entry of map: NAME{L1="a",L2="b"EXTRA} value. */
static void
samples(struct buf *b, const char *name, const char *l1, const char *l2, json_t *map,
	const char *extra)
{
	const char *key;
	json_t *v;
	size_t sep;
	char *first;

	json_object_foreach(map, key, v) {
		sep = strcspn(key, "\x1f");
		first = xstrndup(key, sep);
		buf_printf(b, "%s{%s=\"", name, l1);
		serve_metrics_escape(b, first);
		buf_printf(b, "\",%s=\"", l2);
		serve_metrics_escape(b, key[sep] != '\0' ? key + sep + 1 : "");
		buf_printf(b, "\"%s} %" JSON_INTEGER_FORMAT "\n", extra, json_integer_value(v));
		free(first);
	}
}

/* The store totals, summed in SQL (store_summary.h) over all time. */
static int
store_totals(struct store *st, struct buf *b, struct err *err)
{
	struct sums m = { json_object(), json_object(), json_object() };
	int rc = -1;

	if (store_summary_days(st, 0, 0, NULL, on_day, &m, err) != 0 ||
	    store_summary_failures(st, 0, 0, NULL, on_failure, &m, err) != 0)
		goto out;
	buf_append_str(b, "# HELP tlsrpt_sessions_total TLS sessions in stored reports, "
		       "by policy domain, reporting organization and result.\n"
		       "# TYPE tlsrpt_sessions_total counter\n");
	samples(b, "tlsrpt_sessions_total", "domain", "org", m.success, ",result=\"success\"");
	samples(b, "tlsrpt_sessions_total", "domain", "org", m.failure, ",result=\"failure\"");
	buf_append_str(b, "# HELP tlsrpt_failures_total Failed sessions in stored reports, "
		       "by policy domain and result type.\n"
		       "# TYPE tlsrpt_failures_total counter\n");
	samples(b, "tlsrpt_failures_total", "domain", "result_type", m.types, "");
	rc = 0;
out:
	json_decref(m.success);
	json_decref(m.failure);
	json_decref(m.types);
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
