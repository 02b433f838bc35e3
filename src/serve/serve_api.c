/*
 * serve_api: the JSON API over the stored reports.
 *   GET /api/summary?since=&until=&domain=&org=   totals, per-day timeline,
 *       per organization, per policy, per domain, the domains seen (dataset.h)
 *   GET /api/failures?…   failure rows with explanation and fix
 *   GET /api/reports?…&limit=N   the reports themselves, oldest first
 * (domain=- asks for the policies without policy-domain, serve_query.c.)
 * Everything is built with jansson; report strings stay strings (the page
 * escapes them when rendering).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "serve/dataset.h"
#include "serve/serve_private.h"
#include "util/log.h"
#include "util/xalloc.h"

#define API_REPORTS_DEFAULT 500
#define API_REPORTS_MAX 5000

static void
send_json(struct http_response *resp, unsigned status, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (text == NULL) {
		http_response_text(resp, 500, "text/plain; charset=utf-8", "cannot encode JSON\n");
		return;
	}
	http_response_text(resp, status, "application/json", text);
	free(text);
}

static void
send_error(struct http_response *resp, unsigned status, const char *msg)
{
	json_t *v = json_pack("{s:s}", "error", msg);

	if (v == NULL)
		v = json_pack("{s:s}", "error", "invalid request");
	send_json(resp, status, v);
	json_decref(v);
}

static json_t *
query_json(const struct report_query *q)
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

struct list_ctx {
	json_t *arr;
	size_t limit;
	int more;               /* a report past the limit exists */
};

static int
on_report(void *vctx, int64_t id, const struct report *r)
{
	struct list_ctx *c = vctx;
	json_t *pols = json_array(), *o;
	size_t i;

	if (json_array_size(c->arr) >= c->limit) {
		c->more = 1;    /* one past the limit: there is more, stop */
		json_decref(pols);
		return 1;
	}
	for (i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		json_array_append_new(pols, json_pack("{s:s?, s:s?, s:I, s:I, s:I}",
			"domain", p->policy_domain, "policy_type", p->policy_type,
			"success", (json_int_t)p->total_successful_session_count,
			"failure", (json_int_t)p->total_failure_session_count,
			"failure_details", (json_int_t)p->n_failure_details));
	}
	o = json_pack("{s:I, s:s?, s:s?, s:s?, s:I, s:I, s:o}", "id", (json_int_t)id,
		"organization", r->organization_name, "report_id", r->report_id,
		"contact_info", r->contact_info, "start", (json_int_t)r->start,
		"end", (json_int_t)r->end, "policies", pols);
	if (o != NULL)
		json_array_append_new(c->arr, o);
	return 0;
}

static void
api_reports(struct store *st, const struct http_request *req, const struct report_query *q,
	    struct http_response *resp)
{
	const char *lim = req->get_query(req, "limit");
	struct list_ctx c;
	struct err err;
	char *end = NULL;
	unsigned long n = API_REPORTS_DEFAULT;
	json_t *out;

	if (lim != NULL) {
		n = strtoul(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || n == 0 || n > API_REPORTS_MAX) {
			send_error(resp, 400, "limit: expected 1 to 5000");
			return;
		}
	}
	c.arr = json_array();
	c.limit = n;
	c.more = 0;
	if (store_query_reports(st, q, on_report, &c, &err) < 0) {
		log_error("api/reports: %s", err.msg);
		send_error(resp, 500, "store error");
		json_decref(c.arr);
		return;
	}
	out = json_pack("{s:o, s:o, s:b}", "query", query_json(q), "reports", c.arr,
			"truncated", c.more);
	send_json(resp, 200, out);
	json_decref(out);
}

void
serve_api(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	struct report_query q;
	struct err err;
	struct store *st = NULL;
	json_t *ds = NULL, *out = NULL;
	const char *what = req->path + 5;
	int broken = 0;

	if (strcmp(what, "summary") != 0 && strcmp(what, "failures") != 0 &&
	    strcmp(what, "reports") != 0) {
		send_error(resp, 404, "no such API: use /api/summary, /api/failures, /api/reports");
		return;
	}
	if (serve_query_parse(req, &q, &err) != 0) {
		send_error(resp, 400, err.msg);
		return;
	}
	st = serve_store_get(s, SERVE_STORE_READ, &err);
	if (st == NULL) {
		log_error("api: cannot open the store: %s", err.msg);
		send_error(resp, 503, "store unavailable");
		return;
	}
	if (strcmp(what, "reports") == 0) {
		api_reports(st, req, &q, resp);
		goto out;
	}
	ds = dataset_build(st, &q, &err);
	if (ds == NULL) {
		log_error("api/%s: %s", what, err.msg);
		broken = 1;
		send_error(resp, 500, "store error");
		goto out;
	}
	if (strcmp(what, "failures") == 0) {
		out = json_pack("{s:o, s:O}", "query", query_json(&q), "failures",
				json_object_get(ds, "failures"));
	} else {
		out = json_copy(ds);
		json_object_del(out, "failures");
		json_object_del(out, "domain_orgs");
		json_object_set_new(out, "query", query_json(&q));
		json_object_set_new(out, "domains", domains_of(ds));
		json_object_set_new(out, "failure_rows",
				    json_integer((json_int_t)json_array_size(
					    json_object_get(ds, "failures"))));
	}
	send_json(resp, 200, out);
out:
	json_decref(out);
	json_decref(ds);
	serve_store_put(s, SERVE_STORE_READ, st, broken);
}
