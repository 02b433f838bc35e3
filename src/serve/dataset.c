/*
 * dataset: one pass over the matching reports builds the dashboard/API
 * figures (see dataset.h).  Groups are jansson objects keyed by the group's
 * fields joined with \x1f (a byte no domain or type contains); at the end
 * each group map becomes an array sorted by failures, then sessions.
 * Sums saturate at COUNT_MAX (util/count.h): no report can make them wrap.
 */
#include "serve/dataset.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/explain.h"
#include "model/report.h"
#include "util/buf.h"
#include "util/count.h"
#include "util/xalloc.h"

struct acc {
	json_t *days;       /* "YYYY-MM-DD" -> {day, reports, success, failure} */
	json_t *orgs;       /* org -> {...} */
	json_t *policies;   /* domain \x1f type \x1f strings -> {...} */
	json_t *domains;    /* domain -> {domain, reports, success, failure} */
	json_t *domain_orgs;
	json_t *failures;   /* domain \x1f type \x1f mx -> {...} */
	uint64_t reports, success, failure;
	char *only;         /* report_domain_key() of the domain asked for ("" for
			     * the policies without one), or NULL for all */
	int64_t id;         /* the store id of the report being added */
};

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

static void
add_int(json_t *o, const char *k, uint64_t n)
{
	json_t *v = json_object_get(o, k);
	uint64_t cur = v != NULL ? count_from_int64(json_integer_value(v)) : 0;

	json_object_set_new(o, k, json_integer((json_int_t)count_add(cur, n)));
}

/* Returns the group object for key in map, creating it with the members of
 * init (stolen) when absent. */
static json_t *
group(json_t *map, const char *key, json_t *init)
{
	json_t *g = json_object_get(map, key);

	if (g != NULL) {
		json_decref(init);
		return g;
	}
	json_object_set_new(map, key, init);
	return init;
}

/* Adds s to the JSON array used as a small set (at most 20 members). */
static void
set_add(json_t *o, const char *k, const char *s)
{
	json_t *a = json_object_get(o, k);
	size_t i;

	if (s == NULL || *s == '\0')
		return;
	if (a == NULL) {
		a = json_array();
		json_object_set_new(o, k, a);
	}
	for (i = 0; i < json_array_size(a); i++)
		if (strcmp(json_string_value(json_array_get(a, i)), s) == 0)
			return;
	if (json_array_size(a) < 20)
		json_array_append_new(a, jstr(s));
}

/* Counts the report being added once in group g ("reports"), however many
 * of its policies fall in g; "_last" (dropped by to_array()) remembers it. */
static void
count_report(struct acc *acc, json_t *g)
{
	if (json_integer_value(json_object_get(g, "_last")) == acc->id)
		return;
	json_object_set_new(g, "_last", json_integer(acc->id));
	add_int(g, "reports", 1);
}

static char *
join3(const char *a, const char *b, const char *c)
{
	return xasprintf("%s\x1f%s\x1f%s", a, b, c);
}

static void
add_failure(struct acc *acc, const struct report *r, const char *dom,
	    const struct failure_detail *d)
{
	const char *mx = nz(d->receiving_mx_hostname);
	const char *rtype = nz(d->result_type);
	char *key = join3(dom, rtype, mx), *fix;
	json_t *g;

	g = group(acc->failures, key, json_pack("{s:o, s:o, s:o, s:I, s:I, s:I}",
		"domain", jstr(dom), "result_type", jstr(rtype), "mx", jstr(mx), "count", (json_int_t)0,
		"first_seen", (json_int_t)r->start, "last_seen", (json_int_t)r->end));
	free(key);
	add_int(g, "count", d->failed_session_count);
	set_add(g, "sending_ips", d->sending_mta_ip);
	set_add(g, "organizations", r->organization_name);
	if (r->start < json_integer_value(json_object_get(g, "first_seen")))
		json_object_set_new(g, "first_seen", json_integer(r->start));
	if (r->end > json_integer_value(json_object_get(g, "last_seen")))
		json_object_set_new(g, "last_seen", json_integer(r->end));
	if (d->additional_information != NULL && *d->additional_information != '\0' &&
	    json_object_get(g, "additional_information") == NULL)
		json_object_set_new(g, "additional_information",
				    jstr(d->additional_information));
	if (d->failure_reason_code != NULL && *d->failure_reason_code != '\0')
		set_add(g, "failure_reason_codes", d->failure_reason_code);
	if (json_object_get(g, "explanation") == NULL) {
		json_object_set_new(g, "explanation",
				    json_string(explain_result_type(d->type)));
		fix = explain_fix(d->type, mx, dom);
		json_object_set_new(g, "fix", jstr(fix));
		free(fix);
	}
}

/* Adds the sessions of policy p, and its report once, to group g. */
static void
sessions(struct acc *acc, json_t *g, const struct policy *p)
{
	count_report(acc, g);
	add_int(g, "success", p->total_successful_session_count);
	add_int(g, "failure", p->total_failure_session_count);
}

/* Adds policy p of report r, counted under domain key dom on day. */
static void
add_policy(struct acc *acc, const struct report *r, const struct policy *p, const char *dom,
	   const char *day)
{
	const char *org = nz(r->organization_name);
	json_t *g, *strings = json_array();
	char *key, *joined;
	struct buf sb;
	size_t i;

	buf_init(&sb, 1 << 16);
	for (i = 0; i < p->policy_string.n; i++) {
		json_array_append_new(strings, jstr(p->policy_string.v[i]));
		buf_append_str(&sb, p->policy_string.v[i]);
		buf_append(&sb, "\n", 1);
	}
	joined = buf_steal(&sb, NULL);
	key = join3(dom, nz(p->policy_type), joined);
	free(joined);
	g = group(acc->policies, key, json_pack("{s:o, s:o, s:o, s:I, s:I, s:I}",
		"domain", jstr(dom), "policy_type", jstr(p->policy_type), "policy_string", strings,
		"reports", (json_int_t)0, "success", (json_int_t)0, "failure", (json_int_t)0));
	free(key);
	sessions(acc, g, p);

	key = join3(dom, org, "");
	g = group(acc->domain_orgs, key, json_pack("{s:o, s:o, s:I, s:I, s:I}", "domain",
		jstr(dom), "organization", jstr(org), "reports", (json_int_t)0,
		"success", (json_int_t)0, "failure", (json_int_t)0));
	free(key);
	sessions(acc, g, p);

	g = group(acc->domains, dom, json_pack("{s:o, s:I, s:I, s:I}", "domain", jstr(dom),
		"reports", (json_int_t)0, "success", (json_int_t)0, "failure", (json_int_t)0));
	sessions(acc, g, p);

	g = group(acc->days, day, json_pack("{s:s, s:I, s:I, s:I}", "day", day,
		"reports", (json_int_t)0, "success", (json_int_t)0, "failure", (json_int_t)0));
	sessions(acc, g, p);

	g = group(acc->orgs, org, json_pack("{s:o, s:I, s:I, s:I}", "organization", jstr(org),
		"reports", (json_int_t)0, "success", (json_int_t)0, "failure", (json_int_t)0));
	sessions(acc, g, p);
	acc->success = count_add(acc->success, p->total_successful_session_count);
	acc->failure = count_add(acc->failure, p->total_failure_session_count);
	for (i = 0; i < p->n_failure_details; i++)
		add_failure(acc, r, dom, &p->failure_details[i]);
}

/* Adds the policies of r that the query asked for (all, or those of one
 * domain); r counts as a report when one of them does. */
static int
on_report(void *ctx, int64_t id, const struct report *r)
{
	struct acc *acc = ctx;
	char day[11], *dom;
	int counted = 0;

	acc->id = id;
	dataset_day(r->start, day);
	for (size_t i = 0; i < r->n_policies; i++) {
		dom = report_domain_key(r->policies[i].policy_domain);
		if (acc->only == NULL || strcmp(dom, acc->only) == 0) {
			add_policy(acc, r, &r->policies[i], dom, day);
			counted = 1;
		}
		free(dom);
	}
	if (counted)
		acc->reports++;
	return 0;
}

static uint64_t
member(json_t *o, const char *k)
{
	return count_from_int64(json_integer_value(json_object_get(o, k)));
}

/* Most failures first, then most sessions, then by count (failure rows). */
static int
cmp_rows(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	uint64_t fx = count_add(member(x, "failure"), member(x, "count"));
	uint64_t fy = count_add(member(y, "failure"), member(y, "count"));
	uint64_t sx = member(x, "success"), sy = member(y, "success");

	if (fx != fy)
		return fx < fy ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return 0;
}

static int
cmp_days(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "day")),
		      json_string_value(json_object_get(*(json_t *const *)b, "day")));
}

/* Turns a group map into a sorted array of at most DATASET_MAX_ROWS. */
static json_t *
to_array(json_t *map, int (*cmp)(const void *, const void *))
{
	size_t n = json_object_size(map), i = 0;
	json_t **v = xcalloc(n ? n : 1, sizeof(*v)), *val, *arr = json_array();
	const char *k;

	json_object_foreach(map, k, val)
		v[i++] = val;
	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n && i < DATASET_MAX_ROWS; i++) {
		json_object_del(v[i], "_last");
		json_array_append(arr, v[i]);
	}
	free(v);
	return arr;
}

json_t *
dataset_build(struct store *s, const struct report_query *q, struct err *err)
{
	struct acc acc;
	json_t *out = NULL;

	memset(&acc, 0, sizeof(acc));
	acc.days = json_object();
	acc.orgs = json_object();
	acc.policies = json_object();
	acc.domains = json_object();
	acc.domain_orgs = json_object();
	/* "" (no policy-domain) is a filter too: the key of those policies */
	acc.only = q != NULL && q->domain != NULL ? report_domain_key(q->domain) : NULL;
	acc.failures = json_object();
	if (store_query_reports(s, q, on_report, &acc, err) != 0)
		goto out;
	out = json_pack("{s:I, s:I, s:I}", "reports", (json_int_t)acc.reports,
			"success", (json_int_t)acc.success, "failure", (json_int_t)acc.failure);
	json_object_set_new(out, "days", to_array(acc.days, cmp_days));
	json_object_set_new(out, "organizations", to_array(acc.orgs, cmp_rows));
	json_object_set_new(out, "policies", to_array(acc.policies, cmp_rows));
	json_object_set_new(out, "domain_totals", to_array(acc.domains, cmp_rows));
	json_object_set_new(out, "domain_orgs", to_array(acc.domain_orgs, cmp_rows));
	json_object_set_new(out, "failures", to_array(acc.failures, cmp_rows));
out:
	json_decref(acc.days);
	json_decref(acc.orgs);
	json_decref(acc.policies);
	json_decref(acc.domains);
	json_decref(acc.domain_orgs);
	free(acc.only);
	json_decref(acc.failures);
	return out;
}
