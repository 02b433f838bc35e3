/*
 * domain_scope: a set of policy domains one viewer may see, or the
 * report intake accepts: exact names ("example.com") and patterns
 * ("*.example.com": every name under example.com, not example.com itself),
 * or everything ("*", an administrator).  Names are compared as
 * report_domain_key() keys (lower case, no trailing dot).  A scope
 * never matches "", the policies without policy-domain, unless it is
 * "everything".  Immutable once built; safe to share between threads.
 */
#ifndef TLSRPT_MODEL_DOMAIN_SCOPE_H
#define TLSRPT_MODEL_DOMAIN_SCOPE_H

#include <stddef.h>

#include "util/err.h"

struct domain_scope;

/* Returns a new empty scope (it matches nothing).  Release with
 * domain_scope_free(). */
struct domain_scope *domain_scope_new(void);

/* Returns a new scope that matches every domain, "" included. */
struct domain_scope *domain_scope_new_all(void);

/* Frees *sc and sets it to NULL; NULL is a no-op. */
void domain_scope_free(struct domain_scope **sc);

/* Checks and normalizes a grant or accept pattern: "*", a domain name
 * (letters, digits, '-', '.', '_', at most 253 characters, no empty
 * label) or "*." followed by one.  Returns a new lower-case copy without
 * a trailing dot (caller frees), or NULL with err set. */
char *domain_pattern_normalize(const char *pattern, struct err *err);

/* Adds pattern (normalized as above; "*" makes the scope match
 * everything).  Returns 0, or -1 with err set (nothing added). */
int domain_scope_add(struct domain_scope *sc, const char *pattern, struct err *err);

/* Returns 1 if the scope matches everything ("*" or domain_scope_new_all()). */
int domain_scope_is_all(const struct domain_scope *sc);

/* Returns the number of patterns added (0 for an "everything" scope
 * made by domain_scope_new_all()). */
size_t domain_scope_count(const struct domain_scope *sc);

/* Returns the i-th pattern added, normalized ("name" or "*.name": only
 * letters, digits, '-', '.', '_' and the leading "*."), or NULL past the
 * last. */
const char *domain_scope_pattern(const struct domain_scope *sc, size_t i);

/* Returns 1 if domain (any case, trailing dot allowed; NULL = "") is in
 * the scope, else 0.  sc NULL matches nothing. */
int domain_scope_allows(const struct domain_scope *sc, const char *domain);

#endif
