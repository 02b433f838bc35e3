/*
 * domain_scope: exact names and "*.suffix" patterns (see domain_scope.h).
 * Patterns are kept normalized in one array; a lookup is a linear scan
 * (a user holds a handful of grants; the intake's accept set a few
 * hundred at most), each a strcmp or a suffix compare.
 */
#include "model/domain_scope.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "util/xalloc.h"

struct domain_scope {
	int all;
	char **v;       /* normalized: "name" or "*.name" */
	size_t n, cap;
};

struct domain_scope *
domain_scope_new(void)
{
	return xcalloc(1, sizeof(struct domain_scope));
}

struct domain_scope *
domain_scope_new_all(void)
{
	struct domain_scope *sc = domain_scope_new();

	sc->all = 1;
	return sc;
}

void
domain_scope_free(struct domain_scope **scp)
{
	struct domain_scope *sc;

	if (scp == NULL || *scp == NULL)
		return;
	sc = *scp;
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i]);
	free(sc->v);
	free(sc);
	*scp = NULL;
}

/* Returns 1 if name is a plausible DNS name (no empty label). */
static int
name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return 0;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

char *
domain_pattern_normalize(const char *pattern, struct err *err)
{
	char *out;
	size_t len;

	if (pattern == NULL || *pattern == '\0') {
		err_set(err, "empty domain pattern");
		return NULL;
	}
	if (strcmp(pattern, "*") == 0)
		return xstrdup("*");
	out = xstrdup(pattern);
	len = strlen(out);
	if (len > 1 && out[len - 1] == '.')
		out[--len] = '\0';
	for (char *p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!name_ok(strncmp(out, "*.", 2) == 0 ? out + 2 : out)) {
		err_set(err, "\"%.80s\": not a domain name or *.domain pattern", pattern);
		free(out);
		return NULL;
	}
	return out;
}

int
domain_scope_add(struct domain_scope *sc, const char *pattern, struct err *err)
{
	char *p = domain_pattern_normalize(pattern, err);

	if (p == NULL)
		return -1;
	if (strcmp(p, "*") == 0) {
		sc->all = 1;
		free(p);
		return 0;
	}
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 8;
		sc->v = xreallocarray(sc->v, sc->cap, sizeof(*sc->v));
	}
	sc->v[sc->n++] = p;
	return 0;
}

int
domain_scope_is_all(const struct domain_scope *sc)
{
	return sc != NULL && sc->all;
}

size_t
domain_scope_count(const struct domain_scope *sc)
{
	return sc != NULL ? sc->n : 0;
}

const char *
domain_scope_pattern(const struct domain_scope *sc, size_t i)
{
	return sc != NULL && i < sc->n ? sc->v[i] : NULL;
}

/* key is normalized; pattern p is "name" or "*.name". */
static int
matches(const char *p, const char *key, size_t klen)
{
	size_t slen;

	if (p[0] != '*')
		return strcmp(p, key) == 0;
	slen = strlen(p + 1);            /* ".name" */
	return klen > slen && strcmp(key + klen - slen, p + 1) == 0;
}

int
domain_scope_allows(const struct domain_scope *sc, const char *domain)
{
	char *key;
	size_t klen;
	int ok = 0;

	if (sc == NULL)
		return 0;
	if (sc->all)
		return 1;
	key = report_domain_key(domain);
	klen = strlen(key);
	for (size_t i = 0; klen > 0 && !ok && i < sc->n; i++)
		ok = matches(sc->v[i], key, klen);
	free(key);
	return ok;
}
