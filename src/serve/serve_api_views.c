/*
 * serve_api_views: the API routes a provider with many domains works with
 * (all take the filters of serve_query.c, so they show exactly what the
 * summary counts):
 *   GET /api/domains?sort=&order=&offset=&limit=&match=
 *       one row per policy domain: sessions, failures, failure rate, the
 *       rate of the period before (same length) and the change, reporters,
 *       when its last report arrived, and the organizations that used to
 *       report it and stopped ("stale_reporters"); sorted, paged
 *   GET /api/reports?offset=&limit=&result_type=   (or after= / before=)
 *       one page of reports, newest first, with their sessions; "next"
 *       and "prev" are cursors for after= / before= (keyset paging: a
 *       page deep in the list costs what the first does)
 *   GET /api/report?id=N        one report as stored: every field, where
 *       it came from, the leniencies applied when it was read
 *   GET /api/report/raw?id=N    its JSON exactly as received
 *   format=csv on /api/domains, /api/reports and /api/failures: the same
 *       rows as CSV (RFC 4180), for a spreadsheet
 * Domains carry their U-label ("domain_unicode") beside the A-label when
 * they are IDNs.  Report text is untrusted: JSON-escaped here, put into
 * the page as text by app.js, and in CSV a cell that a spreadsheet would
 * take for a formula is prefixed with an apostrophe.
 */
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report.h"
#include "model/report_json.h"
#include "serve/dataset.h"
#include "serve/serve_private.h"
#include "store/store_report_search.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 5000
/* Stale reporters: an organization that reported a domain daily (on at
 * least STALE_MIN_DAYS days of the STALE_WINDOW_DAYS before the end of the
 * period, and on STALE_REGULAR_PCT % of the days from its first report in
 * that window to its last), and not in the last STALE_QUIET_DAYS. */
#define STALE_WINDOW_DAYS 30
#define STALE_MIN_DAYS 5
#define STALE_REGULAR_PCT 80
#define STALE_QUIET_DAYS 3
#define CSV_MAX (64u << 20)

/* Parses an unsigned query argument into *v (def when absent). */
static int
arg_uint(const struct http_request *req, const char *name, uint64_t def, uint64_t max,
	 uint64_t *v, struct err *err)
{
	const char *a = req->get_query(req, name);
	char *end = NULL;
	unsigned long long n;

	*v = def;
	if (a == NULL || *a == '\0')
		return 0;
	n = strtoull(a, &end, 10);
	if (*a < '0' || *a > '9' || *end != '\0' || n > max) {
		err_set(err, "%s: expected a number from 0 to %llu", name,
			(unsigned long long)max);
		return -1;
	}
	*v = n;
	return 0;
}

static int
want_csv(const struct http_request *req)
{
	const char *f = req->get_query(req, "format");

	return f != NULL && strcmp(f, "csv") == 0;
}

/* The U-label form of an A-label domain, or NULL when it is the same. */
static char *
unicode_of(const char *domain)
{
	char *u = NULL, *out;

	if (domain == NULL || strstr(domain, "xn--") == NULL)
		return NULL;
	if (idn2_to_unicode_8z8z(domain, &u, 0) != IDN2_OK || u == NULL)
		return NULL;
	out = strcmp(u, domain) != 0 ? xstrdup(u) : NULL;
	idn2_free(u);
	return out;
}

static void
set_domain(json_t *o, const char *domain)
{
	char *u = unicode_of(domain);

	json_object_set_new(o, "domain", json_string(domain != NULL ? domain : ""));
	if (u != NULL)
		json_object_set_new(o, "domain_unicode", json_string(u));
	free(u);
}

/* ---- CSV ---------------------------------------------------------------- */

static void
csv_cell(struct buf *b, const char *v, int last)
{
	const char *p;

	v = v != NULL ? v : "";
	buf_append(b, "\"", 1);
	if (strchr("=+-@\t\r", *v) != NULL && *v != '\0')
		buf_append(b, "'", 1);     /* not a formula in a spreadsheet */
	for (p = v; *p != '\0'; p++)
		buf_append(b, p, 1 + (*p == '"'));  /* a quote is doubled */
	buf_append_str(b, last ? "\"\r\n" : "\",");
}

/* Writes the array of objects rows as CSV with the given columns (members
 * of each row; numbers and strings; lists joined with spaces). */
static void
send_csv(struct http_response *resp, json_t *rows, const char *const *cols, size_t n)
{
	struct buf b;
	size_t i, k;
	json_t *row;
	char num[32];

	buf_init(&b, CSV_MAX);
	for (k = 0; k < n; k++)
		csv_cell(&b, cols[k], k + 1 == n);
	json_array_foreach(rows, i, row) {
		for (k = 0; k < n; k++) {
			json_t *v = json_object_get(row, cols[k]);
			char *text = NULL;

			if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				csv_cell(&b, num, k + 1 == n);
				continue;
			}
			if (json_is_real(v)) {
				snprintf(num, sizeof(num), "%.6f", json_real_value(v));
				csv_cell(&b, num, k + 1 == n);
				continue;
			}
			if (json_is_array(v)) {
				struct buf l;
				size_t j;
				json_t *e;

				buf_init(&l, 1 << 20);
				json_array_foreach(v, j, e) {
					if (j > 0)
						buf_append(&l, " ", 1);
					buf_append_str(&l, json_is_string(e) ? json_string_value(e) : "");
				}
				text = buf_steal(&l, NULL);
			}
			csv_cell(&b, text != NULL ? text : json_string_value(v), k + 1 == n);
			free(text);
		}
	}
	http_response_bytes(resp, 200, "text/csv; charset=utf-8", b.data, b.len);
	buf_free(&b);
}

/* ---- /api/domains --------------------------------------------------------- */

struct domains_ctx {
	json_t *map;            /* domain -> row */
	const char *member;     /* "previous" while reading the period before */
	int64_t stale_after;    /* day number: reported after it means not stale */
	int64_t window_start;   /* day number: start of the stale window */
	/* the (domain, organization) being walked by day */
	char *cur_domain, *cur_org;
	int days_seen;
	int64_t first_day, last_day;
};

static double
rate_of(uint64_t ok, uint64_t bad)
{
	return ok + bad > 0 ? (double)bad / ((double)ok + (double)bad) : 0.0;
}

static int
on_domain(void *vctx, const struct store_view_row *row)
{
	struct domains_ctx *c = vctx;
	json_t *o;

	if (c->member != NULL) {   /* the period before: only for known rows */
		o = json_object_get(c->map, row->k1);
		if (o != NULL)
			json_object_set_new(o, c->member, json_pack("{s:I, s:I, s:f}",
				"success", (json_int_t)row->success,
				"failure", (json_int_t)row->failure,
				"rate", rate_of(row->success, row->failure)));
		return 0;
	}
	o = json_object();
	set_domain(o, row->k1);
	json_object_set_new(o, "reports", json_integer((json_int_t)row->reports));
	json_object_set_new(o, "success", json_integer((json_int_t)row->success));
	json_object_set_new(o, "failure", json_integer((json_int_t)row->failure));
	json_object_set_new(o, "sessions", json_integer(
		(json_int_t)(row->success + row->failure)));
	json_object_set_new(o, "rate", json_real(rate_of(row->success, row->failure)));
	json_object_set_new(o, "last_received", json_integer(row->last_received));
	json_object_set_new(o, "reporters", json_integer(0));
	json_object_set_new(o, "stale_reporters", json_array());
	json_object_set_new(c->map, row->k1, o);
	return 0;
}

static int
on_domain_reporters(void *vctx, const struct store_view_row *row)
{
	struct domains_ctx *c = vctx;
	json_t *o = json_object_get(c->map, row->k1);

	if (o != NULL)
		json_object_set_new(o, "reporters", json_integer((json_int_t)row->reports));
	return 0;
}

/* Decides whether the (domain, organization) walked so far went stale. */
static void
stale_flush(struct domains_ctx *c)
{
	json_t *o;

	if (c->cur_domain == NULL)
		return;
	o = json_object_get(c->map, c->cur_domain);
	if (o != NULL && c->days_seen >= STALE_MIN_DAYS && c->last_day <= c->stale_after &&
	    c->days_seen * 100 >= STALE_REGULAR_PCT * (c->last_day - c->first_day + 1))
		json_array_append_new(json_object_get(o, "stale_reporters"), json_pack(
			"{s:s, s:I}", "organization", c->cur_org,
			"last_report", (json_int_t)(c->last_day * 86400)));
	free(c->cur_domain);
	free(c->cur_org);
	c->cur_domain = c->cur_org = NULL;
}

static int
on_domain_org_day(void *vctx, const struct store_view_row *row)
{
	struct domains_ctx *c = vctx;
	int64_t day = (int64_t)strtoll(row->k3, NULL, 10);

	if (c->cur_domain == NULL || strcmp(c->cur_domain, row->k1) != 0 ||
	    strcmp(c->cur_org, row->k2) != 0) {
		stale_flush(c);
		c->cur_domain = xstrdup(row->k1);
		c->cur_org = xstrdup(row->k2);
		c->days_seen = 0;
		c->first_day = day;
	}
	c->days_seen++;
	c->last_day = day;
	return 0;
}

struct sort_key {
	const char *name;       /* ?sort= */
	const char *member;     /* row member compared */
	int text;
};

static const struct sort_key sort_keys[] = {
	{ "domain", "domain", 1 }, { "sessions", "sessions", 0 }, { "failures", "failure", 0 },
	{ "rate", "rate", 0 }, { "trend", "trend", 0 }, { "reporters", "reporters", 0 },
	{ "last", "last_received", 0 }, { "reports", "reports", 0 },
};

/* qsort has no context argument: the key and order travel in the rows. */
static int
cmp_domain_rows(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *m = json_string_value(json_object_get(x, "_sort"));
	int desc = json_is_true(json_object_get(x, "_desc")), r;
	json_t *vx = json_object_get(x, m), *vy = json_object_get(y, m);

	if (json_is_string(vx))
		r = strcmp(json_string_value(vx), json_string_value(vy));
	else {
		double dx = json_number_value(vx), dy = json_number_value(vy);

		r = dx < dy ? -1 : dx > dy;
	}
	if (r == 0)     /* ties: by domain, always ascending */
		return strcmp(json_string_value(json_object_get(x, "domain")),
			      json_string_value(json_object_get(y, "domain")));
	return desc ? -r : r;
}

static int
domains(struct store *st, const struct http_request *req, const struct report_query *q,
	struct http_response *resp, struct err *err)
{
	const char *sort = req->get_query(req, "sort"), *order = req->get_query(req, "order");
	const char *match = req->get_query(req, "match");
	struct domains_ctx c = { .map = json_object() };
	struct report_query prev = *q, win = *q;
	const struct sort_key *key = &sort_keys[2];
	uint64_t offset, limit, total;
	int64_t end = q->until != 0 ? q->until : (int64_t)time(NULL);
	json_t **v = NULL, *rows, *out, *o;
	const char *k;
	size_t i, n = 0;
	int rc = -1, desc;

	if (arg_uint(req, "offset", 0, UINT32_MAX, &offset, err) != 0 ||
	    arg_uint(req, "limit", PAGE_DEFAULT, PAGE_MAX, &limit, err) != 0)
		goto bad;
	if (sort != NULL && *sort != '\0') {
		for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
			if (strcmp(sort, sort_keys[i].name) == 0)
				key = &sort_keys[i];
		if (strcmp(sort, key->name) != 0) {
			err_set(err, "sort: expected domain, sessions, failures, rate, trend,"
				" reporters, last or reports");
			goto bad;
		}
	}
	if (order != NULL && *order != '\0' && strcmp(order, "asc") != 0 &&
	    strcmp(order, "desc") != 0) {
		err_set(err, "order: expected asc or desc");
		goto bad;
	}
	desc = order != NULL && *order != '\0' ? strcmp(order, "desc") == 0 : !key->text;
	if (store_view_groups(st, q, STORE_VIEW_DOMAIN, on_domain, &c, err) != 0 ||
	    store_view_groups(st, q, STORE_VIEW_DOMAIN_REPORTERS, on_domain_reporters, &c, err) != 0)
		goto fail;
	if (q->since != 0) {        /* the period before, as long as this one */
		prev.until = q->since;
		prev.since = q->since - (end - q->since);
		c.member = "previous";
		if (prev.since > 0 && store_view_groups(st, &prev, STORE_VIEW_DOMAIN, on_domain,
							&c, err) != 0)
			goto fail;
		c.member = NULL;
	}
	win.until = end;
	win.since = end - STALE_WINDOW_DAYS * 86400;
	c.stale_after = end / 86400 - STALE_QUIET_DAYS - 1;
	if (store_view_groups(st, &win, STORE_VIEW_DOMAIN_ORG_DAY, on_domain_org_day, &c,
			      err) != 0)
		goto fail;
	stale_flush(&c);
	v = xcalloc(json_object_size(c.map) + 1, sizeof(*v));
	json_object_foreach(c.map, k, o) {
		json_t *p = json_object_get(o, "previous");

		if (match != NULL && *match != '\0' && strstr(k, match) == NULL) {
			json_t *u = json_object_get(o, "domain_unicode");

			if (u == NULL || strstr(json_string_value(u), match) == NULL)
				continue;
		}
		json_object_set_new(o, "trend", json_real(p != NULL ?
			json_real_value(json_object_get(o, "rate")) -
			json_real_value(json_object_get(p, "rate")) : 0.0));
		json_object_set_new(o, "_sort", json_string(key->member));
		json_object_set_new(o, "_desc", json_boolean(desc));
		v[n++] = o;
	}
	qsort(v, n, sizeof(*v), cmp_domain_rows);
	total = n;
	rows = json_array();
	for (i = (size_t)offset; i < n && i < offset + limit; i++) {
		json_object_del(v[i], "_sort");
		json_object_del(v[i], "_desc");
		json_array_append(rows, v[i]);
	}
	if (want_csv(req)) {
		static const char *const cols[] = { "domain", "domain_unicode", "reports",
			"sessions", "success", "failure", "rate", "trend", "reporters",
			"last_received" };

		send_csv(resp, rows, cols, sizeof(cols) / sizeof(cols[0]));
		json_decref(rows);
	} else {
		out = json_pack("{s:o, s:I, s:I, s:I, s:s, s:s, s:o}", "query",
			serve_query_json(q), "total", (json_int_t)total, "offset",
			(json_int_t)offset, "limit", (json_int_t)limit, "sort", key->name,
			"order", desc ? "desc" : "asc", "domains", rows);
		serve_send_json(resp, 200, out);
		json_decref(out);
	}
	rc = 0;
	goto out;
bad:
	serve_send_error(resp, 400, err->msg);
	rc = 0;
	goto out;
fail:
	stale_flush(&c);
out:
	free(v);
	json_decref(c.map);
	return rc;
}

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
	if (arg_uint(req, "offset", 0, UINT32_MAX, &pg->offset, err) != 0 ||
	    arg_uint(req, "limit", PAGE_DEFAULT, PAGE_MAX, &pg->limit, err) != 0)
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
	if (want_csv(req)) {
		static const char *const cols[] = { "id", "organization", "report_id", "start",
			"end", "received", "success", "failure", "domains" };

		send_csv(resp, rows, cols, sizeof(cols) / sizeof(cols[0]));
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

	if (arg_uint(req, "id", 0, INT64_MAX, &id, err) != 0 || id == 0) {
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
		char *u = unicode_of(r->policies[i].policy_domain);

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

/* ---- /api/failures?format=csv -------------------------------------------- */

static int
failures_csv(struct store *st, const struct report_query *q, struct http_response *resp,
	     struct err *err)
{
	static const char *const cols[] = { "domain", "result_type", "mx", "count", "reports",
		"first_seen", "last_seen", "sending_ips", "organizations",
		"failure_reason_codes", "additional_information", "explanation", "fix" };
	json_t *ds = dataset_build_parts(st, q, DATASET_FAILURES, err);

	if (ds == NULL)
		return -1;
	send_csv(resp, json_object_get(ds, "failures"), cols, sizeof(cols) / sizeof(cols[0]));
	json_decref(ds);
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
	    !(strcmp(what, "failures") == 0 && want_csv(req)))
		return 0;
	if (strcmp(what, "domains") == 0)
		rc = domains(st, req, q, resp, &err);
	else if (strcmp(what, "reports") == 0)
		rc = reports(st, req, q, resp, &err);
	else if (strcmp(what, "failures") == 0)
		rc = failures_csv(st, q, resp, &err);
	else
		rc = one_report(st, req, strcmp(what, "report/raw") == 0, resp, &err);
	if (rc < 0) {
		log_error("api/%s: %s", what, err.msg);
		ctx->store_broken = 1;
		serve_send_error(resp, 500, "store error");
	}
	return 1;
}
