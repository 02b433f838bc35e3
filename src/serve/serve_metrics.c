/*
 * serve_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4).  Counters from this process (reports received over
 * HTTP, requests by status code) and totals from the store (sessions per
 * policy domain and reporting organization, failures per domain and result
 * type).  Label values are report content: escaped per the format
 * (backslash, double quote, newline).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "serve/dataset.h"
#include "serve/serve_private.h"
#include "util/log.h"

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

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
sessions(struct buf *b, json_t *ds)
{
	json_t *row;
	size_t i;
	int r;

	buf_append_str(b, "# HELP tlsrpt_sessions_total TLS sessions in stored reports, "
		       "by policy domain, reporting organization and result.\n"
		       "# TYPE tlsrpt_sessions_total counter\n");
	json_array_foreach(json_object_get(ds, "domain_orgs"), i, row) {
		for (r = 0; r < 2; r++) {
			buf_append_str(b, "tlsrpt_sessions_total{domain=\"");
			serve_metrics_escape(b, str(row, "domain"));
			buf_append_str(b, "\",org=\"");
			serve_metrics_escape(b, str(row, "organization"));
			buf_printf(b, "\",result=\"%s\"} %" JSON_INTEGER_FORMAT "\n",
				   r == 0 ? "success" : "failure",
				   json_integer_value(json_object_get(row,
					r == 0 ? "success" : "failure")));
		}
	}
}

/* Failure rows are per (domain, type, MX); the metric sums over MX. */
static void
failures(struct buf *b, json_t *ds)
{
	json_t *sums = json_object(), *row, *v;
	const char *key;
	size_t i, sep;
	char k[600];

	json_array_foreach(json_object_get(ds, "failures"), i, row) {
		snprintf(k, sizeof(k), "%s\x1f%s", str(row, "domain"), str(row, "result_type"));
		v = json_object_get(sums, k);
		json_object_set_new(sums, k, json_integer(json_integer_value(v) +
			json_integer_value(json_object_get(row, "count"))));
	}
	buf_append_str(b, "# HELP tlsrpt_failures_total Failed sessions in stored reports, "
		       "by policy domain and result type.\n"
		       "# TYPE tlsrpt_failures_total counter\n");
	json_object_foreach(sums, key, v) {
		sep = strcspn(key, "\x1f");
		snprintf(k, sizeof(k), "%.*s", (int)sep, key);
		buf_append_str(b, "tlsrpt_failures_total{domain=\"");
		serve_metrics_escape(b, k);
		buf_append_str(b, "\",result_type=\"");
		serve_metrics_escape(b, key[sep] != '\0' ? key + sep + 1 : "");
		buf_printf(b, "\"} %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
	}
	json_decref(sums);
}

void
serve_metrics(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	struct report_query q;
	struct store *st;
	struct err err;
	struct buf *b = &resp->body;
	json_t *ds = NULL;
	unsigned code;
	uint64_t n;

	(void)req;
	memset(&q, 0, sizeof(q));
	st = serve_store_get(s, &err);
	if (st != NULL)
		ds = dataset_build(st, &q, &err);
	serve_store_put(s, st, ds == NULL);
	if (ds == NULL) {
		log_error("metrics: %s", err.msg);
		http_response_text(resp, 503, "text/plain; charset=utf-8", "store unavailable\n");
		return;
	}
	buf_reset(b);
	buf_printf(b, "# HELP tlsrpt_reports_received_total Report documents received "
		   "by HTTP POST since start.\n# TYPE tlsrpt_reports_received_total counter\n"
		   "tlsrpt_reports_received_total %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_received));
	buf_printf(b, "# HELP tlsrpt_reports_stored_total Reports stored from HTTP POST "
		   "since start, by outcome.\n# TYPE tlsrpt_reports_stored_total counter\n"
		   "tlsrpt_reports_stored_total{outcome=\"stored\"} %" PRIuFAST64 "\n"
		   "tlsrpt_reports_stored_total{outcome=\"duplicate\"} %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_stored), atomic_load(&s->reports_duplicate));
	buf_printf(b, "# HELP tlsrpt_reports Reports in the store.\n# TYPE tlsrpt_reports "
		   "gauge\ntlsrpt_reports %" JSON_INTEGER_FORMAT "\n",
		   json_integer_value(json_object_get(ds, "reports")));
	sessions(b, ds);
	failures(b, ds);
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
	json_decref(ds);
}
