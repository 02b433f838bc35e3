/*
 * report_shape_read: yajl callbacks that fill the record of a report's
 * known members (report_shape.h).  A stack of frames follows the nesting:
 * an object of a known level (its slots), an array of a list member (its
 * elements), or a jansson container (unknown members, and values of a
 * type the shape does not expect, built to be checked and dropped).
 */
#include "model/report_shape.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "model/report_json.h"
#include "util/utf8_seq.h"
#include "util/xalloc.h"

enum frame_kind { F_OBJ, F_LIST, F_TREE };

struct frame {
	enum frame_kind kind;
	struct jobj *obj;       /* F_OBJ */
	int member;             /* F_OBJ: slot of the value to come, -1: unknown (key) */
	struct jv *list;        /* F_LIST: the slot (or element) holding the array */
	enum shape_level elem;  /* F_LIST: level of the object elements */
	json_t *tree;           /* F_TREE: the container (borrowed unless owned) */
	int owned;              /* F_TREE: a dropped value, freed when it ends */
	char *key;              /* F_OBJ (unknown member) / F_TREE object: pending name */
};

struct reader {
	struct frame stack[REPORT_JSON_MAX_DEPTH + 2];
	int depth;
	struct jobj *root;
	enum shape_level level; /* of the top-level object */
	int top_array;          /* the top-level value is an array */
	yajl_handle h;          /* for the offset where the top-level value ends */
	size_t end_at;          /* that offset, once it has ended */
	char what[192];         /* why a callback stopped, "" for yajl's own errors */
	int duplicate;          /* stopped on a repeated member name */
	int too_deep;           /* stopped at nesting level REPORT_JSON_MAX_DEPTH + 1 */
};

static int
stop(struct reader *rd, const char *what)
{
	snprintf(rd->what, sizeof(rd->what), "%s", what);
	return 0;
}

/* Strings and names as jansson took them: no NUL, strictly valid UTF-8. */
static int
text_ok(struct reader *rd, const unsigned char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		/* eight ASCII bytes, none NUL, at a time */
		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			/* a byte >= 0x80, or 0 (w - 1 per byte borrows into bit 7) */
			if (((w | (w - 0x0101010101010101ULL)) & 0x8080808080808080ULL) != 0)
				break;
			i += 8;
		}
		if (i == len)
			break;
		if (s[i] == 0)
			return stop(rd, "\\u0000 is not allowed");
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(s + i, len - i)) == 0)
			return stop(rd, "invalid UTF-8 or Unicode escape in a string");
		i += k;
	}
	return 1;
}

static struct frame *
top(struct reader *rd)
{
	return rd->depth > 0 ? &rd->stack[rd->depth - 1] : NULL;
}

static struct frame *
push(struct reader *rd, enum frame_kind kind)
{
	struct frame *f = &rd->stack[rd->depth++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	return f;
}

static void
push_tree(struct reader *rd, json_t *container, int owned)
{
	struct frame *f = push(rd, F_TREE);

	f->tree = container;
	f->owned = owned;
}

/* Puts the jansson value v (a new reference) where the top frame's next
 * value goes, when that is a jansson container or an unknown member. */
static void
put_json(struct frame *f, json_t *v)
{
	if (f->kind == F_TREE && json_is_array(f->tree)) {
		json_array_append_new(f->tree, v);
		return;
	}
	if (f->kind == F_OBJ) {
		if (f->obj->extra == NULL)
			f->obj->extra = json_object();
		json_object_set_new_nocheck(f->obj->extra, f->key, v);
	} else {
		json_object_set_new_nocheck(f->tree, f->key, v);
	}
	free(f->key);
	f->key = NULL;
}

/* The slot (or array element) the top frame's next value goes to, with
 * the level and list flag that value would have; NULL when the value goes
 * to jansson (put_json()). */
static struct jv *
slot(struct reader *rd, enum shape_level *child, int *list)
{
	struct frame *f = top(rd);

	*child = LV_NONE;
	*list = 0;
	if (f->kind == F_LIST) {
		*child = f->elem;
		return jv_add_elem(f->list);
	}
	if (f->kind == F_OBJ && f->member >= 0) {
		*child = shape_member_child(f->obj->level, f->member);
		*list = shape_member_list(f->obj->level, f->member);
		return &f->obj->m[f->member];
	}
	return NULL;
}

/* A scalar value: into its slot, or as jansson. */
static int
scalar(struct reader *rd, enum jv_kind kind, json_t *(*make)(struct reader *, void *),
       void *arg, struct jv *value)
{
	enum shape_level child;
	int list;
	struct jv *v;

	if (rd->depth == 0) {
		free(value->s);
		return stop(rd, "'[' or '{' expected");
	}
	v = slot(rd, &child, &list);
	if (v != NULL) {
		*v = *value;
		v->kind = kind;
		return 1;
	}
	{
		json_t *j = make(rd, arg);

		if (j == NULL) {
			free(value->s);
			return stop(rd, "out of memory");
		}
		free(value->s);
		put_json(top(rd), j);
	}
	return 1;
}

static json_t *
make_null(struct reader *rd, void *arg)
{
	(void)rd;
	(void)arg;
	return json_null();
}

static json_t *
make_bool(struct reader *rd, void *arg)
{
	(void)rd;
	return json_boolean(*(int *)arg);
}

static json_t *
make_number(struct reader *rd, void *arg)
{
	const struct jv *v = arg;

	(void)rd;
	return v->kind == JV_INT ? json_integer(v->i) : json_real(v->d);
}

static json_t *
make_string(struct reader *rd, void *arg)
{
	const struct jv *v = arg;

	(void)rd;
	return json_string_nocheck(v->s);
}

static int
on_null(void *ctx)
{
	struct jv v = { 0 };

	return scalar(ctx, JV_NULL, make_null, NULL, &v);
}

static int
on_boolean(void *ctx, int b)
{
	struct jv v = { 0 };

	v.i = b;
	return scalar(ctx, JV_BOOL, make_bool, &b, &v);
}

/* A number as jansson read it: an integer (no fraction, no exponent) in
 * int64 range, else a double that does not overflow. */
static int
on_number(void *ctx, const char *text, size_t len)
{
	struct reader *rd = ctx;
	char small[64], *s = len < sizeof(small) ? small : xmalloc(len + 1);
	struct jv v = { 0 };
	char *end;
	int rc = 1;

	memcpy(s, text, len);
	s[len] = '\0';
	errno = 0;
	if (strpbrk(s, ".eE") == NULL) {
		v.kind = JV_INT;
		v.i = strtoll(s, &end, 10);
		if (errno == ERANGE)
			rc = stop(rd, "too big integer");
	} else {
		v.kind = JV_REAL;
		v.d = strtod(s, &end);
		if (errno == ERANGE && isinf(v.d))
			rc = stop(rd, "real number overflow");
	}
	if (s != small)
		free(s);
	if (rc == 0)
		return 0;
	return scalar(rd, v.kind, make_number, &v, &v);
}

static int
on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct reader *rd = ctx;
	struct jv v = { 0 };

	if (!text_ok(rd, s, len))
		return 0;
	v.s = xstrndup((const char *)s, len);
	v.kind = JV_STRING;
	return scalar(rd, JV_STRING, make_string, &v, &v);
}

/* A container starts: a known level's object, a list member's array, or a
 * jansson container (unknown member, or a type the shape does not take). */
static int
open_container(struct reader *rd, int is_map)
{
	enum shape_level child;
	int list;
	struct jv *v;
	json_t *c;

	if (rd->depth >= REPORT_JSON_MAX_DEPTH) {
		rd->too_deep = 1;
		return 0;
	}
	if (rd->depth == 0) {
		if (is_map) {
			struct frame *f = push(rd, F_OBJ);

			rd->root = f->obj = xcalloc(1, sizeof(*f->obj));
			rd->root->level = rd->level;
			return 1;
		}
		rd->top_array = 1;
		push_tree(rd, json_array(), 1);
		return 1;
	}
	v = slot(rd, &child, &list);
	if (v != NULL) {
		v->kind = is_map ? JV_OBJECT : JV_ARRAY;
		if (is_map && child != LV_NONE) {
			struct frame *f = push(rd, F_OBJ);

			f->obj = v->obj = xcalloc(1, sizeof(*v->obj));
			f->obj->level = child;
			return 1;
		}
		if (!is_map && list) {
			struct frame *f = push(rd, F_LIST);

			f->list = v;
			f->elem = child;
			return 1;
		}
		push_tree(rd, is_map ? json_object() : json_array(), 1);
		return 1;
	}
	c = is_map ? json_object() : json_array();
	put_json(top(rd), c);
	push_tree(rd, c, 0);
	return 1;
}

static int
on_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int
on_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

static int
on_end(void *ctx)
{
	struct reader *rd = ctx;
	struct frame *f = &rd->stack[--rd->depth];

	/* yajl's offset is where its lexer is: just past this '}' or ']' */
	if (rd->depth == 0)
		rd->end_at = yajl_get_bytes_consumed(rd->h);

	if (f->kind == F_TREE && f->owned)
		json_decref(f->tree);
	return 1;
}

static int
duplicate(struct reader *rd)
{
	rd->duplicate = 1;
	return stop(rd, "duplicate object key");
}

static int
on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct reader *rd = ctx;
	struct frame *f = top(rd);
	json_t *in;

	if (!text_ok(rd, key, len))
		return 0;
	if (f->kind == F_OBJ) {
		f->member = shape_member_n(f->obj->level, (const char *)key, len);
		if (f->member >= 0)
			return f->obj->m[f->member].kind == JV_ABSENT ? 1 : duplicate(rd);
		in = f->obj->extra;
	} else {
		in = f->tree;
	}
	free(f->key);
	f->key = xstrndup((const char *)key, len);
	if (in != NULL && json_object_get(in, f->key) != NULL)
		return duplicate(rd);
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* Line and column of byte offset `at`, counted as jansson counts them
 * (lines from 1; the column is the number of characters read on the line,
 * a UTF-8 sequence counting once). */
static void
line_column(const char *s, size_t at, int *line, int *column)
{
	*line = 1;
	*column = 0;
	for (size_t i = 0; i < at; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			(*line)++;
			*column = 0;
		} else if (c < 0x80 || c >= 0xC0) {
			(*column)++;
		}
	}
}

/* jansson's " near '<token>'" for the member name that ends before `at`
 * (its raw text, quotes included, when it is at most 20 bytes). */
static void
near_key(const char *s, size_t at, char *out, size_t n)
{
	size_t start;

	out[0] = '\0';
	if (at < 2 || s[at - 1] != '"')
		return;
	for (start = at - 2;; start--) {
		size_t bs = 0;

		while (start >= bs + 1 && s[start - bs - 1] == '\\')
			bs++;
		if (s[start] == '"' && bs % 2 == 0)
			break;
		if (start == 0)
			return;
	}
	if (at - start <= 20)
		snprintf(out, n, " near '%.*s'", (int)(at - start), s + start);
}

static void
unwind(struct reader *rd)
{
	while (rd->depth > 0) {
		struct frame *f = &rd->stack[--rd->depth];

		free(f->key);
		if (f->kind == F_TREE && f->owned)
			json_decref(f->tree);
	}
}

/* Whether anything but JSON whitespace follows the top-level value, which
 * ends at *at; *at is moved to it. */
static int
trailing(const char *s, size_t len, size_t *at)
{
	while (*at < len && (s[*at] == ' ' || s[*at] == '\t' || s[*at] == '\n' || s[*at] == '\r'))
		(*at)++;
	return *at < len;
}

/* Where the reading stopped: trailing data found after yajl said yes, or
 * yajl's own offset. */
static size_t
where(const struct reader *rd, yajl_handle h, size_t len)
{
	size_t at = rd->end_at != 0 && rd->end_at < len ? rd->end_at : yajl_get_bytes_consumed(h);

	return at < len ? at : len;
}

static void
set_error(struct reader *rd, yajl_handle h, const char *json, size_t len, struct err *err)
{
	size_t at = where(rd, h, len);
	int line, column;
	char near[40];

	line_column(json, at, &line, &column);
	if (rd->too_deep) {
		err_set(err, "JSON nested deeper than %d levels", REPORT_JSON_MAX_DEPTH);
	} else if (rd->duplicate) {
		near_key(json, at, near, sizeof(near));
		err_set(err, "line %d column %d: duplicate object key%s: refused (a report must "
			"not repeat a member name, RFC 7493)", line, column, near);
	} else if (rd->what[0] != '\0') {
		err_set(err, "not JSON: line %d column %d: %s", line, column, rd->what);
	} else {
		unsigned char *m = yajl_get_error(h, 0, (const unsigned char *)json, len);
		size_t n = strlen((char *)m);

		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			m[--n] = '\0';
		err_set(err, "not JSON: line %d column %d: %s", line, column, (char *)m);
		yajl_free_error(h, m);
	}
}

struct jobj *
shape_read(const char *json, size_t len, enum shape_level level, size_t *stopped_at,
	   struct err *err)
{
	struct reader rd;
	yajl_handle h;
	yajl_status st;

	memset(&rd, 0, sizeof(rd));
	rd.level = level;
	h = yajl_alloc(&callbacks, NULL, &rd);
	if (h == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	rd.h = h;
	st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok && rd.root == NULL && !rd.top_array) {
		snprintf(rd.what, sizeof(rd.what), "'[' or '{' expected");
		st = yajl_status_error;
	}
	if (st == yajl_status_ok && trailing(json, len, &rd.end_at)) {
		/* yajl lets an unterminated string after the value through */
		snprintf(rd.what, sizeof(rd.what), "end of file expected");
		st = yajl_status_error;
	}
	if (stopped_at != NULL)
		*stopped_at = st == yajl_status_ok ? len : where(&rd, h, len);
	if (st != yajl_status_ok) {
		set_error(&rd, h, json, len, err);
		unwind(&rd);
		jobj_free(rd.root);
		yajl_free(h);
		return NULL;
	}
	yajl_free(h);
	if (rd.top_array) {
		err_set(err, "(top): a report must be a JSON object");
		return NULL;
	}
	return rd.root;
}
