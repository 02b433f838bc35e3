/*
 * serve_api: the JSON API over the stored reports.
 *   GET /api/summary?since=&until=&domain=&org=   totals, per-day timeline,
 *       per organization, per policy, per domain, the domains seen (dataset.h)
 *   GET /api/failures?…, /api/domains, /api/reports, /api/report,
 *       /api/report/raw and every ?format=csv: serve_api_views.c (failure
 *       rows with explanation and fix: serve_api_failures.c)
 * (domain=- asks for the policies without policy-domain, serve_query.c.)
 * Everything is read through ctx->store, which the dashboard router has
 * scoped to the viewer's domains (store_set_scope()): a domain= outside
 * them gives empty results, as if nothing were stored.
 * Everything is built with jansson; report strings stay strings (the page
 * escapes them when rendering).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "serve/dataset.h"
#include "store/store_conflicts.h"
#include "serve/serve_private.h"
#include "store/store_views.h"
#include "util/log.h"
#include "util/xalloc.h"

void
serve_send_json(struct http_response *resp, unsigned status, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (text == NULL) {
		http_response_text(resp, 500, "text/plain; charset=utf-8", "cannot encode JSON\n");
		return;
	}
	http_response_text(resp, status, "application/json", text);
	free(text);
}

void
serve_send_error(struct http_response *resp, unsigned status, const char *msg)
{
	json_t *v = json_pack("{s:s}", "error", msg);

	if (v == NULL)
		v = json_pack("{s:s}", "error", "invalid request");
	serve_send_json(resp, status, v);
	json_decref(v);
}

json_t *
serve_query_json(const struct report_query *q)
{
	json_t *v = json_pack("{s:I, s:I}", "since", (json_int_t)q->since,
			      "until", (json_int_t)q->until);

	/* as asked: "-" for the policies without policy-domain */
	if (q->domain != NULL)
		json_object_set_new(v, "domain", json_string(*q->domain != '\0' ? q->domain
							     : REPORT_NO_DOMAIN_FILTER));
	if (q->organization != NULL)
		json_object_set_new(v, "org", json_string(q->organization));
	return v;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The policy domains of the dataset, sorted. */
static json_t *
domains_of(json_t *ds)
{
	json_t *pol = json_object_get(ds, "domain_totals"), *arr = json_array(), *p;
	size_t i, n = 0, k;
	const char **v = xcalloc(json_array_size(pol) + 1, sizeof(*v));

	json_array_foreach(pol, i, p)
		v[n++] = json_string_value(json_object_get(p, "domain"));
	qsort(v, n, sizeof(*v), cmp_str);
	for (k = 0; k < n; k++)
		if (k == 0 || strcmp(v[k], v[k - 1]) != 0)
			json_array_append_new(arr, json_string(v[k]));
	free(v);
	return arr;
}

/* "conflicts": the reports of the query received again with different
 * contents (store_conflicts.h; the first one counts).  The organization
 * filter is not applied (the count is per period and domain). */
static int
add_conflicts(struct store *st, const struct report_query *q, json_t *out, struct err *err)
{
	int64_t n;

	if (store_count_conflicts(st, q->since, q->until, q->domain, &n, err) < 0)
		return -1;
	json_object_set_new(out, "conflicts", json_integer((json_int_t)n));
	return 0;
}

/* "failure_rows": how many failure rows /api/failures gives for q. */
static int
add_failure_rows(struct store *st, const struct report_query *q, json_t *out, struct err *err)
{
	uint64_t n;

	if (store_view_failure_count(st, q, &n, err) < 0)
		return -1;
	json_object_set_new(out, "failure_rows", json_integer((json_int_t)n));
	return 0;
}

void
serve_api(struct serve_ctx *ctx, const struct http_request *req, struct http_response *resp)
{
	struct report_query q;
	struct err err;
	struct store *st = ctx->store;     /* scoped to the viewer (serve_private.h) */
	json_t *ds = NULL, *out = NULL;
	const char *what = req->path + 5;

	if (serve_query_parse(req, &q, &err) != 0) {
		serve_send_error(resp, 400, err.msg);
		return;
	}
	if (serve_api_views(ctx, what, req, &q, resp))
		return;
	if (strcmp(what, "summary") != 0) {
		serve_send_error(resp, 404, "no such API: use /api/summary, /api/failures, "
				 "/api/domains, /api/reports, /api/report");
		return;
	}
	ds = dataset_build_parts(st, &q, DATASET_FIGURES, &err);
	if (ds == NULL) {
		log_error("api/%s: %s", what, err.msg);
		ctx->store_broken = 1;
		serve_send_error(resp, 500, "store error");
		goto out;
	}
	out = json_copy(ds);
	json_object_set_new(out, "query", serve_query_json(&q));
	json_object_set_new(out, "domains", domains_of(ds));
	if (add_conflicts(st, &q, out, &err) < 0 || add_failure_rows(st, &q, out, &err) < 0) {
		log_error("api/%s: %s", what, err.msg);
		ctx->store_broken = 1;
		serve_send_error(resp, 500, "store error");
		goto out;
	}
	serve_send_json(resp, 200, out);
out:
	json_decref(out);
	json_decref(ds);
}
