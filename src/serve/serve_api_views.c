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
#include <glib.h>
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
#include "util/count.h"
#include "util/log.h"
#include "util/xalloc.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 5000
/* Stale reporters (store_view_stale_reporters()): an organization that
 * reported a domain daily (on at least STALE_MIN_DAYS days of the
 * STALE_WINDOW_DAYS before the end of the period, and on STALE_REGULAR_PCT
 * % of the days from its first report in that window to its last), and not
 * in the last STALE_QUIET_DAYS. */
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

/* One policy domain's figures, summed from its (domain, organization)
 * rows in C, so that the database groups once. */
struct dom_row {
	char *domain;                   /* domain key (owned) */
	uint64_t reports, success, failure, reporters;
	int64_t last_received;
	int has_prev;                   /* the period before has figures */
	uint64_t prev_success, prev_failure;
	double rate, trend;
	json_t *stale;                  /* array of {organization, last_report} */
	const struct sort_spec *sort;   /* how rows compare (qsort has no context) */
};

struct sort_key {
	const char *name;       /* ?sort= */
	int text;               /* by the domain key, not a figure (sort_value()) */
};

/* sort_value() knows them by their index */
static const struct sort_key sort_keys[] = {
	{ "domain", 1 }, { "sessions", 0 }, { "failures", 0 }, { "rate", 0 }, { "trend", 0 },
	{ "reporters", 0 }, { "last", 0 }, { "reports", 0 },
};

struct sort_spec {
	size_t key;             /* index into sort_keys */
	int desc;
};

struct domains_ctx {
	GHashTable *map;        /* domain key (borrowed from the row) -> struct dom_row */
};

static double
rate_of(uint64_t ok, uint64_t bad)
{
	return ok + bad > 0 ? (double)bad / ((double)ok + (double)bad) : 0.0;
}

static void
dom_row_free(gpointer p)
{
	struct dom_row *r = p;

	free(r->domain);
	json_decref(r->stale);
	free(r);
}

/* The period's (domain, organization) rows, summed per domain. */
static int
on_domain_org(void *vctx, const struct store_view_row *row)
{
	struct domains_ctx *c = vctx;
	struct dom_row *r = g_hash_table_lookup(c->map, row->k1);

	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->domain = xstrdup(row->k1);
		r->stale = json_array();
		r->last_received = row->last_received;
		g_hash_table_insert(c->map, r->domain, r);
	}
	r->reports += row->reports;
	r->success = count_add(r->success, row->success);
	r->failure = count_add(r->failure, row->failure);
	r->reporters++;
	if (row->last_received > r->last_received)
		r->last_received = row->last_received;
	return 0;
}

/* The period before: only for the domains of the period. */
static int
on_domain_previous(void *vctx, const struct store_view_row *row)
{
	struct domains_ctx *c = vctx;
	struct dom_row *r = g_hash_table_lookup(c->map, row->k1);

	if (r != NULL) {
		r->has_prev = 1;
		r->prev_success = row->success;
		r->prev_failure = row->failure;
	}
	return 0;
}

static int
on_stale(void *vctx, const struct store_view_stale *s)
{
	struct domains_ctx *c = vctx;
	struct dom_row *r = g_hash_table_lookup(c->map, s->domain);

	if (r != NULL)
		json_array_append_new(r->stale, json_pack("{s:s, s:I}", "organization",
			s->organization, "last_report", (json_int_t)(s->last_day * 86400)));
	return 0;
}

static double
sort_value(const struct dom_row *r, size_t key)
{
	switch (key) {
	case 1: return (double)(r->success + r->failure);
	case 2: return (double)r->failure;
	case 3: return r->rate;
	case 4: return r->trend;
	case 5: return (double)r->reporters;
	case 6: return (double)r->last_received;
	case 7: return (double)r->reports;
	}
	return 0.0;
}

static int
cmp_domain_rows(const void *a, const void *b)
{
	const struct dom_row *x = *(struct dom_row *const *)a, *y = *(struct dom_row *const *)b;
	const struct sort_spec *sp = x->sort;
	int r;

	if (sort_keys[sp->key].text) {
		r = strcmp(x->domain, y->domain);
	} else {
		double dx = sort_value(x, sp->key), dy = sort_value(y, sp->key);

		r = dx < dy ? -1 : dx > dy;
	}
	if (r == 0)     /* ties: by domain, always ascending */
		return strcmp(x->domain, y->domain);
	return sp->desc ? -r : r;
}

/* Whether the domain (or its U-label) contains match. */
static int
domain_matches(const char *domain, const char *match)
{
	char *u;
	int yes;

	if (match == NULL || *match == '\0' || strstr(domain, match) != NULL)
		return 1;
	u = unicode_of(domain);
	yes = u != NULL && strstr(u, match) != NULL;
	free(u);
	return yes;
}

/* The row as the API shows it (members in the order they always were). */
static json_t *
dom_row_json(const struct dom_row *r)
{
	json_t *o = json_object();

	set_domain(o, r->domain);
	json_object_set_new(o, "reports", json_integer((json_int_t)r->reports));
	json_object_set_new(o, "success", json_integer((json_int_t)r->success));
	json_object_set_new(o, "failure", json_integer((json_int_t)r->failure));
	json_object_set_new(o, "sessions", json_integer((json_int_t)(r->success + r->failure)));
	json_object_set_new(o, "rate", json_real(r->rate));
	json_object_set_new(o, "last_received", json_integer(r->last_received));
	json_object_set_new(o, "reporters", json_integer((json_int_t)r->reporters));
	json_object_set(o, "stale_reporters", r->stale);
	if (r->has_prev)
		json_object_set_new(o, "previous", json_pack("{s:I, s:I, s:f}",
			"success", (json_int_t)r->prev_success,
			"failure", (json_int_t)r->prev_failure,
			"rate", rate_of(r->prev_success, r->prev_failure)));
	json_object_set_new(o, "trend", json_real(r->trend));
	return o;
}

/* Reads q's domains (figures, the period before, stale reporters) into
 * c->map. */
static int
domains_read(struct store *st, const struct report_query *q, struct domains_ctx *c,
	     struct err *err)
{
	struct report_query prev = *q;
	struct store_stale_rule rule = {
		.end = q->until != 0 ? q->until : (int64_t)time(NULL),
		.window_days = STALE_WINDOW_DAYS, .min_days = STALE_MIN_DAYS,
		.regular_pct = STALE_REGULAR_PCT, .quiet_days = STALE_QUIET_DAYS,
	};

	if (store_view_groups(st, q, STORE_VIEW_DOMAIN_ORG, on_domain_org, c, err) != 0)
		return -1;
	if (q->since != 0) {        /* the period before, as long as this one */
		prev.until = q->since;
		prev.since = q->since - (rule.end - q->since);
		if (prev.since > 0 && store_view_groups(st, &prev, STORE_VIEW_DOMAIN,
							on_domain_previous, c, err) != 0)
			return -1;
	}
	return store_view_stale_reporters(st, q, &rule, on_stale, c, err);
}

static int
domains(struct store *st, const struct http_request *req, const struct report_query *q,
	struct http_response *resp, struct err *err)
{
	const char *sort = req->get_query(req, "sort"), *order = req->get_query(req, "order");
	const char *match = req->get_query(req, "match");
	struct domains_ctx c = { .map = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
							      dom_row_free) };
	struct sort_spec spec = { .key = 2 };
	uint64_t offset, limit, total;
	struct dom_row **v = NULL;
	json_t *rows, *out;
	GHashTableIter it;
	gpointer value;
	size_t i, n = 0;
	int rc = -1;

	if (arg_uint(req, "offset", 0, UINT32_MAX, &offset, err) != 0 ||
	    arg_uint(req, "limit", PAGE_DEFAULT, PAGE_MAX, &limit, err) != 0)
		goto bad;
	if (sort != NULL && *sort != '\0') {
		for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
			if (strcmp(sort, sort_keys[i].name) == 0)
				spec.key = i;
		if (strcmp(sort, sort_keys[spec.key].name) != 0) {
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
	spec.desc = order != NULL && *order != '\0' ? strcmp(order, "desc") == 0
		    : !sort_keys[spec.key].text;
	if (domains_read(st, q, &c, err) != 0)
		goto out;
	v = xcalloc(g_hash_table_size(c.map) + 1, sizeof(*v));
	g_hash_table_iter_init(&it, c.map);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct dom_row *r = value;

		if (!domain_matches(r->domain, match))
			continue;
		r->rate = rate_of(r->success, r->failure);
		r->trend = r->has_prev ? r->rate - rate_of(r->prev_success, r->prev_failure) : 0.0;
		r->sort = &spec;
		v[n++] = r;
	}
	qsort(v, n, sizeof(*v), cmp_domain_rows);
	total = n;
	rows = json_array();
	for (i = (size_t)offset; i < n && i < offset + limit; i++)
		json_array_append_new(rows, dom_row_json(v[i]));
	if (want_csv(req)) {
		static const char *const cols[] = { "domain", "domain_unicode", "reports",
			"sessions", "success", "failure", "rate", "trend", "reporters",
			"last_received" };

		send_csv(resp, rows, cols, sizeof(cols) / sizeof(cols[0]));
		json_decref(rows);
	} else {
		out = json_pack("{s:o, s:I, s:I, s:I, s:s, s:s, s:o}", "query",
			serve_query_json(q), "total", (json_int_t)total, "offset",
			(json_int_t)offset, "limit", (json_int_t)limit, "sort",
			sort_keys[spec.key].name, "order", spec.desc ? "desc" : "asc",
			"domains", rows);
		serve_send_json(resp, 200, out);
		json_decref(out);
	}
	rc = 0;
	goto out;
bad:
	serve_send_error(resp, 400, err->msg);
	rc = 0;
out:
	free(v);
	g_hash_table_destroy(c.map);
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
