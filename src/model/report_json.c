/*
 * report_json: parsing RFC 8460 report JSON into struct report (see
 * report_json.h for the leniencies).  yajl's callbacks read the document
 * into the slots of its known members (report_shape_read.c); this file maps
 * them onto the model level by level (report, date-range, policy item,
 * policy, summary, failure detail), in a fixed order that does not depend
 * on the order of the members, and keeps unknown members (jansson builds
 * and writes those).  The writer is in report_json_write.c.
 */
#include "model/report_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/datetime.h"
#include "model/json_fields.h"
#include "model/report_shape.h"
#include "util/xalloc.h"

static int
hex4(const char *s, size_t left, unsigned *out)
{
	unsigned v = 0;

	if (left < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Returns the nesting depth of the JSON text (strings skipped), stopping
 * early once it passes max.  Only for a text yajl refused: the depth limit
 * is checked before anything else (as it always was), so a text both
 * broken and too deep is "nested deeper"; a well-formed one is measured
 * by the callbacks at no cost. */
static int
nesting_depth(const char *s, size_t len, int max)
{
	int depth = 0, deepest = 0, in_string = 0;

	for (size_t i = 0; i < len && deepest <= max; i++) {
		char ch = s[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
		} else if (ch == '"') {
			in_string = 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth > deepest)
				deepest = depth;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return deepest;
}

/* What yajl accepts and jansson refused, found without parsing (memchr()
 * jumps to the few bytes that matter): \v or \f (whitespace to yajl, not
 * to JSON; invalid inside strings anyway), and a \u escape of a surrogate
 * that is not half of a pair (yajl turns a lone high surrogate into '?').
 * Returns what it found, with its offset in *at, or NULL.  A backslash
 * outside a string is a syntax error that yajl reports anyway. */
static const char *
not_jansson(const char *s, size_t len, size_t *at)
{
	const char *p = s, *end = s + len, *v = memchr(s, '\v', len), *f = memchr(s, '\f', len);
	unsigned u, lo;

	if (v != NULL || f != NULL) {
		*at = (size_t)((v != NULL && (f == NULL || v < f) ? v : f) - s);
		return "invalid token (\\v or \\f)";
	}
	while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		size_t left = (size_t)(end - p);

		if (left < 6 || p[1] != 'u' || hex4(p + 2, left - 2, &u) != 0 || u < 0xD800 ||
		    u > 0xDFFF) {
			p += 2;         /* the escaped character, whatever it is */
			continue;
		}
		if (u >= 0xDC00 || left < 12 || p[6] != '\\' || p[7] != 'u' ||
		    hex4(p + 8, left - 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
			*at = (size_t)(p - s);
			return "invalid Unicode escape (a lone surrogate)";
		}
		p += 12;
	}
	return NULL;
}

/* Stores the unknown members of f as compact JSON text in *out, or under
 * `key` in the overlay object *overlay (created on demand) when key is set. */
static void
keep_extra(struct json_fields *f, char **out, json_t **overlay, const char *key)
{
	json_t *extra = json_fields_extra(f);

	if (extra == NULL)
		return;
	if (key != NULL) {
		if (*overlay == NULL)
			*overlay = json_object();
		json_object_set_new(*overlay, key, extra);
		return;
	}
	*out = json_dumps(extra, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(extra);
}

/* Stores the overlay object (if any) as the extra_json text in *out. */
static void
keep_overlay(json_t *overlay, char **out)
{
	if (overlay != NULL && json_object_size(overlay) > 0) {
		char *s = json_dumps(overlay, JSON_COMPACT | JSON_PRESERVE_ORDER);

		if (*out != NULL) {
			/* Merge the item's own extras and the nested ones. */
			json_t *own = json_loads(*out, 0, NULL);

			json_object_update(own, overlay);
			free(s);
			free(*out);
			s = json_dumps(own, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(own);
		}
		*out = s;
	}
	json_decref(overlay);
}

static int
parse_date(struct json_fields *f, const char *key, char **raw, int64_t *t)
{
	struct err derr;
	unsigned flags;

	if (json_fields_string(f, key, NULL, JSON_FIELDS_REQUIRED, raw) != 0)
		return -1;
	if (datetime_parse(*raw, t, &flags, &derr) != 0)
		return json_fields_fail(f, key, "%s", derr.msg);
	if (flags & DATETIME_DATE_ONLY)
		json_fields_quirk(f, key, "date without time, taken as 00:00:00Z");
	else if (flags & DATETIME_NO_ZONE)
		json_fields_quirk(f, key, "no time zone, taken as UTC");
	if (flags & DATETIME_FRACTION)
		json_fields_quirk(f, key, "fractional seconds ignored");
	if (flags & DATETIME_OFFSET)
		json_fields_quirk(f, key, "numeric UTC offset applied");
	if (flags & DATETIME_LEAP_SEC)
		json_fields_quirk(f, key, "leap second taken as :59");
	if (flags & DATETIME_LOOSE_SEP)
		json_fields_quirk(f, key, "non-canonical separator or zone letter");
	return 0;
}

static int
parse_date_range(struct json_fields *top, struct report *r, json_t **overlay)
{
	struct jv *dr = json_fields_get(top, "date-range", NULL, NULL);
	struct json_fields f;

	if (dr == NULL)
		return json_fields_fail(top, "date-range", "required member is missing");
	if (dr->kind != JV_OBJECT)
		return json_fields_fail(top, "date-range", "must be an object");
	json_fields_child(top, "date-range", dr->obj, &f);
	if (parse_date(&f, "start-datetime", &r->start_datetime, &r->start) != 0 ||
	    parse_date(&f, "end-datetime", &r->end_datetime, &r->end) != 0)
		return -1;
	if (r->end < r->start)
		json_fields_quirk(&f, "end-datetime", "before start-datetime");
	else if (r->end > r->start && r->end % 86400 == 0)
		json_fields_quirk(&f, "end-datetime", "00:00 of the next day (exclusive end)");
	keep_extra(&f, NULL, overlay, "date-range");
	return 0;
}

/* Microsoft sends the TLSA RRset as ONE string holding a JSON array:
 * ["[\"3 1 1 AB..\",\"3 1 1 CD..\"]"].  Splits it into its elements. */
static void
split_json_string_array(struct json_fields *f, struct strlist *l)
{
	const char *s;
	json_t *a, *e;
	size_t i;

	if (l->n != 1)
		return;
	s = l->v[0];
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '[')
		return;
	a = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(a))
		goto out;
	json_array_foreach(a, i, e)
		if (!json_is_string(e))
			goto out;
	strlist_clear(l);
	json_array_foreach(a, i, e)
		strlist_add(l, json_string_value(e));
	json_fields_quirk(f, "policy-string",
			  "one string holding a JSON array, split into %zu records", l->n);
out:
	json_decref(a);
}

static int
parse_policy_object(struct json_fields *item, struct policy *p, json_t **overlay)
{
	struct jv *po = json_fields_get(item, "policy", NULL, NULL);
	struct json_fields f;
	int has_domain;

	if (po == NULL)
		return json_fields_fail(item, "policy", "required member is missing");
	if (po->kind != JV_OBJECT)
		return json_fields_fail(item, "policy", "must be an object");
	json_fields_child(item, "policy", po->obj, &f);
	if (json_fields_string(&f, "policy-type", NULL, JSON_FIELDS_REQUIRED,
			       &p->policy_type) != 0)
		return -1;
	p->type = policy_type_from_string(p->policy_type);
	if (json_fields_strings(&f, "policy-string", NULL, &p->policy_string,
				&p->has_policy_string) != 0)
		return -1;
	split_json_string_array(&f, &p->policy_string);
	has_domain = json_fields_has(&f, "policy-domain");
	if (json_fields_string(&f, "policy-domain", NULL, 0, &p->policy_domain) != 0)
		return -1;
	if (!has_domain)
		json_fields_quirk(&f, "policy-domain", "missing");
	if (json_fields_strings(&f, "mx-host", "mx-host-pattern", &p->mx_host,
				&p->has_mx_host) != 0)
		return -1;
	if (!p->has_policy_string && p->type != POLICY_TYPE_NO_POLICY_FOUND)
		json_fields_quirk(&f, "policy-string", "missing");
	keep_extra(&f, NULL, overlay, "policy");
	return 0;
}

static int
parse_summary(struct json_fields *item, struct policy *p, json_t **overlay)
{
	struct jv *so = json_fields_get(item, "summary", NULL, NULL);
	struct json_fields f;

	/* RFC 8460 §4.4: summary is required; no real sender omits it, and
	 * taking it as 0 sessions would hide the report's whole content. */
	if (so == NULL)
		return json_fields_fail(item, "summary", "required member is missing");
	if (so->kind == JV_NULL)
		return json_fields_fail(item, "summary", "required member is null");
	if (so->kind != JV_OBJECT)
		return json_fields_fail(item, "summary", "must be an object");
	json_fields_child(item, "summary", so->obj, &f);
	if (json_fields_count(&f, "total-successful-session-count",
			      &p->total_successful_session_count) != 0 ||
	    json_fields_count(&f, "total-failure-session-count",
			      &p->total_failure_session_count) != 0)
		return -1;
	keep_extra(&f, NULL, overlay, "summary");
	return 0;
}

/* RFC 8460 §4.4: failed-session-count is required in a failure detail; a
 * detail without it says nothing about how many sessions failed. */
static int
read_failed_session_count(struct json_fields *f, struct failure_detail *d)
{
	struct jv *v = json_fields_get(f, "failed-session-count", NULL, NULL);

	if (v == NULL)
		return json_fields_fail(f, "failed-session-count", "required member is missing");
	if (v->kind == JV_NULL)
		return json_fields_fail(f, "failed-session-count", "required member is null");
	return json_fields_count(f, "failed-session-count", &d->failed_session_count);
}

static int
parse_detail(struct jv *o, const char *path, struct policy *p, struct strlist *quirks,
	     struct err *err)
{
	struct failure_detail *d = policy_add_failure_detail(p);
	struct json_fields f;

	json_fields_init(&f, o->obj, path, quirks, err);
	if (o->kind != JV_OBJECT)
		return json_fields_fail(&f, NULL, "must be an object");
	if (json_fields_string(&f, "result-type", NULL, JSON_FIELDS_REQUIRED,
			       &d->result_type) != 0)
		return -1;
	d->type = result_type_from_string(d->result_type);
	if (json_fields_string(&f, "sending-mta-ip", NULL, 0, &d->sending_mta_ip) != 0 ||
	    json_fields_string(&f, "receiving-mx-hostname", NULL, 0,
			       &d->receiving_mx_hostname) != 0 ||
	    json_fields_string(&f, "receiving-mx-helo", NULL, 0, &d->receiving_mx_helo) != 0 ||
	    json_fields_string(&f, "receiving-ip", NULL, 0, &d->receiving_ip) != 0 ||
	    read_failed_session_count(&f, d) != 0 ||
	    json_fields_string(&f, "additional-information", "additional-info-uri", 0,
			       &d->additional_information) != 0 ||
	    json_fields_string(&f, "failure-reason-code", "failure-error-code", 0,
			       &d->failure_reason_code) != 0)
		return -1;
	keep_extra(&f, &d->extra_json, NULL, NULL);
	return 0;
}

static int
parse_details(struct json_fields *item, struct policy *p)
{
	struct jv *a = json_fields_get(item, "failure-details", NULL, NULL);
	char base[JSON_FIELDS_PATH_MAX], path[JSON_FIELDS_PATH_MAX + 24];

	if (a == NULL) {
		if (p->total_failure_session_count > 0)
			json_fields_quirk(item, "failure-details",
					  "missing although failures were counted");
		return 0;
	}
	if (a->kind == JV_NULL) {
		json_fields_quirk(item, "failure-details", "null, taken as absent");
		return 0;
	}
	if (a->kind != JV_ARRAY)
		return json_fields_fail(item, "failure-details", "must be an array");
	p->has_failure_details = 1;
	json_fields_path(item, "failure-details", base, sizeof(base));
	for (size_t i = 0; i < a->n_elems; i++) {
		snprintf(path, sizeof(path), "%s[%zu]", base, i);
		if (parse_detail(&a->elems[i], path, p, item->quirks, item->err) != 0)
			return -1;
	}
	return 0;
}

static int
parse_policy_item(struct jv *o, const char *path, struct report *r, struct err *err)
{
	struct policy *p = report_add_policy(r);
	json_t *overlay = NULL;
	struct json_fields f;
	int rc = -1;

	json_fields_init(&f, o->obj, path, &r->quirks, err);
	if (o->kind != JV_OBJECT) {
		json_fields_fail(&f, NULL, "must be an object");
		goto out;
	}
	if (parse_policy_object(&f, p, &overlay) != 0 || parse_summary(&f, p, &overlay) != 0 ||
	    parse_details(&f, p) != 0)
		goto out;
	keep_extra(&f, &p->extra_json, NULL, NULL);
	rc = 0;
out:
	keep_overlay(overlay, &p->extra_json);
	return rc;
}

static int
parse_policies(struct json_fields *top, struct report *r)
{
	struct jv *a = json_fields_get(top, "policies", NULL, NULL);
	char path[32];

	if (a == NULL)
		return json_fields_fail(top, "policies", "required member is missing");
	if (a->kind == JV_OBJECT) {
		/* says array; one sender wrote the single policy bare. */
		json_fields_quirk(top, "policies", "an object, not an array: taken as one policy");
		return parse_policy_item(a, "policies[0]", r, top->err);
	}
	if (a->kind != JV_ARRAY)
		return json_fields_fail(top, "policies", "must be an array");
	for (size_t i = 0; i < a->n_elems; i++) {
		snprintf(path, sizeof(path), "policies[%zu]", i);
		if (parse_policy_item(&a->elems[i], path, r, top->err) != 0)
			return -1;
	}
	return 0;
}

static int
parse_report(struct jobj *root, struct report *r, struct err *err)
{
	struct json_fields f;
	json_t *overlay = NULL;
	int ci;
	int rc = -1;

	json_fields_init(&f, root, NULL, &r->quirks, err);
	if (json_fields_string(&f, "organization-name", NULL, JSON_FIELDS_REQUIRED,
			       &r->organization_name) != 0 ||
	    parse_date_range(&f, r, &overlay) != 0)
		goto out;
	ci = json_fields_has(&f, "contact-info");
	if (json_fields_string(&f, "contact-info", NULL, 0, &r->contact_info) != 0)
		goto out;
	if (!ci)
		json_fields_quirk(&f, "contact-info", "missing");
	if (json_fields_string(&f, "report-id", NULL,
			       JSON_FIELDS_REQUIRED | JSON_FIELDS_INT_OK, &r->report_id) != 0 ||
	    parse_policies(&f, r) != 0)
		goto out;
	keep_extra(&f, &r->extra_json, NULL, NULL);
	rc = 0;
out:
	keep_overlay(overlay, &r->extra_json);
	return rc;
}

/* What implausible() checks: the path and member of the message. */
enum count_at { AT_SUCCESS, AT_FAILURE, AT_DETAIL, AT_ALL };

/* Refuses a count no real sender reports (REPORT_MAX_SESSIONS), naming
 * where it is as the parser's other messages do (policy i, detail j).  The
 * message is only formatted then: this runs for every count of every
 * report. */
static int
implausible(uint64_t n, enum count_at at, size_t i, size_t j, struct err *err)
{
	char path[128];

	if (n <= REPORT_MAX_SESSIONS)
		return 0;
	switch (at) {
	case AT_SUCCESS:
		snprintf(path, sizeof(path), "policies[%zu].summary.total-successful-session-count", i);
		break;
	case AT_FAILURE:
		snprintf(path, sizeof(path), "policies[%zu].summary.total-failure-session-count", i);
		break;
	case AT_DETAIL:
		snprintf(path, sizeof(path), "policies[%zu].failure-details[%zu].failed-session-count",
			 i, j);
		break;
	default:
		snprintf(path, sizeof(path), "policies[0..%zu] (all summaries together)", i);
		break;
	}
	err_set(err, "%s: %llu sessions is more than the plausibility limit (%llu per "
		"report): refused", path, (unsigned long long)n,
		(unsigned long long)REPORT_MAX_SESSIONS);
	return -1;
}

/* Checks the counts of r against REPORT_MAX_SESSIONS: each one, and the
 * sessions of all its policies together (every count is below 2^53, so the
 * running sum cannot wrap before it passes the limit). */
static int
check_plausible(const struct report *r, struct err *err)
{
	uint64_t all = 0;

	for (size_t i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		if (implausible(p->total_successful_session_count, AT_SUCCESS, i, 0, err) ||
		    implausible(p->total_failure_session_count, AT_FAILURE, i, 0, err))
			return -1;
		for (size_t j = 0; j < p->n_failure_details; j++)
			if (implausible(p->failure_details[j].failed_session_count, AT_DETAIL,
					i, j, err))
				return -1;
		all += p->total_successful_session_count + p->total_failure_session_count;
		if (implausible(all, AT_ALL, i, 0, err))
			return -1;
	}
	return 0;
}

struct report *
report_parse_json(const char *json, size_t len, struct err *err)
{
	struct report *r = NULL;
	struct jobj *root = NULL;
	const char *bad;
	size_t at = 0, stopped = 0;

	if (len > REPORT_JSON_MAX_SIZE) {
		err_set(err, "report too large: %zu bytes (limit %u)", len, REPORT_JSON_MAX_SIZE);
		goto fail;
	}
	r = report_new();
	if (len >= 3 && memcmp(json, "\xEF\xBB\xBF", 3) == 0) {
		strlist_add(&r->quirks, "(top): UTF-8 byte order mark skipped");
		json += 3;
		len -= 3;
	}
	/* jansson reported the first error in the text: of what yajl refused
	 * and what it would have let through, the one that comes first */
	bad = not_jansson(json, len, &at);
	root = shape_read(json, len, LV_TOP, &stopped, err);
	if (bad != NULL && (root != NULL || at < stopped)) {
		err_set(err, "not JSON: byte %zu: %s", at + 1, bad);
		jobj_free(root);
		root = NULL;
	}
	if (root == NULL) {
		if (nesting_depth(json, len, REPORT_JSON_MAX_DEPTH) > REPORT_JSON_MAX_DEPTH)
			err_set(err, "JSON nested deeper than %d levels", REPORT_JSON_MAX_DEPTH);
		goto fail;
	}
	if (parse_report(root, r, err) != 0 || check_plausible(r, err) != 0)
		goto fail;
	jobj_free(root);
	return r;
fail:
	jobj_free(root);
	report_free(r);
	return NULL;
}
