/*
 * json_fields: lenient, path-aware reading of the members of one object of
 * the report's shape (report_shape.h: the slots yajl filled), for the
 * report parser (report_json.c).  Each reader takes the member's value out
 * of its slot (a draft-era alias out of the unknown members), records any
 * leniency as a quirk "path: what" and fails with "path: why";
 * json_fields_extra() then returns the members nobody consumed, so
 * unknown data is kept rather than dropped.
 */
#ifndef TLSRPT_MODEL_JSON_FIELDS_H
#define TLSRPT_MODEL_JSON_FIELDS_H

#include <jansson.h>
#include <stdint.h>

#include "model/strlist.h"
#include "util/err.h"

#include "model/report_shape.h"

#define JSON_FIELDS_PATH_MAX 160

/* Largest count accepted: I-JSON (RFC 7493) integers are exact up to 2^53-1. */
#define JSON_FIELDS_COUNT_MAX 9007199254740991ULL

/* Reader state for one object.  All pointers are borrowed; the readers
 * take values out of obj's slots (obj is changed). */
struct json_fields {
	struct jobj *obj;
	char path[JSON_FIELDS_PATH_MAX];     /* JSON path of obj; "" for the root */
	struct jv alias;                     /* an alias member's value while it is read */
	struct strlist *quirks;
	struct err *err;
};

/* Prepares f for obj at path (NULL = root). */
void json_fields_init(struct json_fields *f, struct jobj *obj, const char *path,
		      struct strlist *quirks, struct err *err);

/* Prepares child for obj, the object value of parent's member key: its
 * path is parent's path plus key; quirks and err are parent's. */
void json_fields_child(const struct json_fields *parent, const char *key, struct jobj *obj,
		       struct json_fields *child);

/* Writes the path of member key into out (size n). */
void json_fields_path(const struct json_fields *f, const char *key, char *out, size_t n);

/* Appends "path.key: <text>" to the quirk list. */
void json_fields_quirk(struct json_fields *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets err to "path.key: <text>" and returns -1. */
int json_fields_fail(struct json_fields *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Returns the value of member `key` (a slot of obj's level; borrowed, the
 * reader may take its strings); if absent and alias (a draft-era name) is
 * not NULL, takes that out of the unknown members instead, with a quirk
 * (held in f->alias until the next call).  *name_out (if not NULL) gets
 * the name actually found.  NULL if neither. */
struct jv *json_fields_get(struct json_fields *f, const char *key, const char *alias,
			   const char **name_out);

/* Whether member `key` (a slot of obj's level) is present (null counts). */
int json_fields_has(const struct json_fields *f, const char *key);

/* Options for json_fields_string(). */
#define JSON_FIELDS_REQUIRED 0x01u   /* absent or null is an error */
#define JSON_FIELDS_INT_OK   0x02u   /* an integer is taken as its decimal text */

/* Reads a string member into *out (new string, caller frees; NULL when
 * absent or null).  A null value is taken as absent with a quirk unless
 * JSON_FIELDS_REQUIRED; with JSON_FIELDS_INT_OK an integer is turned into
 * its decimal text with a quirk; other types fail.  Returns 0 or -1. */
int json_fields_string(struct json_fields *f, const char *key, const char *alias,
		       unsigned opts, char **out);

/* Reads a session count: an integer 0..2^53-1; a string of digits or an
 * integral real is accepted with a quirk; absent or null gives 0 with a
 * quirk.  Returns 0 or -1 (negative, too large, other types). */
int json_fields_count(struct json_fields *f, const char *key, uint64_t *out);

/* Reads an array of strings, appending to out; *present_out says whether
 * the member was there (null counts as absent, with a quirk).  A single
 * string is taken as a one-element array, with a quirk.  Returns 0 or -1. */
int json_fields_strings(struct json_fields *f, const char *key, const char *alias,
			struct strlist *out, int *present_out);

/* Returns the object holding the members not consumed (unknown members
 * and unread aliases, in document order), or NULL if there are none, and
 * takes it out of obj.  The caller owns the reference (json_decref).
 * Also releases f->alias. */
json_t *json_fields_extra(struct json_fields *f);

#endif
