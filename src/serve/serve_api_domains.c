/*
 * serve_api_domains: GET /api/domains?sort=&order=&offset=&limit=&match=
 * (routed by serve_api_views.c): one row per policy domain: sessions,
 * failures, failure rate, the rate of the period before (same length) and
 * the change, reporters, when its last report arrived, and the
 * organizations that used to report it and stopped ("stale_reporters");
 * sorted, paged, or as CSV.  The period's (domain, organization) rows are
 * read once and summed per domain in C; JSON is built for the page only.
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve_api_util.h"
#include "serve/serve_private.h"
#include "store/store_views.h"
#include "util/count.h"
#include "util/xalloc.h"

/* Stale reporters (store_view_stale_reporters()): an organization that
 * reported a domain daily (on at least STALE_MIN_DAYS days of the
 * STALE_WINDOW_DAYS before the end of the period, and on STALE_REGULAR_PCT
 * % of the days from its first report in that window to its last), and not
 * in the last STALE_QUIET_DAYS. */
#define STALE_WINDOW_DAYS 30
#define STALE_MIN_DAYS 5
#define STALE_REGULAR_PCT 80
#define STALE_QUIET_DAYS 3

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
	r->reports = count_add(r->reports, row->reports);
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
	case 1: return (double)count_add(r->success, r->failure);
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
	u = serve_unicode_of(domain);
	yes = u != NULL && strstr(u, match) != NULL;
	free(u);
	return yes;
}

/* The row as the API shows it (members in the order they always were). */
static json_t *
dom_row_json(const struct dom_row *r)
{
	json_t *o = json_object();

	serve_set_domain(o, r->domain);
	json_object_set_new(o, "reports", json_integer((json_int_t)r->reports));
	json_object_set_new(o, "success", json_integer((json_int_t)r->success));
	json_object_set_new(o, "failure", json_integer((json_int_t)r->failure));
	json_object_set_new(o, "sessions",
			    json_integer((json_int_t)count_add(r->success, r->failure)));
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

int
serve_api_domains(struct store *st, const struct http_request *req, const struct report_query *q,
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

	if (serve_arg_uint(req, "offset", 0, UINT32_MAX, &offset, err) != 0 ||
	    serve_arg_uint(req, "limit", SERVE_API_PAGE_DEFAULT, SERVE_API_PAGE_MAX, &limit, err) != 0)
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
	if (serve_want_csv(req)) {
		static const char *const cols[] = { "domain", "domain_unicode", "reports",
			"sessions", "success", "failure", "rate", "trend", "reporters",
			"last_received" };

		serve_send_csv(resp, rows, cols, sizeof(cols) / sizeof(cols[0]));
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
