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
json_fields_init(struct json_fields *f, json_t *obj, const char *path,
		 struct strlist *quirks, struct err *err)
{
	memset(f, 0, sizeof(*f));
	f->obj = obj;
	copy_path(f->path, sizeof(f->path), path != NULL ? path : "", NULL);
	f->quirks = quirks;
	f->err = err;
}

void
json_fields_child(const struct json_fields *parent, const char *key, json_t *obj,
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

static void
mark_used(struct json_fields *f, const char *key)
{
	if (f->n_used < JSON_FIELDS_USED_MAX)
		f->used[f->n_used++] = key;
}

json_t *
json_fields_get(struct json_fields *f, const char *key, const char *alias,
		const char **name_out)
{
	json_t *v = json_object_get(f->obj, key);
	const char *name = key;

	if (v == NULL && alias != NULL && (v = json_object_get(f->obj, alias)) != NULL) {
		name = alias;
		json_fields_quirk(f, alias, "draft-era name, read as \"%s\"", key);
	}
	if (v != NULL)
		mark_used(f, name);
	if (name_out != NULL)
		*name_out = name;
	return v;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int
json_fields_string(struct json_fields *f, const char *key, const char *alias,
		   unsigned opts, char **out)
{
	const char *name;
	json_t *v = json_fields_get(f, key, alias, &name);

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (opts & JSON_FIELDS_REQUIRED)
			return json_fields_fail(f, key, "required member is %s",
						v == NULL ? "missing" : "null");
		if (v != NULL)
			json_fields_quirk(f, name, "null, taken as absent");
		return 0;
	}
	if (json_is_integer(v) && (opts & JSON_FIELDS_INT_OK)) {
		*out = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		json_fields_quirk(f, name, "integer, taken as the string \"%s\"", *out);
		return 0;
	}
	if (!json_is_string(v))
		return json_fields_fail(f, name, "must be a string, not %s", type_name(v));
	/* jansson rejects embedded NUL (no JSON_ALLOW_NUL), so this is the whole value. */
	*out = xstrdup(json_string_value(v));
	return 0;
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
	json_t *v = json_fields_get(f, key, NULL, NULL);
	json_int_t i;
	double d;

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		json_fields_quirk(f, key, "%s, taken as 0", v == NULL ? "missing" : "null");
		return 0;
	}
	if (json_is_string(v))
		return count_from_text(f, key, json_string_value(v), out);
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d != floor(d) || d < 0 || d > (double)JSON_FIELDS_COUNT_MAX)
			return json_fields_fail(f, key, "%g is not a count (0..2^53-1)", d);
		json_fields_quirk(f, key, "count given as the real number %.17g", d);
		*out = (uint64_t)d;
		return 0;
	}
	if (!json_is_integer(v))
		return json_fields_fail(f, key, "must be an integer, not %s", type_name(v));
	i = json_integer_value(v);
	if (i < 0)
		return json_fields_fail(f, key, "negative count %" JSON_INTEGER_FORMAT, i);
	if ((unsigned long long)i > JSON_FIELDS_COUNT_MAX)
		return json_fields_fail(f, key, "count %" JSON_INTEGER_FORMAT " is larger than 2^53-1",
					i);
	*out = (uint64_t)i;
	return 0;
}

int
json_fields_strings(struct json_fields *f, const char *key, const char *alias,
		    struct strlist *out, int *present_out)
{
	const char *name;
	json_t *v = json_fields_get(f, key, alias, &name);
	json_t *e;
	size_t i;

	*present_out = 0;
	if (v == NULL)
		return 0;
	if (json_is_null(v)) {
		json_fields_quirk(f, name, "null, taken as absent");
		return 0;
	}
	if (json_is_string(v)) {
		json_fields_quirk(f, name, "a string, not an array: taken as a one-element array");
		strlist_add(out, json_string_value(v));
		*present_out = 1;
		return 0;
	}
	if (!json_is_array(v))
		return json_fields_fail(f, name, "must be an array of strings, not %s",
					type_name(v));
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return json_fields_fail(f, name, "element [%zu] must be a string, not %s",
						i, type_name(e));
		strlist_add(out, json_string_value(e));
	}
	*present_out = 1;
	return 0;
}

static int
is_used(const struct json_fields *f, const char *key)
{
	for (size_t i = 0; i < f->n_used; i++)
		if (strcmp(f->used[i], key) == 0)
			return 1;
	return 0;
}

json_t *
json_fields_extra(const struct json_fields *f)
{
	json_t *extra = NULL;
	const char *key;
	json_t *v;

	json_object_foreach(f->obj, key, v) {
		if (is_used(f, key))
			continue;
		if (extra == NULL)
			extra = json_object();
		json_object_set(extra, key, v);
	}
	return extra;
}
