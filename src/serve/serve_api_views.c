/*
 * serve_api_views: the API routes a provider with many domains works with
 * (all take the filters of serve_query.c, so they show exactly what the
 * summary counts):
 *   GET /api/domains?sort=&order=&offset=&limit=&match=
 *       one row per policy domain, sorted, paged (serve_api_domains.c)
 *   GET /api/reports?offset=&limit=&result_type=   (or after= / before=)
 *       one page of reports, newest first, with their sessions; "next"
 *       and "prev" are cursors for after= / before= (keyset paging: a
 *       page deep in the list costs what the first does)
 *   GET /api/report?id=N        one report as stored: every field, where
 *       it came from, the leniencies applied when it was read
 *   GET /api/report/raw?id=N    its JSON exactly as received
 *   GET /api/failures?…  the failure rows (serve_api_failures.c)
 *   format=csv on /api/domains, /api/reports and /api/failures: the same
 *       rows as CSV (RFC 4180), for a spreadsheet
 * Domains carry their U-label ("domain_unicode") beside the A-label when
 * they are IDNs.  Report text is untrusted: JSON-escaped here, put into
 * the page as text by app.js, and in CSV a cell that a spreadsheet would
 * take for a formula is prefixed with an apostrophe.
 */
#include <glib.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report.h"
#include "model/report_json.h"
#include "serve/serve_api_util.h"
#include "serve/serve_private.h"
#include "store/store_report_search.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/count.h"
#include "util/log.h"
#include "util/xalloc.h"


/* ---- /api/reports, /api/report ------------------------------------------- */

static int
on_page_report(void *ctx, const struct store_view_report *r)
{
	json_t *quirks = r->quirks_json != NULL ? json_loads(r->quirks_json, 0, NULL) : NULL;

	if (!json_is_array(quirks)) {
		json_decref(quirks);
		quirks = json_array();
	}
	/* quirks: the leniencies applied when it was read (tlsrpt parse prints them) */
	json_array_append_new(ctx, json_pack("{s:I, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"id", (json_int_t)r->id, "organization", r->organization,
		"report_id", r->report_id, "start", (json_int_t)r->start,
		"end", (json_int_t)r->end, "received", (json_int_t)r->received,
		"success", (json_int_t)r->success, "failure", (json_int_t)r->failure,
		"domains", (json_int_t)r->domains, "quirks", quirks));
	return 0;
}

/* The page /api/reports was asked for: offset=, or after= / before= with
 * a cursor from "next" / "prev" (not both).  Returns 0, or -1 (err set). */
static int
page_of(const struct http_request *req, struct report_page *pg, struct err *err)
{
	const char *after = req->get_query(req, "after"), *before = req->get_query(req, "before");
	const char *cursor = after != NULL && *after != '\0' ? after : before;

	*pg = (struct report_page){ .from = REPORT_PAGE_OFFSET };
	if (serve_arg_uint(req, "offset", 0, UINT32_MAX, &pg->offset, err) != 0 ||
	    serve_arg_uint(req, "limit", SERVE_API_PAGE_DEFAULT, SERVE_API_PAGE_MAX, &pg->limit, err) != 0)
		return -1;
	if (cursor == NULL || *cursor == '\0')
		return 0;
	if ((after != NULL && *after != '\0' && before != NULL && *before != '\0') ||
	    pg->offset != 0) {
		err_set(err, "after=, before= and offset= exclude each other");
		return -1;
	}
	pg->from = cursor == after ? REPORT_PAGE_AFTER : REPORT_PAGE_BEFORE;
	return store_report_cursor_parse(cursor, &pg->key_start, &pg->key_id, err);
}

/* Sets member name of out to the cursor of row (start, id). */
static void
set_cursor(json_t *out, const char *name, int64_t start, int64_t id)
{
	char c[48];

	store_report_cursor_format(start, id, c, sizeof(c));
	json_object_set_new(out, name, json_string(c));
}

static int
reports(struct store *st, const struct http_request *req, const struct report_query *q,
	struct http_response *resp, struct err *err)
{
	const char *rtype = req->get_query(req, "result_type");
	struct report_page pg;
	struct report_page_info info;
	json_t *rows, *out;

	if (page_of(req, &pg, err) != 0) {
		serve_send_error(resp, 400, err->msg);
		return 0;
	}
	rows = json_array();
	if (store_report_search(st, q, rtype, &pg, &info, on_page_report, rows, err) != 0) {
		json_decref(rows);
		return -1;
	}
	if (serve_want_csv(req)) {
		static const char *const cols[] = { "id", "organization", "report_id", "start",
			"end", "received", "success", "failure", "domains" };

		serve_send_csv(resp, rows, cols, sizeof(cols) / sizeof(cols[0]));
		json_decref(rows);
		return 0;
	}
	/* next / prev: the cursors of the pages after and before this one */
	out = json_pack("{s:o, s:I, s:I, s:I, s:b, s:o}", "query", serve_query_json(q),
			"total", (json_int_t)info.total, "offset", (json_int_t)pg.offset,
			"limit", (json_int_t)pg.limit, "truncated", info.more_after,
			"reports", rows);
	if (info.rows > 0 && info.more_after)
		set_cursor(out, "next", info.last_start, info.last_id);
	if (info.rows > 0 && info.more_before)
		set_cursor(out, "prev", info.first_start, info.first_id);
	if (rtype != NULL && *rtype != '\0')
		json_object_set_new(out, "result_type", json_string(rtype));
	serve_send_json(resp, 200, out);
	json_decref(out);
	return 0;
}

static int
one_report(struct store *st, const struct http_request *req, int raw,
	   struct http_response *resp, struct err *err)
{
	struct report_stored info;
	struct report *r = NULL;
	uint64_t id;
	char *text;
	json_t *out, *rep;
	size_t i;
	int rc;

	if (serve_arg_uint(req, "id", 0, INT64_MAX, &id, err) != 0 || id == 0) {
		serve_send_error(resp, 400, id == 0 ? "id: the report's id is required" : err->msg);
		return 0;
	}
	rc = store_get_report(st, (int64_t)id, &r, &info, err);
	if (rc < 0)
		return -1;
	if (rc == 0 || (r->n_policies == 0 && info.policies_stored > 0)) {
		/* none of its policies is the viewer's: as if it were not stored */
		serve_send_error(resp, 404, "no report with that id");
		goto done;
	}
	if (raw && r->n_policies < info.policies_stored) {
		serve_send_error(resp, 403, "the JSON as received also names policy domains "
				 "you may not see: /api/report shows your part of it");
		goto done;
	}
	if (raw) {
		if (info.raw_json != NULL)
			http_response_text(resp, 200, "application/json; charset=utf-8",
					   info.raw_json);
		else
			serve_send_error(resp, 404, "the JSON as received was not kept");
		goto done;
	}
	text = report_write_json(r, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED);
	rep = text != NULL ? json_loads(text, 0, NULL) : NULL;
	free(text);
	out = json_pack("{s:I, s:o, s:{s:s?, s:s?, s:I}, s:[], s:s}", "id", (json_int_t)id,
		"report", rep != NULL ? rep : json_object(), "source", "channel", info.channel,
		"name", info.name, "received", (json_int_t)info.received, "quirks",
		"raw", "/api/report/raw");
	for (i = 0; out != NULL && i < r->quirks.n; i++)
		json_array_append_new(json_object_get(out, "quirks"), json_string(r->quirks.v[i]));
	for (i = 0; out != NULL && i < r->n_policies; i++) {
		char *u = serve_unicode_of(r->policies[i].policy_domain);

		if (u != NULL && json_object_get(out, "domain_unicode") == NULL)
			json_object_set_new(out, "domain_unicode", json_string(u));
		free(u);
	}
	if (out != NULL) {
		char url[64];

		snprintf(url, sizeof(url), "/api/report/raw?id=%llu", (unsigned long long)id);
		json_object_set_new(out, "raw", json_string(url));
	}
	if (out != NULL)
		serve_send_json(resp, 200, out);
	else
		serve_send_error(resp, 500, "cannot encode the report");
	json_decref(out);
done:
	report_free(r);
	report_stored_clear(&info);
	return 0;
}

int
serve_api_views(struct serve_ctx *ctx, const char *what, const struct http_request *req,
		const struct report_query *q, struct http_response *resp)
{
	struct store *st = ctx->store;     /* scoped to the viewer (serve_private.h) */
	struct err err;
	int rc;

	if (strcmp(what, "domains") != 0 && strcmp(what, "reports") != 0 &&
	    strcmp(what, "report") != 0 && strcmp(what, "report/raw") != 0 &&
	    strcmp(what, "failures") != 0)
		return 0;
	if (strcmp(what, "domains") == 0)
		rc = serve_api_domains(st, req, q, resp, &err);
	else if (strcmp(what, "reports") == 0)
		rc = reports(st, req, q, resp, &err);
	else if (strcmp(what, "failures") == 0)
		rc = serve_api_failures(st, req, q, resp, &err);
	else
		rc = one_report(st, req, strcmp(what, "report/raw") == 0, resp, &err);
	if (rc < 0) {
		log_error("api/%s: %s", what, err.msg);
		ctx->store_broken = 1;
		serve_send_error(resp, 500, "store error");
	}
	return 1;
}
