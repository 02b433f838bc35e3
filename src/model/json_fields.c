/*
 * json_fields: member readers for the lenient report parser (json_fields.h).
 * Every accepted deviation from RFC 8460 is written to the quirk list with
 * the JSON path where it happened.
 */
#include "model/json_fields.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* out = a, or a "." b when b is given, truncated to n bytes as snprintf()
 * would (it runs for every object of every report: no format parsing). */
static void
copy_path(char *out, size_t n, const char *a, const char *b)
{
	size_t la = strlen(a), lb, k;

	k = la < n - 1 ? la : n - 1;
	memcpy(out, a, k);
	if (b != NULL && k < n - 1) {
		out[k++] = '.';
		lb = strlen(b);
		lb = lb < n - 1 - k ? lb : n - 1 - k;
		memcpy(out + k, b, lb);
		k += lb;
	}
	out[k] = '\0';
}

void
json_fields_init(struct json_fields *f, struct jobj *obj, const char *path,
		 struct strlist *quirks, struct err *err)
{
	f->obj = obj;
	memset(&f->alias, 0, sizeof(f->alias));
	copy_path(f->path, sizeof(f->path), path != NULL ? path : "", NULL);
	f->quirks = quirks;
	f->err = err;
}

void
json_fields_child(const struct json_fields *parent, const char *key, struct jobj *obj,
		  struct json_fields *child)
{
	char path[JSON_FIELDS_PATH_MAX];

	json_fields_path(parent, key, path, sizeof(path));
	json_fields_init(child, obj, path, parent->quirks, parent->err);
}

void
json_fields_path(const struct json_fields *f, const char *key, char *out, size_t n)
{
	if (key == NULL || *key == '\0')
		copy_path(out, n, f->path[0] != '\0' ? f->path : "(top)", NULL);
	else if (f->path[0] == '\0')
		copy_path(out, n, key, NULL);
	else
		copy_path(out, n, f->path, key);
}

void
json_fields_quirk(struct json_fields *f, const char *key, const char *fmt, ...)
{
	char path[JSON_FIELDS_PATH_MAX + 64];
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_fields_path(f, key, path, sizeof(path));
	strlist_addf(f->quirks, "%s: %s", path, text);
}

int
json_fields_fail(struct json_fields *f, const char *key, const char *fmt, ...)
{
	char path[JSON_FIELDS_PATH_MAX + 64];
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_fields_path(f, key, path, sizeof(path));
	err_set(f->err, "%s: %s", path, text);
	return -1;
}

static struct jv *
member(struct json_fields *f, const char *key)
{
	int k = shape_member(f->obj->level, key);

	return k >= 0 && f->obj->m[k].kind != JV_ABSENT ? &f->obj->m[k] : NULL;
}

int
json_fields_has(const struct json_fields *f, const char *key)
{
	int k = shape_member(f->obj->level, key);

	return k >= 0 && f->obj->m[k].kind != JV_ABSENT;
}

struct jv *
json_fields_get(struct json_fields *f, const char *key, const char *alias,
		const char **name_out)
{
	struct jv *v = member(f, key);
	const char *name = key;
	json_t *a;

	jv_clear(&f->alias);
	if (v == NULL && alias != NULL && f->obj->extra != NULL &&
	    (a = json_object_get(f->obj->extra, alias)) != NULL) {
		name = alias;
		jv_from_json(a, &f->alias);
		json_object_del(f->obj->extra, alias);
		v = &f->alias;
		json_fields_quirk(f, alias, "draft-era name, read as \"%s\"", key);
	}
	if (name_out != NULL)
		*name_out = name;
	return v;
}

static const char *
type_name(const struct jv *v)
{
	switch (v->kind) {
	case JV_OBJECT:
		return "an object";
	case JV_ARRAY:
		return "an array";
	case JV_STRING:
		return "a string";
	case JV_INT:
		return "an integer";
	case JV_REAL:
		return "a real number";
	case JV_BOOL:
		return "a boolean";
	default:
		return "null";
	}
}

static int
string_value(struct json_fields *f, const char *key, const char *alias, unsigned opts,
	     char **out)
{
	const char *name;
	struct jv *v = json_fields_get(f, key, alias, &name);

	*out = NULL;
	if (v == NULL || v->kind == JV_NULL) {
		if (opts & JSON_FIELDS_REQUIRED)
			return json_fields_fail(f, key, "required member is %s",
						v == NULL ? "missing" : "null");
		if (v != NULL)
			json_fields_quirk(f, name, "null, taken as absent");
		return 0;
	}
	if (v->kind == JV_INT && (opts & JSON_FIELDS_INT_OK)) {
		*out = xasprintf("%lld", v->i);
		json_fields_quirk(f, name, "integer, taken as the string \"%s\"", *out);
		return 0;
	}
	if (v->kind != JV_STRING)
		return json_fields_fail(f, name, "must be a string, not %s", type_name(v));
	/* the reader refuses embedded NUL, so this is the whole value */
	*out = v->s;
	v->s = NULL;
	return 0;
}

int
json_fields_string(struct json_fields *f, const char *key, const char *alias,
		   unsigned opts, char **out)
{
	int rc = string_value(f, key, alias, opts, out);

	jv_clear(&f->alias);
	return rc;
}

static int
count_from_text(struct json_fields *f, const char *name, const char *s, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return json_fields_fail(f, name, "\"%.40s\" is not a count", s);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (*end != '\0')
		return json_fields_fail(f, name, "\"%.40s\" is not a count", s);
	if (errno == ERANGE || n > JSON_FIELDS_COUNT_MAX)
		return json_fields_fail(f, name, "count %.40s is larger than 2^53-1", s);
	json_fields_quirk(f, name, "count given as the string \"%.40s\"", s);
	*out = n;
	return 0;
}

int
json_fields_count(struct json_fields *f, const char *key, uint64_t *out)
{
	struct jv *v = json_fields_get(f, key, NULL, NULL);
	long long i;
	double d;

	*out = 0;
	if (v == NULL || v->kind == JV_NULL) {
		json_fields_quirk(f, key, "%s, taken as 0", v == NULL ? "missing" : "null");
		return 0;
	}
	if (v->kind == JV_STRING)
		return count_from_text(f, key, v->s, out);
	if (v->kind == JV_REAL) {
		d = v->d;
		if (d != floor(d) || d < 0 || d > (double)JSON_FIELDS_COUNT_MAX)
			return json_fields_fail(f, key, "%g is not a count (0..2^53-1)", d);
		json_fields_quirk(f, key, "count given as the real number %.17g", d);
		*out = (uint64_t)d;
		return 0;
	}
	if (v->kind != JV_INT)
		return json_fields_fail(f, key, "must be an integer, not %s", type_name(v));
	i = v->i;
	if (i < 0)
		return json_fields_fail(f, key, "negative count %lld", i);
	if ((unsigned long long)i > JSON_FIELDS_COUNT_MAX)
		return json_fields_fail(f, key, "count %lld is larger than 2^53-1", i);
	*out = (uint64_t)i;
	return 0;
}

static int
strings_value(struct json_fields *f, const char *key, const char *alias,
	      struct strlist *out, int *present_out)
{
	const char *name;
	struct jv *v = json_fields_get(f, key, alias, &name);

	*present_out = 0;
	if (v == NULL)
		return 0;
	if (v->kind == JV_NULL) {
		json_fields_quirk(f, name, "null, taken as absent");
		return 0;
	}
	if (v->kind == JV_STRING) {
		json_fields_quirk(f, name, "a string, not an array: taken as a one-element array");
		strlist_add_owned(out, v->s);
		v->s = NULL;
		*present_out = 1;
		return 0;
	}
	if (v->kind != JV_ARRAY)
		return json_fields_fail(f, name, "must be an array of strings, not %s",
					type_name(v));
	for (size_t i = 0; i < v->n_elems; i++)
		if (v->elems[i].kind != JV_STRING)
			return json_fields_fail(f, name, "element [%zu] must be a string, not %s",
						i, type_name(&v->elems[i]));
	for (size_t i = 0; i < v->n_elems; i++) {
		strlist_add_owned(out, v->elems[i].s);
		v->elems[i].s = NULL;
	}
	*present_out = 1;
	return 0;
}

int
json_fields_strings(struct json_fields *f, const char *key, const char *alias,
		    struct strlist *out, int *present_out)
{
	int rc = strings_value(f, key, alias, out, present_out);

	jv_clear(&f->alias);
	return rc;
}

json_t *
json_fields_extra(struct json_fields *f)
{
	json_t *extra = f->obj->extra;

	jv_clear(&f->alias);
	f->obj->extra = NULL;
	if (extra != NULL && json_object_size(extra) == 0) {
		json_decref(extra);
		extra = NULL;
	}
	return extra;
}
