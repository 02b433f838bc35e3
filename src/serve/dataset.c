/*
 * dataset: the dashboard/API figures (see dataset.h), each list one GROUP
 * BY of the database (store_views.h), so the cost grows with the number of
 * groups shown, not with the number of reports stored.  Lists are sorted
 * here (most failures first, then most sessions) and cut at
 * DATASET_MAX_ROWS.  The failure rows come from failure_table.h (as
 * /api/failures writes them, serve_api_failures.c).
 */
#include "serve/dataset.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/failure_table.h"
#include "store/store_views.h"
#include "util/xalloc.h"

char *
dataset_day(int64_t t, char out[11])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) == 0)
		memcpy(out, "0000-00-00", 11);
	return out;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

/* A JSON string for s; report text was validated as UTF-8 by the parser,
 * but a stored value that is not is shown as U+FFFD rather than lost. */
static json_t *
jstr(const char *s)
{
	json_t *v = json_string(nz(s));

	return v != NULL ? v : json_string("\xef\xbf\xbd");
}

static json_t *
figures(json_t *o, const struct store_view_row *row)
{
	json_object_set_new(o, "reports", json_integer((json_int_t)row->reports));
	json_object_set_new(o, "success", json_integer((json_int_t)row->success));
	json_object_set_new(o, "failure", json_integer((json_int_t)row->failure));
	return o;
}

/* What a grouping's rows become: which keys go into which members. */
struct group_ctx {
	enum store_view_by by;
	json_t *arr;
	json_t *totals;         /* STORE_VIEW_TOTAL: the output object */
};

static int
on_group(void *vctx, const struct store_view_row *row)
{
	struct group_ctx *c = vctx;
	json_t *o = json_object(), *strings;
	char day[11];

	switch (c->by) {
	case STORE_VIEW_TOTAL:
		figures(c->totals, row);
		json_decref(o);
		return 0;
	case STORE_VIEW_DAY:
		json_object_set_new(o, "day", json_string(dataset_day(
			(int64_t)strtoll(row->k1, NULL, 10) * 86400, day)));
		break;
	case STORE_VIEW_ORG:
		json_object_set_new(o, "organization", jstr(row->k1));
		break;
	case STORE_VIEW_DOMAIN:
		json_object_set_new(o, "domain", jstr(row->k1));
		json_array_append_new(c->arr, figures(o, row));
		json_object_set_new(o, "last_received", json_integer(row->last_received));
		return 0;
	case STORE_VIEW_DOMAIN_ORG:
		json_object_set_new(o, "domain", jstr(row->k1));
		json_object_set_new(o, "organization", jstr(row->k2));
		break;
	case STORE_VIEW_POLICY:
		strings = json_loads(nz(row->k3), JSON_DECODE_ANY, NULL);
		if (!json_is_array(strings)) {
			json_decref(strings);
			strings = json_array();
		}
		json_object_set_new(o, "domain", jstr(row->k1));
		json_object_set_new(o, "policy_type", jstr(row->k2));
		json_object_set_new(o, "policy_string", strings);
		break;
	case STORE_VIEW_DOMAIN_ORG_DAY:
	case STORE_VIEW_DOMAIN_REPORTERS:
		break;
	}
	json_array_append_new(c->arr, figures(o, row));
	return 0;
}

static uint64_t
member(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v < 0 ? 0 : (uint64_t)v;
}

/* Most failures first, then most sessions, then by count (failure rows). */
static int
cmp_rows(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	uint64_t fx = member(x, "failure") + member(x, "count");
	uint64_t fy = member(y, "failure") + member(y, "count");
	uint64_t sx = member(x, "success"), sy = member(y, "success");

	if (fx != fy)
		return fx < fy ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return 0;
}

/* Sorts arr with cmp (NULL: keep the database's order) and keeps at most
 * DATASET_MAX_ROWS members.  Returns arr. */
static json_t *
sorted(json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr), i;
	json_t **v, *out;

	if (cmp == NULL && n <= DATASET_MAX_ROWS)
		return arr;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	if (cmp != NULL)
		qsort(v, n, sizeof(*v), cmp);
	out = json_array();
	for (i = 0; i < n; i++) {
		if (i < DATASET_MAX_ROWS)
			json_array_append(out, v[i]);
		json_decref(v[i]);
	}
	free(v);
	json_decref(arr);
	return out;
}

static json_t *
grouped(struct store *s, const struct report_query *q, enum store_view_by by,
	int (*cmp)(const void *, const void *), struct err *err)
{
	struct group_ctx c = { .by = by, .arr = json_array() };

	if (store_view_groups(s, q, by, on_group, &c, err) != 0) {
		json_decref(c.arr);
		return NULL;
	}
	return sorted(c.arr, cmp);
}

/* The failure rows of q (failure_table.h) as JSON. */
static json_t *
failures(struct store *s, const struct report_query *q, struct err *err)
{
	struct failure_table *t = failure_table_read(s, q, err);
	json_t *arr, *o, *set;
	size_t i, k, j;

	if (t == NULL)
		return NULL;
	arr = json_array();
	for (i = 0; i < t->n; i++) {
		const struct failure_row *f = &t->rows[i];

		o = json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:s, s:o}",
			"domain", jstr(f->domain), "result_type", jstr(f->result_type),
			"mx", jstr(f->mx), "count", (json_int_t)f->sessions,
			"reports", (json_int_t)f->reports, "first_seen", (json_int_t)f->first_seen,
			"last_seen", (json_int_t)f->last_seen, "explanation", f->explanation,
			"fix", jstr(f->fix));
		if (o == NULL)
			continue;
		if (f->additional_information != NULL)
			json_object_set_new(o, "additional_information",
					    jstr(f->additional_information));
		for (k = 0; k < FAILURE_SETS; k++) {
			if (f->n_set[k] == 0)
				continue;
			set = json_array();
			for (j = 0; j < f->n_set[k]; j++)
				json_array_append_new(set, jstr(f->set[k][j]));
			json_object_set_new(o, failure_set_name((enum failure_set)k), set);
		}
		json_array_append_new(arr, o);
	}
	failure_table_free(t);
	return arr;
}

static int
on_failure_day(void *vctx, const struct store_view_failure *f)
{
	json_t *arr = vctx;
	char day[11];

	json_array_append_new(arr, json_pack("{s:s, s:o, s:I}", "day",
		dataset_day(f->first_seen * 86400, day), "result_type", jstr(f->result_type),
		"failed", (json_int_t)f->sessions));
	return 0;
}

json_t *
dataset_build(struct store *s, const struct report_query *q, struct err *err)
{
	return dataset_build_parts(s, q, DATASET_ALL, err);
}

json_t *
dataset_build_parts(struct store *s, const struct report_query *q, unsigned parts,
		    struct err *err)
{
	static const struct {
		const char *member;
		enum store_view_by by;
		int (*cmp)(const void *, const void *);
		unsigned part;
	} lists[] = {
		{ "days", STORE_VIEW_DAY, NULL, DATASET_FIGURES },
		{ "organizations", STORE_VIEW_ORG, cmp_rows, DATASET_FIGURES },
		{ "domain_totals", STORE_VIEW_DOMAIN, cmp_rows, DATASET_FIGURES },
		{ "domain_orgs", STORE_VIEW_DOMAIN_ORG, cmp_rows, DATASET_DOMAIN_ORGS },
		{ "policies", STORE_VIEW_POLICY, cmp_rows, DATASET_FIGURES },   /* last: see below */
	};
	struct group_ctx total = { .by = STORE_VIEW_TOTAL };
	json_t *out = json_object(), *v, *fdays = NULL;
	size_t i;

	total.totals = out;
	if ((parts & DATASET_FIGURES) &&
	    store_view_groups(s, q, STORE_VIEW_TOTAL, on_group, &total, err) != 0)
		goto fail;
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!(parts & lists[i].part))
			continue;
		/* every distinct policy of thousands of domains is no table for
		 * a person, and the costliest grouping: only for a few domains */
		if (lists[i].by == STORE_VIEW_POLICY && json_array_size(json_object_get(
			    out, "domain_totals")) > DATASET_MAX_POLICY_DOMAINS) {
			json_object_set_new(out, "policies", json_array());
			json_object_set_new(out, "policies_omitted", json_true());
			continue;
		}
		v = grouped(s, q, lists[i].by, lists[i].cmp, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(out, lists[i].member, v);
	}
	if (parts & DATASET_FAILURES) {
		v = failures(s, q, err);
		if (v == NULL)
			goto fail;
		json_object_set_new(out, "failures", v);
	}
	if (parts & DATASET_FIGURES) {
		fdays = json_array();
		if (store_view_failure_days(s, q, on_failure_day, fdays, err) != 0)
			goto fail;
		json_object_set_new(out, "failure_days", fdays);
	}
	return out;
fail:
	json_decref(fdays);
	json_decref(out);
	return NULL;
}
