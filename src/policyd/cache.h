/*
 * cache: how policyd bounds its in-memory cache (a GHashTable of domain →
 * struct policyd_entry *, owned by the table).  When it is full, the least
 * recently used tenth goes, but never an entry in use: one a resolve job
 * is queued or running for (busy) or one a request is waiting on
 * (waiters): freeing it would leave the job or the request with a freed
 * entry (core.c reads it again once it has the lock back).
 */
#ifndef TLSRPT_POLICYD_CACHE_H
#define TLSRPT_POLICYD_CACHE_H

#include <glib.h>
#include <stddef.h>

#include "policyd/entry.h"

/* 1 if e may be freed now: no resolve job (busy) and no request waiting
 * on it (waiters); else 0. */
int policyd_cache_evictable(const struct policyd_entry *e);

/* When cache holds cache_size entries or more, removes (and so frees)
 * those evictable ones whose last_used is at or below the 10% quantile
 * of last_used over the whole cache: about a tenth, more when many
 * entries share that second.  Entries in use stay, so the cache can stay
 * above cache_size while they are.  Returns the number removed.  The
 * caller holds the lock that guards cache. */
size_t policyd_cache_make_room(GHashTable *cache, size_t cache_size);

#endif
