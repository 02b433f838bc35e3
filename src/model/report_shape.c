/*
 * report_shape: the record of a report's known members (report_shape.h):
 * the levels and their members, and the slots' values.  The yajl reader
 * that fills it is report_shape_read.c.
 */
#include "model/report_shape.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* A member of a level: its name, the level of its object value (and of
 * the objects in its array value), and whether an array value is kept
 * element by element (policies, failure-details, policy-string, mx-host). */
struct member_def {
	const char *name;
	enum shape_level child;
	int list;
};

static const struct member_def levels[LV_COUNT][SHAPE_MEMBERS_MAX] = {
	[LV_TOP] = {
		{ "organization-name", LV_NONE, 0 }, { "date-range", LV_RANGE, 0 },
		{ "contact-info", LV_NONE, 0 }, { "report-id", LV_NONE, 0 },
		{ "policies", LV_ITEM, 1 },
	},
	[LV_RANGE] = { { "start-datetime", LV_NONE, 0 }, { "end-datetime", LV_NONE, 0 } },
	[LV_ITEM] = {
		{ "policy", LV_POLICY, 0 }, { "summary", LV_SUMMARY, 0 },
		{ "failure-details", LV_DETAIL, 1 },
	},
	[LV_POLICY] = {
		{ "policy-type", LV_NONE, 0 }, { "policy-string", LV_NONE, 1 },
		{ "policy-domain", LV_NONE, 0 }, { "mx-host", LV_NONE, 1 },
	},
	[LV_SUMMARY] = {
		{ "total-successful-session-count", LV_NONE, 0 },
		{ "total-failure-session-count", LV_NONE, 0 },
	},
	[LV_DETAIL] = {
		{ "result-type", LV_NONE, 0 }, { "sending-mta-ip", LV_NONE, 0 },
		{ "receiving-mx-hostname", LV_NONE, 0 }, { "receiving-mx-helo", LV_NONE, 0 },
		{ "receiving-ip", LV_NONE, 0 }, { "failed-session-count", LV_NONE, 0 },
		{ "additional-information", LV_NONE, 0 }, { "failure-reason-code", LV_NONE, 0 },
	},
};

int
shape_member_n(enum shape_level level, const char *name, size_t len)
{
	for (int k = 0; k < SHAPE_MEMBERS_MAX && levels[level][k].name != NULL; k++) {
		const char *m = levels[level][k].name;

		/* the names differ early (or in length): no strlen() first */
		if (len > 0 && m[0] == name[0] && strncmp(m, name, len) == 0 && m[len] == '\0')
			return k;
	}
	return -1;
}

int
shape_member(enum shape_level level, const char *name)
{
	return shape_member_n(level, name, strlen(name));
}

const char *
shape_member_name(enum shape_level level, int k)
{
	return levels[level][k].name;
}

enum shape_level
shape_member_child(enum shape_level level, int k)
{
	return levels[level][k].child;
}

int
shape_member_list(enum shape_level level, int k)
{
	return levels[level][k].list;
}

/* ---- the record ------------------------------------------------------- */

void
jobj_free(struct jobj *o)
{
	if (o == NULL)
		return;
	for (int k = 0; k < SHAPE_MEMBERS_MAX; k++)
		jv_clear(&o->m[k]);
	json_decref(o->extra);
	free(o);
}

void
jv_clear(struct jv *v)
{
	free(v->s);
	jobj_free(v->obj);
	for (size_t i = 0; i < v->n_elems; i++)
		jv_clear(&v->elems[i]);
	free(v->elems);
	memset(v, 0, sizeof(*v));
}

static enum jv_kind
kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return JV_OBJECT;
	case JSON_ARRAY: return JV_ARRAY;
	case JSON_STRING: return JV_STRING;
	case JSON_INTEGER: return JV_INT;
	case JSON_REAL: return JV_REAL;
	case JSON_TRUE:
	case JSON_FALSE: return JV_BOOL;
	default: return JV_NULL;
	}
}

struct jv *
jv_add_elem(struct jv *list)
{
	if (list->n_elems == list->cap_elems) {
		list->cap_elems = list->cap_elems ? 2 * list->cap_elems : 4;
		list->elems = xreallocarray(list->elems, list->cap_elems, sizeof(*list->elems));
	}
	memset(&list->elems[list->n_elems], 0, sizeof(*list->elems));
	return &list->elems[list->n_elems++];
}

void
jv_from_json(const json_t *v, struct jv *out)
{
	const json_t *e;
	size_t i;

	out->kind = kind_of(v);
	if (json_is_string(v))
		out->s = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		out->i = json_integer_value(v);
	else if (json_is_real(v))
		out->d = json_real_value(v);
	else if (json_is_array(v))
		json_array_foreach(v, i, e) {
			struct jv *x = jv_add_elem(out);

			x->kind = kind_of(e);
			if (json_is_string(e))
				x->s = xstrdup(json_string_value(e));
		}
}

