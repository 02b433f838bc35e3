/*
 * store_sts_cache: MTA-STS policies fetched by `tlsrpt policyd`, kept
 * between restarts and shared by every MTA that uses one PostgreSQL
 * store (one fetches, the others find it).  One row per policy domain:
 * the TXT id, the policy as served, when it was fetched and until when it
 * may be used (fetched + max_age, capped at one year).
 */
#ifndef TLSRPT_STORE_STORE_STS_CACHE_H
#define TLSRPT_STORE_STORE_STS_CACHE_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Schema step (store_schema.c). */
extern const char store_sts_cache_schema_sql[];

struct store_sts_policy {
	char *domain, *id, *body;       /* owned */
	int64_t fetched, expires;
};

/* Releases what p owns and zeroes it. */
void store_sts_policy_clear(struct store_sts_policy *p);

/* Writes (or replaces, unless the stored one was fetched later) the
 * policy of p->domain.  Returns 0 or -1. */
int store_sts_cache_put(struct store *s, const struct store_sts_policy *p, struct err *err);

/* Reads the policy of domain into p if one is stored that expires after
 * now.  Returns 1 if found, 0 if not, -1 on error. */
int store_sts_cache_get(struct store *s, const char *domain, int64_t now,
    struct store_sts_policy *p, struct err *err);

/* Calls fn for every policy stored that expires after now (at start-up).
 * Returns the number of policies, or -1 on error. */
int store_sts_cache_each(struct store *s, int64_t now,
    void (*fn)(void *ctx, const struct store_sts_policy *p), void *ctx, struct err *err);

/* Deletes the policies that expired before now.  Returns 0, or -1 on
 * error. */
int store_sts_cache_expire(struct store *s, int64_t now, struct err *err);

#endif
