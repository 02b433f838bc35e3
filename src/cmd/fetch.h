/*
 * fetch: what the two files of `tlsrpt fetch` share (cmd_fetch.c: the
 * command, files/maildir/mbox; fetch_imap.c: the IMAP mailbox).
 */
#ifndef TLSRPT_CMD_FETCH_H
#define TLSRPT_CMD_FETCH_H

#include "ingest/ingest.h"
#include "ingest/ingest_store.h"
#include "store/store.h"
#include "util/err.h"

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

/* Fetches new report mail from the mailbox (UIDVALIDITY and last UID kept
 * in the store under namespace "imap"), stores the reports, then flags or
 * moves the mail whose reports were stored.  Returns 0, or -1 with err set
 * when nothing more could be done (connection, login, store failure). */
int fetch_imap(struct fetch_run *run, const struct fetch_imap_options *o,
	       struct err *err);

#endif
