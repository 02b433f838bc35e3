/*
 * ingest_store: one message or file → its reports parsed and stored, the
 * step every receiving channel shares (fetch from IMAP/maildir/mbox/dir,
 * and usable by a pipe or HTTPS receiver): ingest_extract() →
 * report_parse_json() → store_put_report().  Bad input is logged with the
 * item's name and counted, never fatal; only a store failure stops.
 */
#ifndef TLSRPT_INGEST_INGEST_STORE_H
#define TLSRPT_INGEST_INGEST_STORE_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "store/store.h"
#include "util/err.h"

/* Running totals over a run; the caller zeroes it once. */
struct ingest_counts {
	unsigned messages;     /* items handed to ingest_store_bytes() */
	unsigned reports;      /* report documents found */
	unsigned stored;       /* reports newly stored */
	unsigned duplicates;   /* reports already in the store */
	unsigned errors;       /* items or documents refused (logged) */
};

/*
 * Finds the reports in data[0..len) and stores each, with channel ("imap",
 * "maildir", "mbox", "file", "https", …) and name (path, "UID n", …) kept
 * as their source; adds to *counts.  lim may be NULL for the defaults.
 * Returns 1 if every report found was stored or was a duplicate; 0 if the
 * item was refused in whole or part (no report in it, corrupt container,
 * invalid report JSON: logged at warning level with the name, counted in
 * errors) — the item is dealt with either way and need not be retried;
 * -1 with err set when the store failed, in which case the caller should
 * stop and retry the item later (nothing is half-stored).
 */
int ingest_store_bytes(struct store *s, const void *data, size_t len,
		       const struct ingest_limits *lim, const char *channel,
		       const char *name, struct ingest_counts *counts,
		       struct err *err);

#endif
