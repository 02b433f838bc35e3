/*
 * fetch: what the two files of `tlsrpt fetch` share (cmd_fetch.c: the
 * command, files/maildir/mbox; fetch_imap.c: the IMAP mailbox).
 */
#ifndef TLSRPT_CMD_FETCH_H
#define TLSRPT_CMD_FETCH_H

#include <stdint.h>

#include "ingest/ingest.h"
#include "ingest/ingest_store.h"
#include "store/store.h"
#include "util/err.h"

/* Items are stored in batches, one transaction each, committed after
 * FETCH_BATCH_ITEMS items or FETCH_BATCH_MS milliseconds, whichever comes
 * first (as `tlsrpt parse` does): one commit per item cost more than
 * parsing it.  What an item leaves in the store (its reports, that it was
 * processed, the IMAP UID reached) is in the same transaction, and IMAP
 * flags or moves mail only after the commit that covers it. */
#define FETCH_BATCH_ITEMS 1000
#define FETCH_BATCH_MS 500

/* One run of `tlsrpt fetch`. */
struct fetch_run {
	struct store *store;
	struct ingest_limits limits;
	struct ingest_counts counts;
	int progress;              /* stderr is a terminal: show progress */
	int all;                   /* --all: also what an earlier run processed */
	const char *source;        /* "maildir:/abs/dir" …: store_fetch_seen.h */
	unsigned seen_before;      /* items skipped: processed by an earlier run */
	void *copies;              /* GHashTable: digest → copies seen in this run */
	int in_batch;              /* a batch transaction is open */
	unsigned batch_items;      /* items in it */
	int64_t batch_start_ms;
	struct ingest_counts batch_counts;  /* counts when it began */
	unsigned rolled_back;      /* items of a batch the store failed in */
};

/* IMAP options from the command line. */
struct fetch_imap_options {
	const char *url;
	const char *user;
	const char *password_file;  /* else $TLSRPT_IMAP_PASSWORD */
	const char *cacert;
	const char *mailbox;
	const char *move_to;        /* move stored report mail there */
	int mark_seen;              /* flag stored report mail \Seen */
};

/* Shows the running totals on stderr (terminal only). */
void fetch_progress(struct fetch_run *run);

/* Opens a batch transaction unless one is open.  Returns 0, or -1 with
 * err set. */
int fetch_batch_begin(struct fetch_run *run, struct err *err);

/* Counts one more item in the open batch; returns 1 when the batch is due
 * to be committed (FETCH_BATCH_ITEMS or FETCH_BATCH_MS), else 0. */
int fetch_batch_add(struct fetch_run *run);

/* Commits the open batch (none open: 0).  Returns 0, or -1 with err set:
 * then the batch is rolled back as fetch_batch_abort() does. */
int fetch_batch_commit(struct fetch_run *run, struct err *err);

/* Rolls the open batch back after a store failure: its items count as
 * not fetched (run->counts goes back to where the batch began, their
 * number is added to run->rolled_back); they are read again next time. */
void fetch_batch_abort(struct fetch_run *run);

/* Fetches new report mail from the mailbox (UIDVALIDITY and last UID kept
 * in the store under namespace "imap"), stores the reports, then flags or
 * moves the mail whose reports were stored.  Returns 0, or -1 with err set
 * when nothing more could be done (connection, login, store failure). */
int fetch_imap(struct fetch_run *run, const struct fetch_imap_options *o,
	       struct err *err);

#endif
