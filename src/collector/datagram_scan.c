/*
 * datagram_scan: yajl callbacks → struct dg_doc (see datagram_scan.h).
 *
 * A stack of frames follows the nesting: each open object or array has
 * a role (the root, "policies", one policy, …, or OTHER for what the
 * collector ignores) and, for an object, the member names seen so far
 * (for the duplicate check: a linear look among the first DUP_LINEAR,
 * a glib hash set beyond).  A value goes where its frame and the member
 * name before it say.
 */
#include "collector/datagram_scan.h"

#include <errno.h>
#include <math.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "util/xalloc.h"

/* jansson's JSON_PARSER_MAX_DEPTH */
#define MAX_DEPTH 2048
/* Member names looked for linearly; a larger object gets a hash set. */
#define DUP_LINEAR 16

const char *const dg_failure_keys[6] = { "s", "n", "h", "r", "a", "f" };

enum role { R_OTHER, R_ROOT, R_POLICIES, R_POLICY, R_PSTRING, R_MX, R_FDS, R_FAILURE };

/* The member a value belongs to (after its name). */
enum member {
	M_NONE, M_DPV, M_D, M_PR, M_POLICIES,                   /* root */
	M_PTYPE, M_F, M_PDOMAIN, M_T, M_PSTRING, M_MX, M_FDS,   /* policy */
	M_C, M_FSTR                                             /* failure: M_FSTR + index */
};

struct frame {
	unsigned char is_obj, role;
	int member;             /* of the next value (objects) */
	size_t k0;              /* first of this object's names in scan.names */
	GHashTable *big;        /* names, once there are more than DUP_LINEAR */
};

struct scan {
	struct dg_doc *doc;
	struct frame *st;
	size_t depth, cap;
	/* member names of the open objects, one after the other */
	char **names;
	size_t n_names, names_cap;
	const char *why;        /* set when a callback stopped the parse */
	yajl_handle h;
	size_t root_end;        /* bytes up to the root container's end */
	int root_closed;
};

static void
frames_free(struct scan *s)
{
	for (size_t i = 0; i < s->depth; i++)
		if (s->st[i].big != NULL)
			g_hash_table_destroy(s->st[i].big);
	for (size_t i = 0; i < s->n_names; i++)
		free(s->names[i]);
	free(s->st);
	free(s->names);
}

static struct frame *
top(struct scan *s)
{
	return s->depth > 0 ? &s->st[s->depth - 1] : NULL;
}

static int
push(struct scan *s, int is_obj, enum role role)
{
	struct frame *f;

	if (s->depth >= MAX_DEPTH) {
		s->why = "maximum nesting depth (2048) reached";
		return 0;
	}
	if (s->depth == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->st = xreallocarray(s->st, s->cap, sizeof(*s->st));
	}
	f = &s->st[s->depth++];
	f->is_obj = (unsigned char)is_obj;
	f->role = (unsigned char)role;
	f->member = M_NONE;
	f->k0 = s->n_names;
	f->big = NULL;
	return 1;
}

static int
pop(struct scan *s)
{
	struct frame *f = top(s);

	if (f->big != NULL)
		g_hash_table_destroy(f->big);
	while (s->n_names > f->k0)
		free(s->names[--s->n_names]);
	s->depth--;
	return 1;
}

static void
val_set(struct dg_val *v, enum dg_type t, int64_t i, const unsigned char *str, size_t len)
{
	v->type = t;
	v->i = i;
	if (t == DG_STRING)
		v->s = xstrndup((const char *)str, len);
}

/* The dg_val a scalar or container of type t in the current place goes
 * to (NULL: none), and the role a container opened there gets. */
static struct dg_val *
place(struct scan *s, enum dg_type t, enum role *child, struct dg_strings **strings)
{
	struct frame *f = top(s);
	struct dg_doc *d = s->doc;
	struct dg_policy *p = d->np > 0 ? &d->pv[d->np - 1] : NULL;
	struct dg_failure *fl = p != NULL && p->nf > 0 ? &p->fv[p->nf - 1] : NULL;
	int m;

	*child = R_OTHER;
	*strings = NULL;
	if (f == NULL) {
		d->root_is_object = t == DG_OBJECT;
		*child = R_ROOT;
		return NULL;
	}
	if (!f->is_obj) {
		switch (f->role) {
		case R_POLICIES:
			if (d->np == d->pcap) {
				d->pcap = d->pcap ? 2 * d->pcap : 4;
				d->pv = xreallocarray(d->pv, d->pcap, sizeof(*d->pv));
			}
			p = &d->pv[d->np++];
			memset(p, 0, sizeof(*p));
			p->is_object = t == DG_OBJECT;
			*child = R_POLICY;
			return NULL;
		case R_FDS:
			if (p->nf == p->fcap) {
				p->fcap = p->fcap ? 2 * p->fcap : 4;
				p->fv = xreallocarray(p->fv, p->fcap, sizeof(*p->fv));
			}
			fl = &p->fv[p->nf++];
			memset(fl, 0, sizeof(*fl));
			fl->is_object = t == DG_OBJECT;
			*child = R_FAILURE;
			return NULL;
		case R_PSTRING:
			*strings = &p->pstring;
			return NULL;
		case R_MX:
			*strings = &p->mx;
			return NULL;
		default:
			return NULL;
		}
	}
	m = f->member;
	f->member = M_NONE;
	switch (m) {
	case M_DPV: return &d->dpv;
	case M_D: return &d->d;
	case M_PR: return &d->pr;
	case M_POLICIES:
		d->pol_type = t;
		*child = R_POLICIES;
		return NULL;
	case M_PTYPE: return &p->type;
	case M_F: return &p->final;
	case M_PDOMAIN: return &p->domain;
	case M_T: return &p->t;
	case M_PSTRING:
		p->pstring.type = t;
		*child = R_PSTRING;
		return NULL;
	case M_MX:
		p->mx.type = t;
		*child = R_MX;
		return NULL;
	case M_FDS:
		p->fd_type = t;
		*child = R_FDS;
		return NULL;
	case M_C: return &fl->c;
	case M_NONE: return NULL;
	default: return &fl->str[m - M_FSTR];
	}
}

/* A scalar value. */
static int
scalar(struct scan *s, enum dg_type t, int64_t i, const unsigned char *str, size_t len)
{
	enum role child;
	struct dg_strings *strings;
	struct dg_val *v = place(s, t, &child, &strings);

	if (v != NULL)
		val_set(v, t, i, str, len);
	else if (strings != NULL) {
		if (t == DG_STRING)
			strlist_add_owned(&strings->l, xstrndup((const char *)str, len));
		else
			strings->bad_element = 1;
	}
	return 1;
}

/* An object or array opens: its role is R_OTHER unless it is the one
 * the place expects (an object where an object is read, an array where
 * an array is). */
static int
open_container(struct scan *s, int is_obj)
{
	enum dg_type t = is_obj ? DG_OBJECT : DG_ARRAY;
	enum role child;
	struct dg_strings *strings;
	struct dg_val *v = place(s, t, &child, &strings);
	int fits;

	if (v != NULL)
		v->type = t;
	if (strings != NULL)
		strings->bad_element = 1;
	switch (child) {
	case R_ROOT: case R_POLICY: case R_FAILURE:
		fits = is_obj;
		break;
	case R_POLICIES: case R_PSTRING: case R_MX: case R_FDS:
		fits = !is_obj;
		break;
	default:
		fits = 0;
	}
	return push(s, is_obj, fits ? child : R_OTHER);
}

static int
cb_null(void *ctx)
{
	return scalar(ctx, DG_NULL, 0, NULL, 0);
}

static int
cb_bool(void *ctx, int b)
{
	return scalar(ctx, DG_BOOL, b, NULL, 0);
}

/* Reads an integer's digits exactly (yajl has checked the syntax):
 * returns 0, or -1 when it is outside int64_t. */
static int
parse_int(const char *p, size_t len, int64_t *out)
{
	int neg = len > 0 && p[0] == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	for (size_t i = (size_t)neg; i < len; i++) {
		unsigned dgt = (unsigned)(p[i] - '0');

		if (v > (lim - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int
cb_number(void *ctx, const char *p, size_t len)
{
	struct scan *s = ctx;
	int64_t i = 0;

	if (memchr(p, '.', len) != NULL || memchr(p, 'e', len) != NULL ||
	    memchr(p, 'E', len) != NULL) {
		char small[64], *z = len < sizeof(small) ? small : xmalloc(len + 1);
		double d;

		memcpy(z, p, len);
		z[len] = '\0';
		errno = 0;
		d = strtod(z, NULL);
		if (z != small)
			free(z);
		if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) {
			s->why = "real number overflow";
			return 0;
		}
		return scalar(s, DG_REAL, 0, NULL, 0);
	}
	if (parse_int(p, len, &i) < 0) {
		s->why = "integer out of range";
		return 0;
	}
	return scalar(s, DG_INT, i, NULL, 0);
}

static int
cb_string(void *ctx, const unsigned char *str, size_t len)
{
	return scalar(ctx, DG_STRING, 0, str, len);
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, 1);
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, 0);
}

/* A container ends; the root's end is remembered: yajl does not see an
 * unfinished token after it (`{}"x`) as trailing garbage. */
static int
cb_end(void *ctx)
{
	struct scan *s = ctx;

	pop(s);
	if (s->depth == 0) {
		s->root_end = yajl_get_bytes_consumed(s->h);
		s->root_closed = 1;
	}
	return 1;
}

/* Only JSON whitespace after the root? */
static int
rest_is_space(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

/* The member a name means in an object of role r. */
static int
member_of(enum role r, const char *k)
{
	static const struct { unsigned char role; const char *name; int m; } names[] = {
		{ R_ROOT, "dpv", M_DPV }, { R_ROOT, "d", M_D }, { R_ROOT, "pr", M_PR },
		{ R_ROOT, "policies", M_POLICIES },
		{ R_POLICY, "policy-type", M_PTYPE }, { R_POLICY, "f", M_F },
		{ R_POLICY, "policy-domain", M_PDOMAIN }, { R_POLICY, "t", M_T },
		{ R_POLICY, "policy-string", M_PSTRING }, { R_POLICY, "mx-host", M_MX },
		{ R_POLICY, "failure-details", M_FDS }, { R_FAILURE, "c", M_C },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].role == r && strcmp(names[i].name, k) == 0)
			return names[i].m;
	if (r == R_FAILURE)
		for (int i = 0; i < 6; i++)
			if (strcmp(dg_failure_keys[i], k) == 0)
				return M_FSTR + i;
	return M_NONE;
}

/* Records the member name; returns 1 if it is new in its object, 0 (a
 * duplicate: the parse stops) if not. */
static int
name_is_new(struct scan *s, struct frame *f, char *k)
{
	size_t n = s->n_names - f->k0;

	if (f->big != NULL) {
		if (g_hash_table_contains(f->big, k))
			goto dup;
	} else {
		for (size_t i = f->k0; i < s->n_names; i++)
			if (strcmp(s->names[i], k) == 0)
				goto dup;
		if (n + 1 > DUP_LINEAR) {
			f->big = g_hash_table_new(g_str_hash, g_str_equal);
			for (size_t i = f->k0; i < s->n_names; i++)
				g_hash_table_add(f->big, s->names[i]);
		}
	}
	if (s->n_names == s->names_cap) {
		s->names_cap = s->names_cap ? 2 * s->names_cap : 32;
		s->names = xreallocarray(s->names, s->names_cap, sizeof(*s->names));
	}
	s->names[s->n_names++] = k;
	if (f->big != NULL)
		g_hash_table_add(f->big, k);
	return 1;
dup:
	free(k);
	s->why = "duplicate object key";
	return 0;
}

static int
cb_key(void *ctx, const unsigned char *key, size_t len)
{
	struct scan *s = ctx;
	struct frame *f = top(s);
	char *k = xstrndup((const char *)key, len);

	if (!name_is_new(s, f, k))
		return 0;
	f->member = member_of((enum role)f->role, k);
	return 1;
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

static int
hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*out = v;
	return 0;
}

/* What yajl lets through and jansson does not, found in the raw bytes:
 * a \v or \f byte (never valid JSON: not whitespace, and raw control
 * characters are not allowed in strings), "\u0000" and a "\uXXXX"
 * surrogate escape that is not a high one followed by a low one.  A
 * backslash only starts an escape inside a string in valid JSON; what
 * is not valid JSON anyway is yajl's to refuse.  Returns the reason,
 * or NULL. */
static const char *
prescan(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned cp, lo;

		if (p[i] == '\v' || p[i] == '\f')
			return "control character \\v or \\f";
		if (p[i] != '\\' || i + 1 >= len)
			continue;
		i++;                    /* the escaped character */
		if (p[i] != 'u' || i + 4 >= len || hex4(p + i + 1, &cp) < 0)
			continue;
		i += 4;
		if (cp == 0)
			return "\\u0000 is not allowed";
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return "unpaired low surrogate escape";
		if (cp < 0xd800 || cp > 0xdbff)
			continue;
		if (i + 6 >= len || p[i + 1] != '\\' || p[i + 2] != 'u' ||
		    hex4(p + i + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return "unpaired high surrogate escape";
		i += 6;
	}
	return NULL;
}

int
dg_scan(const char *data, size_t len, struct dg_doc *doc, char *err_msg, size_t err_cap)
{
	struct scan s = { .doc = doc };
	yajl_handle h;
	yajl_status st;
	const char *why;
	int rc = 0;

	memset(doc, 0, sizeof(*doc));
	if ((why = prescan(data, len)) != NULL) {
		snprintf(err_msg, err_cap, "invalid JSON: %s", why);
		return -1;
	}
	h = yajl_alloc(&callbacks, NULL, &s);
	s.h = h;
	st = yajl_parse(h, (const unsigned char *)data, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok && s.root_closed &&
	    (s.root_end > len || !rest_is_space(data + s.root_end, len - s.root_end))) {
		snprintf(err_msg, err_cap, "invalid JSON: trailing garbage after the object");
		rc = -1;
	} else if (st != yajl_status_ok) {
		if (s.why != NULL) {
			snprintf(err_msg, err_cap, "invalid JSON: %s", s.why);
		} else {
			unsigned char *e = yajl_get_error(h, 0, (const unsigned char *)data, len);

			snprintf(err_msg, err_cap, "invalid JSON: %s", (const char *)e);
			yajl_free_error(h, e);
		}
		rc = -1;
	}
	yajl_free(h);
	frames_free(&s);
	return rc;
}

static void
val_free(struct dg_val *v)
{
	free(v->s);
}

void
dg_doc_free(struct dg_doc *doc)
{
	val_free(&doc->dpv);
	val_free(&doc->d);
	val_free(&doc->pr);
	for (size_t i = 0; i < doc->np; i++) {
		struct dg_policy *p = &doc->pv[i];

		val_free(&p->type);
		val_free(&p->final);
		val_free(&p->domain);
		val_free(&p->t);
		strlist_clear(&p->pstring.l);
		strlist_clear(&p->mx.l);
		for (size_t j = 0; j < p->nf; j++) {
			val_free(&p->fv[j].c);
			for (int k = 0; k < 6; k++)
				val_free(&p->fv[j].str[k]);
		}
		free(p->fv);
	}
	free(doc->pv);
	memset(doc, 0, sizeof(*doc));
}
