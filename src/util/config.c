/*
 * config: the configuration layers and the tlsrpt.conf parser (config.h).
 *
 * A struct config holds, per table entry, the current text, its parsed
 * number (INT/DURATION/SIZE/BOOL) and where it came from.  Every layer
 * (default, file, environment, flags) goes through config_set(), so type
 * and bound checks are the same wherever a value comes from.
 */
#include "util/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

struct config_value {
	char *text;     /* owned */
	int64_t num;    /* parsed INT/DURATION/SIZE, or BOOL 0/1 */
	char *origin;   /* owned */
};

struct config {
	const struct config_param *table;   /* borrowed */
	size_t n;
	struct config_value *v;             /* n entries */
};

static size_t
find_index(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->table[i].name, name) == 0)
			return i;
	return c->n;
}

const struct config_param *
config_find(const struct config *c, const char *name)
{
	size_t i = find_index(c, name);

	return i < c->n ? &c->table[i] : NULL;
}

/* Checks text against p's type and bounds; the number into *num. */
static int
check_value(const struct config_param *p, const char *text, int64_t *num, struct err *err)
{
	int b;

	*num = 0;
	if (strlen(text) > CONFIG_VALUE_MAX) {
		err_set(err, "%s: value longer than %d bytes", p->name, CONFIG_VALUE_MAX);
		return -1;
	}
	switch (p->type) {
	case CONFIG_STRING:
		return 0;
	case CONFIG_BOOL:
		if (config_parse_bool(text, &b, err) < 0)
			goto bad;
		*num = b;
		return 0;
	case CONFIG_INT:
		if (config_parse_int(text, num, err) < 0)
			goto bad;
		break;
	case CONFIG_DURATION:
		if (config_parse_duration(text, num, err) < 0)
			goto bad;
		break;
	case CONFIG_SIZE:
		if (config_parse_size(text, num, err) < 0)
			goto bad;
		break;
	}
	if (*num < p->min || *num > p->max) {
		err_set(err, "%s: '%s' is out of range (%lld to %lld%s)", p->name, text,
		    (long long)p->min, (long long)p->max,
		    p->type == CONFIG_DURATION ? " seconds" : p->type == CONFIG_SIZE ? " bytes" : "");
		return -1;
	}
	return 0;
bad:
	err_prefix(err, "%s", p->name);
	return -1;
}

static void
store_value(struct config_value *v, const char *text, int64_t num, const char *origin)
{
	free(v->text);
	free(v->origin);
	v->text = xstrdup(text);
	v->num = num;
	v->origin = xstrdup(origin);
}

struct config *
config_new(const struct config_param *table, struct err *err)
{
	struct config *c = xcalloc(1, sizeof(*c));
	int64_t num;

	c->table = table;
	while (table[c->n].name != NULL)
		c->n++;
	c->v = xcalloc(c->n + 1, sizeof(*c->v));
	for (size_t i = 0; i < c->n; i++) {
		if (check_value(&table[i], table[i].def, &num, err) < 0) {
			err_prefix(err, "built-in default");
			config_free(&c);
			return NULL;
		}
		store_value(&c->v[i], table[i].def, num, "default");
	}
	return c;
}

int
config_set(struct config *c, const char *name, const char *value,
    const char *origin, struct err *err)
{
	size_t i = find_index(c, name);
	int64_t num;

	if (i == c->n) {
		err_set(err, "unknown parameter '%s'", name);
		return -1;
	}
	if (check_value(&c->table[i], value, &num, err) < 0)
		return -1;
	store_value(&c->v[i], value, num, origin);
	return 0;
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Applies one logical line "name = value" (already joined and without
 * the newline); `where` and `lineno` name it in messages. */
static int
apply_line(struct config *c, char *line, const char *where, size_t lineno, struct err *err)
{
	char *eq, *name, *value, *end, origin[512];

	eq = strchr(line, '=');
	if (eq == NULL) {
		err_set(err, "%s:%zu: expected 'name = value'", where, lineno);
		return -1;
	}
	name = line;
	end = eq;
	while (end > name && is_blank(end[-1]))
		end--;
	*end = '\0';
	if (*name == '\0' || strpbrk(name, " \t") != NULL) {
		err_set(err, "%s:%zu: bad parameter name '%s'", where, lineno, name);
		return -1;
	}
	value = eq + 1;
	while (is_blank(*value))
		value++;
	end = value + strlen(value);
	while (end > value && is_blank(end[-1]))
		end--;
	*end = '\0';
	snprintf(origin, sizeof(origin), "%s:%zu", where, lineno);
	if (config_set(c, name, value, origin, err) < 0) {
		err_prefix(err, "%s:%zu", where, lineno);
		return -1;
	}
	return 0;
}

int
config_parse_text(struct config *c, const char *text, size_t len,
    const char *where, struct err *err)
{
	struct buf logical;
	size_t pos = 0, lineno = 0, start_line = 0;
	int rc = -1;

	buf_init(&logical, CONFIG_VALUE_MAX + 1024);
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
		size_t skip = 0;

		pos += n + (nl != NULL);
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			err_set(err, "%s:%zu: NUL byte in line", where, lineno);
			goto out;
		}
		while (skip < n && is_blank(line[skip]))
			skip++;
		if (skip == n || line[skip] == '#')
			continue;  /* blank or comment line */
		if (skip > 0) {
			/* continuation of the logical line before */
			if (start_line == 0) {
				err_set(err, "%s:%zu: continuation line without a parameter before it",
				    where, lineno);
				goto out;
			}
			if (buf_append_str(&logical, " ") < 0 ||
			    buf_append(&logical, line + skip, n - skip) < 0)
				goto too_long;
			continue;
		}
		if (start_line != 0 && apply_line(c, logical.data, where, start_line, err) < 0)
			goto out;
		buf_reset(&logical);
		if (buf_append(&logical, line, n) < 0)
			goto too_long;
		start_line = lineno;
	}
	if (start_line != 0 && apply_line(c, logical.data, where, start_line, err) < 0)
		goto out;
	rc = 0;
	goto out;
too_long:
	err_set(err, "%s:%zu: line longer than %zu bytes", where, lineno, logical.max);
out:
	buf_free(&logical);
	return rc;
}

int
config_read_file(struct config *c, const char *path, struct err *err)
{
	struct buf text;
	char chunk[8192];
	size_t n;
	FILE *f;
	int rc = -1;

	buf_init(&text, CONFIG_FILE_MAX);
	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&text, chunk, n) < 0) {
			err_set(err, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);
			goto out;
		}
	}
	if (ferror(f)) {
		err_set(err, "%s: read error", path);
		goto out;
	}
	rc = config_parse_text(c, text.data != NULL ? text.data : "", text.len, path, err);
out:
	if (f != NULL)
		fclose(f);
	buf_free(&text);
	return rc;
}

/* The value of env entry "key=…", or NULL. */
static const char *
env_lookup(char *const *env, const char *key)
{
	size_t klen = strlen(key);

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, key, klen) == 0 && (*env)[klen] == '=')
			return *env + klen + 1;
	return NULL;
}

int
config_read_env(struct config *c, char *const *env, struct err *err)
{
	char key[256], origin[300];
	const char *value;

	for (size_t i = 0; i < c->n; i++) {
		size_t k = strlen(CONFIG_ENV_PREFIX);
		const char *p = c->table[i].name;

		memcpy(key, CONFIG_ENV_PREFIX, k);
		for (; *p != '\0' && k < sizeof(key) - 1; p++)
			key[k++] = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
		key[k] = '\0';
		value = env_lookup(env, key);
		if (value == NULL || *value == '\0')
			continue;
		snprintf(origin, sizeof(origin), "environment %s", key);
		if (config_set(c, c->table[i].name, value, origin, err) < 0) {
			err_prefix(err, "environment %s", key);
			return -1;
		}
	}
	return 0;
}

struct config *
config_load(const struct config_param *table, const char *path,
    char *const *env, struct err *err)
{
	struct config *c;

	if ((c = config_new(table, err)) == NULL)
		return NULL;
	if (path == NULL) {
		path = env_lookup(env, CONFIG_ENV_PREFIX "CONFIG");
		if (path != NULL && *path == '\0')
			path = NULL;
		if (path == NULL && access(CONFIG_DEFAULT_PATH, F_OK) == 0)
			path = CONFIG_DEFAULT_PATH;
	}
	if (path != NULL && config_read_file(c, path, err) < 0)
		goto fail;
	if (config_read_env(c, env, err) < 0)
		goto fail;
	return c;
fail:
	config_free(&c);
	return NULL;
}

/* The value of name, which must be in the table with one of the types. */
static const struct config_value *
get(const struct config *c, const char *name, enum config_type t1, enum config_type t2)
{
	size_t i = find_index(c, name);

	if (i == c->n || (c->table[i].type != t1 && c->table[i].type != t2)) {
		log_error("config: program error: no %s parameter '%s'", config_type_name(t1), name);
		abort();
	}
	return &c->v[i];
}

const char *
config_get_string(const struct config *c, const char *name)
{
	return get(c, name, CONFIG_STRING, CONFIG_STRING)->text;
}

const char *
config_get_string_or_null(const struct config *c, const char *name)
{
	const char *s = config_get_string(c, name);

	return *s != '\0' ? s : NULL;
}

const char *
config_origin(const struct config *c, const char *name)
{
	size_t i = find_index(c, name);

	if (i == c->n) {
		log_error("config: program error: no parameter '%s'", name);
		abort();
	}
	return c->v[i].origin;
}

int64_t
config_get_int(const struct config *c, const char *name)
{
	size_t i = find_index(c, name);

	if (i < c->n && c->table[i].type == CONFIG_SIZE)
		return c->v[i].num;
	return get(c, name, CONFIG_INT, CONFIG_DURATION)->num;
}

int
config_get_bool(const struct config *c, const char *name)
{
	return (int)get(c, name, CONFIG_BOOL, CONFIG_BOOL)->num;
}

size_t
config_count(const struct config *c)
{
	return c->n;
}

const struct config_param *
config_param_at(const struct config *c, size_t i)
{
	return &c->table[i];
}

const char *
config_text_at(const struct config *c, size_t i)
{
	return c->v[i].text;
}

const char *
config_origin_at(const struct config *c, size_t i)
{
	return c->v[i].origin;
}

void
config_free(struct config **cp)
{
	struct config *c;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].text);
		free(c->v[i].origin);
	}
	free(c->v);
	free(c);
	*cp = NULL;
}
