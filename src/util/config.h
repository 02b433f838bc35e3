/*
 * config: table-driven configuration (Postfix main.cf style, STYLE.md §3.6).
 *
 * A program declares each parameter once in a table of struct config_param
 * (name, type, default, bounds, one-line doc).  One generic parser reads
 * `name = value` lines; values are layered, lowest first: built-in default,
 * configuration file, environment (TLSRPT_<UPPER_NAME>), then whatever the
 * caller sets with config_set() (command-line flags).  A struct config is
 * plain data passed explicitly; nothing here is process-wide.
 *
 * File syntax: `name = value`; blank lines and lines whose first
 * non-blank character is '#' are ignored; a line that starts with
 * whitespace continues the previous one (joined with one space).  '#'
 * elsewhere is part of the value.  A later line for the same name wins.
 * Limits: CONFIG_FILE_MAX bytes per file, CONFIG_VALUE_MAX per value.
 */
#ifndef TLSRPT_UTIL_CONFIG_H
#define TLSRPT_UTIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_VALUE_MAX 8192
#define CONFIG_DEFAULT_PATH "/etc/tlsrpt/tlsrpt.conf"
#define CONFIG_ENV_PREFIX "TLSRPT_"

enum config_type {
	CONFIG_STRING,
	CONFIG_INT,      /* decimal integer */
	CONFIG_BOOL,     /* yes/no, true/false, on/off, 1/0 */
	CONFIG_DURATION, /* integer with unit s, m, h, d or w (none: seconds); read as seconds */
	CONFIG_SIZE,     /* integer with unit k, M, G (powers of 1024; none: bytes); read as bytes */
};

/* One parameter.  A table is an array of these ended by an entry whose
 * name is NULL.  `def` is written as it would be in the file and must be
 * valid; min/max bound INT, DURATION and SIZE values (in seconds/bytes). */
struct config_param {
	const char *name;       /* lower_case_with_underscores */
	enum config_type type;
	const char *def;
	int64_t min, max;
	const char *doc;        /* one line, for `tlsrpt config` and the man page */
};

struct config;

/* A configuration holding the table's defaults.  The table is borrowed and
 * must outlive the result.  Returns NULL with err set if a default is not
 * valid for its type (a bug in the table).  Free with config_free(). */
struct config *config_new(const struct config_param *table, struct err *err);

/* Sets one parameter from text, checking type and bounds.  `origin` says
 * where the text came from (e.g. "--db", "file:12") and is copied.
 * Returns 0, or -1 with err "NAME: why" (unknown name, bad value). */
int config_set(struct config *c, const char *name, const char *value,
    const char *origin, struct err *err);

/* Parses file text (len bytes, need not be NUL-terminated) and applies it.
 * `where` names the source in messages ("FILE:LINE: …").  Stops at the
 * first error; lines before it stay applied.  Returns 0 or -1. */
int config_parse_text(struct config *c, const char *text, size_t len,
    const char *where, struct err *err);

/* Reads and applies the file at path (at most CONFIG_FILE_MAX bytes).
 * Returns 0, or -1 with err set (cannot read, too large, syntax, values). */
int config_read_file(struct config *c, const char *path, struct err *err);

/* Applies TLSRPT_<UPPER_NAME>=value entries from env (a NULL-terminated
 * array like environ; NULL means none).  Empty values and TLSRPT_ names
 * that are not parameters are ignored.  Returns 0 or -1 on a bad value. */
int config_read_env(struct config *c, char *const *env, struct err *err);

/* The whole stack: defaults, then the file, then env.  The file is `path`
 * when not NULL (must exist), else $TLSRPT_CONFIG from env (must exist),
 * else CONFIG_DEFAULT_PATH if it exists.  Returns a new configuration
 * (caller frees with config_free()), or NULL with err set. */
struct config *config_load(const struct config_param *table, const char *path,
    char *const *env, struct err *err);

/* Getters.  Asking for a name not in the table, or with the wrong type,
 * is a programming error and aborts.  Strings are borrowed from c and
 * valid until the parameter is set again or c is freed; never NULL. */
const char *config_get_string(const struct config *c, const char *name);
/* INT, DURATION (seconds) and SIZE (bytes) values. */
int64_t config_get_int(const struct config *c, const char *name);
/* BOOL values: 1 or 0. */
int config_get_bool(const struct config *c, const char *name);

/* The STRING value of name, or NULL when it is empty ("not set"). */
const char *config_get_string_or_null(const struct config *c, const char *name);

/* Where the value of name came from (see config_origin_at()), for
 * messages about values a command checks itself.  Borrowed. */
const char *config_origin(const struct config *c, const char *name);

/* Iteration for printing: the number of parameters, and for index i < that
 * number its declaration, its current text and where it came from
 * ("default", "FILE:LINE", "environment TLSRPT_X", or the config_set()
 * origin).  Borrowed strings. */
size_t config_count(const struct config *c);
const struct config_param *config_param_at(const struct config *c, size_t i);
const char *config_text_at(const struct config *c, size_t i);
const char *config_origin_at(const struct config *c, size_t i);

/* The declaration of `name`, or NULL when the table has no such name. */
const struct config_param *config_find(const struct config *c, const char *name);

/* Releases *c and sets it to NULL; NULL and *c == NULL are fine. */
void config_free(struct config **c);

/* Value syntax, also for command-line flags.  Each returns 0 with the
 * value in *out, or -1 with err saying why. */
int config_parse_int(const char *s, int64_t *out, struct err *err);
int config_parse_bool(const char *s, int *out, struct err *err);
int config_parse_duration(const char *s, int64_t *out, struct err *err);
int config_parse_size(const char *s, int64_t *out, struct err *err);

/* "string", "integer", "boolean", "duration" or "size". */
const char *config_type_name(enum config_type t);

#endif
