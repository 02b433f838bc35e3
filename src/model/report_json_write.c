/*
 * report_json_write: struct report to RFC 8460 JSON (report_json.h).
 * The compact forms with nothing to merge are written directly
 * (report_json_direct.c, the same bytes); the others build a jansson tree
 * in the RFC's member order (jansson keeps insertion order) and dump it.  Strings pass through a UTF-8 check first, since
 * generated reports carry text from MTAs and DNS, not only parsed JSON.
 */
#include "model/report_json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/datetime.h"
#include "model/json_fields.h"
#include "model/report_json_direct.h"
#include "util/utf8_seq.h"
#include "util/xalloc.h"

/* A JSON string for s, with invalid UTF-8 bytes replaced by U+FFFD. */
static json_t *
jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	json_t *v = json_stringn((const char *)p, n);
	char *fixed;

	if (v != NULL)
		return v;
	fixed = xmalloc(n * 3 + 1);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k == 0) {
			memcpy(fixed + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(fixed + o, p + i, k);
			o += k;
			i += k;
		}
	}
	v = json_stringn(fixed, o);
	free(fixed);
	return v;
}

static json_t *
jcount(uint64_t n)
{
	return json_integer((json_int_t)(n > JSON_FIELDS_COUNT_MAX ? JSON_FIELDS_COUNT_MAX : n));
}

static json_t *
jstrings(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, jstr(l->v[i]));
	return a;
}

/* Sets key to s when s is worth writing: non-NULL, and non-empty unless
 * the report is written as received. */
static void
set_opt(json_t *o, const char *key, const char *s, unsigned flags)
{
	if (s != NULL && (s[0] != '\0' || (flags & REPORT_JSON_AS_RECEIVED)))
		json_object_set_new(o, key, jstr(s));
}

/* Adds the members of the JSON object text `extra` that o lacks; for a
 * member both have as objects, recurses (the nested overlay of report_json.h). */
static void
merge_extra_obj(json_t *o, json_t *extra)
{
	const char *key;
	json_t *v, *have;

	json_object_foreach(extra, key, v) {
		have = json_object_get(o, key);
		if (have == NULL)
			json_object_set(o, key, v);
		else if (json_is_object(have) && json_is_object(v))
			merge_extra_obj(have, v);
	}
}

static void
merge_extra(json_t *o, const char *extra, unsigned flags)
{
	json_t *e;

	if (extra == NULL || !(flags & REPORT_JSON_KEEP_EXTRA))
		return;
	e = json_loads(extra, 0, NULL);
	if (json_is_object(e))
		merge_extra_obj(o, e);
	json_decref(e);
}

static const char *
type_text(const char *raw, const char *registered, unsigned flags)
{
	if ((flags & REPORT_JSON_AS_RECEIVED) && raw != NULL)
		return raw;
	return registered != NULL ? registered : raw;
}

static json_t *
write_detail(const struct failure_detail *d, unsigned flags)
{
	json_t *o = json_object();

	json_object_set_new(o, "result-type",
			    jstr(type_text(d->result_type, result_type_to_string(d->type), flags)));
	set_opt(o, "sending-mta-ip", d->sending_mta_ip, flags);
	set_opt(o, "receiving-mx-hostname", d->receiving_mx_hostname, flags);
	set_opt(o, "receiving-mx-helo", d->receiving_mx_helo, flags);
	set_opt(o, "receiving-ip", d->receiving_ip, flags);
	json_object_set_new(o, "failed-session-count", jcount(d->failed_session_count));
	set_opt(o, "additional-information", d->additional_information, flags);
	set_opt(o, "failure-reason-code", d->failure_reason_code, flags);
	merge_extra(o, d->extra_json, flags);
	return o;
}

static json_t *
write_policy(const struct policy *p, unsigned flags)
{
	int all = !(flags & REPORT_JSON_AS_RECEIVED);
	json_t *item = json_object(), *po = json_object(), *so = json_object();
	json_t *fd;

	json_object_set_new(po, "policy-type",
			    jstr(type_text(p->policy_type, policy_type_to_string(p->type), flags)));
	if (all || p->has_policy_string)
		json_object_set_new(po, "policy-string", jstrings(&p->policy_string));
	set_opt(po, "policy-domain", p->policy_domain, flags);
	if (all || p->has_mx_host)
		json_object_set_new(po, "mx-host", jstrings(&p->mx_host));
	json_object_set_new(item, "policy", po);
	json_object_set_new(so, "total-successful-session-count",
			    jcount(p->total_successful_session_count));
	json_object_set_new(so, "total-failure-session-count",
			    jcount(p->total_failure_session_count));
	json_object_set_new(item, "summary", so);
	if (all || p->has_failure_details || p->n_failure_details > 0) {
		fd = json_array();
		for (size_t i = 0; i < p->n_failure_details; i++)
			json_array_append_new(fd, write_detail(&p->failure_details[i], flags));
		json_object_set_new(item, "failure-details", fd);
	}
	merge_extra(item, p->extra_json, flags);
	return item;
}

static const char *
date_text(const char *raw, int64_t t, char buf[DATETIME_FMT_SIZE], unsigned flags)
{
	if ((flags & REPORT_JSON_AS_RECEIVED) && raw != NULL)
		return raw;
	return datetime_format(t, buf);
}

char *
report_write_json(const struct report *r, unsigned flags)
{
	char *out = report_write_json_direct(r, flags);

	return out != NULL ? out : report_write_json_tree(r, flags);
}

char *
report_write_json_tree(const struct report *r, unsigned flags)
{
	char b1[DATETIME_FMT_SIZE], b2[DATETIME_FMT_SIZE];
	json_t *o = json_object(), *dr = json_object(), *pa = json_array();
	char *out;

	json_object_set_new(o, "organization-name", jstr(r->organization_name));
	json_object_set_new(dr, "start-datetime", jstr(date_text(r->start_datetime, r->start,
								 b1, flags)));
	json_object_set_new(dr, "end-datetime", jstr(date_text(r->end_datetime, r->end, b2,
							       flags)));
	json_object_set_new(o, "date-range", dr);
	set_opt(o, "contact-info", r->contact_info, flags);
	json_object_set_new(o, "report-id", jstr(r->report_id));
	for (size_t i = 0; i < r->n_policies; i++)
		json_array_append_new(pa, write_policy(&r->policies[i], flags));
	json_object_set_new(o, "policies", pa);
	merge_extra(o, r->extra_json, flags);
	out = json_dumps(o, JSON_PRESERVE_ORDER |
			 ((flags & REPORT_JSON_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT));
	json_decref(o);
	return out;
}
