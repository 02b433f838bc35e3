/*
 * ingest_store: one message or file → its reports parsed and stored, the
 * step every receiving channel shares (fetch from IMAP/maildir/mbox/dir,
 * and usable by a pipe or HTTPS receiver): ingest_extract() →
 * report_parse_json() → store_put_report().  Bad input is logged with the
 * item's name and counted as an error, input that holds no report at all
 * as skipped; neither is fatal; only a store failure stops.
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
	unsigned skipped;      /* items holding no report at all (a notice,
				* not an error) */
	unsigned errors;       /* items or documents refused (logged) */
};

/* What ingest_store_bytes() did with one item. */
enum ingest_store_result {
	INGEST_STORE_FAILED = -1,  /* the store failed: stop, retry the item */
	INGEST_STORE_REFUSED = 0,  /* bad input, in whole or part: an error */
	INGEST_STORE_OK = 1,       /* every report stored or a duplicate */
	INGEST_STORE_SKIPPED = 2,  /* not a report at all: skipped */
};

/*
 * Finds the reports in data[0..len) and stores each, with channel ("imap",
 * "maildir", "mbox", "file", "https", …) and name (path, "UID n", …) kept
 * as their source; adds to *counts.  lim may be NULL for the defaults.
 * The item is classified by ingest_extract() (ingest.h):
 *  - it returns 0, the item holds no report candidate at all (a mail with
 *    no report part or attachment, a file that is not JSON, gzip, zip or
 *    mail, a zip with no JSON or gzip entry, an empty input): one notice
 *    "NAME: skipped, not a TLSRPT report: why" is logged, counted in
 *    skipped, and INGEST_STORE_SKIPPED returned;
 *  - it returns -1 (over a limit, corrupt gzip/zip, a report part that is
 *    not JSON, …) or a document is not a valid report: logged at warning
 *    level with the name, counted in errors, INGEST_STORE_REFUSED (the
 *    reports of the item that were valid are stored all the same);
 *  - INGEST_STORE_OK when every report found was stored or a duplicate.
 * Either way the item is dealt with and need not be retried.
 * INGEST_STORE_FAILED (-1), with err set, when the store failed: the caller
 * should stop and retry the item later (nothing is half-stored).
 */
int ingest_store_bytes(struct store *s, const void *data, size_t len,
		       const struct ingest_limits *lim, const char *channel,
		       const char *name, struct ingest_counts *counts,
		       struct err *err);

/* The same inside a batch: the caller holds a transaction (store_begin())
 * that takes many items, committed by the caller every so many (one
 * commit per item costs more than parsing it); the reports are stored
 * with store_put_report_in_batch(), without a savepoint each.  On
 * INGEST_STORE_FAILED the transaction may hold part of the item: the
 * caller must roll the whole batch back (store_rollback()) and treat every
 * item of it as not dealt with (read again next time). */
int ingest_store_bytes_in_batch(struct store *s, const void *data, size_t len,
				const struct ingest_limits *lim, const char *channel,
				const char *name, struct ingest_counts *counts,
				struct err *err);

#endif
