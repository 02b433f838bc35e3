/*
 * report_shape: the JSON of one RFC 8460 report read with yajl's callback
 * API (no tree; report_shape_read.c) into a record of its known members, level by level
 * (report, date-range, policy item, policy, summary, failure detail).
 *
 * Each object of a known level keeps the values of its known members in
 * fixed slots (struct jv); its other members (and the draft-era alias
 * names, which only the mapping may consume) are kept in document order
 * as a jansson object, so unknown data is not lost.  A value of a type the
 * shape does not expect (an array where a string belongs, …) is read in
 * full, to check it, and only its type is kept.  json_fields.h reads the
 * slots; report_json.c maps them onto struct report.
 *
 * The reader refuses what jansson's json_loadb(JSON_REJECT_DUPLICATES)
 * refused, so that the set of accepted documents did not change with the
 * library: a repeated member name at any depth, an integer outside
 * int64, a real that overflows a double, a string (or name) holding NUL
 * (\u0000) or invalid UTF-8 (overlong forms, surrogates, past U+10FFFF,
 * checked strictly after yajl's lax check), a top-level value that is
 * not an object or array, trailing data, nesting deeper than
 * REPORT_JSON_MAX_DEPTH.  \v/\f between tokens and \u surrogate pairing
 * are checked by report_json.c (memchr()).  Internal to src/model.
 */
#ifndef TLSRPT_MODEL_REPORT_SHAPE_H
#define TLSRPT_MODEL_REPORT_SHAPE_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

/* The levels of the report's shape. */
enum shape_level {
	LV_NONE = -1,
	LV_TOP,      /* the report object */
	LV_RANGE,    /* date-range */
	LV_ITEM,     /* one element of policies */
	LV_POLICY,   /* policies[i].policy */
	LV_SUMMARY,  /* policies[i].summary */
	LV_DETAIL,   /* policies[i].failure-details[j] */
	LV_COUNT
};

#define SHAPE_MEMBERS_MAX 8

enum jv_kind { JV_ABSENT, JV_NULL, JV_BOOL, JV_INT, JV_REAL, JV_STRING, JV_OBJECT, JV_ARRAY };

struct jobj;

/* One value in a slot (or an element of a slot's array). */
struct jv {
	enum jv_kind kind;
	char *s;                /* JV_STRING: the text (owned, NUL-free, valid UTF-8) */
	long long i;            /* JV_INT */
	double d;               /* JV_REAL */
	struct jobj *obj;       /* JV_OBJECT of a member with a level of its own (owned), else NULL */
	struct jv *elems;       /* JV_ARRAY of a list member: its elements (owned), else NULL */
	size_t n_elems;
	size_t cap_elems;
};

/* One object of a known level. */
struct jobj {
	enum shape_level level;
	struct jv m[SHAPE_MEMBERS_MAX];  /* by the member's index in the level */
	json_t *extra;                   /* unknown and alias members in order, or NULL */
};

/* The member index of name (NUL-terminated) at level, or -1 when the level
 * has no slot of that name (an unknown member or an alias). */
int shape_member(enum shape_level level, const char *name);

/* shape_member() for name[0..len) (need not be NUL-terminated). */
int shape_member_n(enum shape_level level, const char *name, size_t len);

/* The name of member index k at level. */
const char *shape_member_name(enum shape_level level, int k);

/* The level of member k's object value (and of the objects in its array
 * value), or LV_NONE. */
enum shape_level shape_member_child(enum shape_level level, int k);

/* Whether member k's array value is kept element by element (policies,
 * failure-details, policy-string, mx-host). */
int shape_member_list(enum shape_level level, int k);

/* Reads json[0..len) (no BOM: the caller skips it) as an object of
 * `level` (LV_TOP for a report; the tests read single levels).  Returns the
 * object (caller frees with jobj_free()), or NULL with err set: "not JSON:
 * line L column C: what" (line and column where yajl or this reader
 * stopped), "line L column C: duplicate object key near '"k"': refused
 * (…RFC 7493)" as jansson worded it, "JSON nested deeper than 64 levels"
 * (REPORT_JSON_MAX_DEPTH, counted as the containers open), or "(top): a
 * report must be a JSON object" for a well-formed array.  *stopped_at (if not NULL) gets the
 * offset where the reading stopped (len when the text was read whole),
 * so that the caller can tell which of two errors comes first. */
struct jobj *shape_read(const char *json, size_t len, enum shape_level level,
			 size_t *stopped_at, struct err *err);

/* Releases o and everything it owns.  NULL is a no-op. */
void jobj_free(struct jobj *o);

/* Appends an absent element to list's array and returns it (borrowed). */
struct jv *jv_add_elem(struct jv *list);

/* Releases what v owns and marks it absent. */
void jv_clear(struct jv *v);

/* Fills out (absent before) from the jansson value v: scalars, and for an
 * array its elements' kinds and strings (for an alias member, which is kept
 * as jansson in extra until the mapping consumes it). */
void jv_from_json(const json_t *v, struct jv *out);

#endif
