/*
 * store_state: small named values kept in the store, grouped by
 * namespace: IMAP UIDVALIDITY/last UID per mailbox, alert memory, …
 * Values are text (at most STORE_STATE_MAX bytes); callers encode numbers.
 */
#ifndef TLSRPT_STORE_STORE_STATE_H
#define TLSRPT_STORE_STORE_STATE_H

#include "store/store.h"
#include "util/err.h"

#define STORE_STATE_MAX (1u << 20)

/* Looks up (ns, key).  Sets *value to a new string (caller frees) and
 * returns 1 if found; sets *value to NULL and returns 0 if not; returns -1
 * on error. */
int store_state_get(struct store *s, const char *ns, const char *key, char **value,
		    struct err *err);

/* Sets (ns, key) to value, replacing any old value; value NULL deletes the
 * entry.  Returns 0, or -1 on error (also when value is longer than
 * STORE_STATE_MAX). */
int store_state_set(struct store *s, const char *ns, const char *key, const char *value,
		    struct err *err);

#endif
