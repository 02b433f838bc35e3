/*
 * imap: reading report mail from an IMAP mailbox with libcurl, for
 * `tlsrpt fetch imap`.  TLS is mandatory: imaps:// (implicit TLS) or
 * imap:// with STARTTLS required (CURLOPT_USE_SSL = CURLUSESSL_ALL);
 * certificates are verified (against cacert when given).  So the password
 * never goes out in clear: a server offering no STARTTLS is refused before
 * LOGIN/AUTHENTICATE, with an error saying so (no option allows it).
 *
 * Messages are searched and fetched with the mailbox opened read-only
 * (EXAMINE), so fetching never sets \Seen; imap_select() reopens it
 * read-write for imap_mark_seen()/imap_move(), which the caller uses only
 * after a report is stored.  Which UIDs were already seen is the caller's
 * business (UIDVALIDITY + last UID, kept in the store).  One connection is
 * reused for all commands; a handle is used by one thread at a time.
 */
#ifndef TLSRPT_INGEST_IMAP_H
#define TLSRPT_INGEST_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

struct imap_options {
	const char *url;         /* imaps://host[:port][/MAILBOX] or imap://… */
	const char *mailbox;     /* overrides the URL path; default "INBOX" */
	const char *user;        /* overrides a user name in the URL */
	const char *password;    /* never taken from the URL or command line */
	const char *cacert;      /* CA bundle file; NULL: the system's */
	size_t max_message;      /* largest message or response read */
	long timeout_seconds;    /* per command; 0: 60 */
};

struct imap;

/* Checks the options (scheme imap/imaps, a host, a user) and prepares a
 * handle; does not connect yet.  Strings are copied.  Returns a new handle
 * (release with imap_close()) or NULL with err set. */
struct imap *imap_open(const struct imap_options *o, struct err *err);

/* Releases *m (closing the connection) and sets it to NULL; NULL is a no-op. */
void imap_close(struct imap **m);

/* A stable name for this mailbox, "user@host/MAILBOX", for keeping
 * state.  Borrowed, valid until imap_close(). */
const char *imap_mailbox_key(const struct imap *m);

/* Connects if needed and opens the mailbox read-only (EXAMINE); sets
 * *uidvalidity_out.  Returns 0, or -1 with err set (connection, TLS,
 * certificate, login or mailbox error, as libcurl words it). */
int imap_examine(struct imap *m, uint64_t *uidvalidity_out, struct err *err);

/* Searches for TLSRPT report mail with a UID above after_uid: a
 * TLS-Report-Domain header (RFC 8460 §5.3), or else a Subject containing
 * "Report Domain:".  Sets *uids_out (ascending, caller frees) and *n_out.
 * Returns 0 or -1 with err set. */
int imap_search_reports(struct imap *m, uint64_t after_uid, uint64_t **uids_out,
			size_t *n_out, struct err *err);

/* Fetches the whole message uid into out (initialised here, bounded by
 * max_message; caller frees with buf_free() in every case).  Returns 0;
 * 1 with err set when the message is larger than max_message (it never
 * will fit: the caller should skip it for good); or -1 with err set on
 * any other failure (worth trying again later). */
int imap_fetch(struct imap *m, uint64_t uid, struct buf *out, struct err *err);

/* Reopens the mailbox read-write (SELECT).  Returns 0 or -1. */
int imap_select(struct imap *m, struct err *err);

/* Adds \Seen to message uid.  Needs imap_select() first.  Returns 0 or -1. */
int imap_mark_seen(struct imap *m, uint64_t uid, struct err *err);

/* Adds \Seen to the n messages uids[] (ascending) with one UID STORE per
 * UID set of up to ~4 000 bytes ("3:5,9", runs as ranges).  Needs
 * imap_select() first.  Returns 0, or -1 at the first command that failed
 * (the sets before it are flagged). */
int imap_mark_seen_uids(struct imap *m, const uint64_t *uids, size_t n, struct err *err);

/* Moves message uid to folder (UID MOVE, RFC 6851), creating the folder
 * when the first MOVE fails.  Needs imap_select() first.  Returns 0 or -1. */
int imap_move(struct imap *m, uint64_t uid, const char *folder, struct err *err);

/* Moves the n messages uids[] (ascending) to folder with one UID MOVE per
 * UID set, as imap_mark_seen_uids() splits them; creates the folder when
 * the first MOVE fails.  Returns 0, or -1 at the first command that
 * failed (the sets before it are moved). */
int imap_move_uids(struct imap *m, const uint64_t *uids, size_t n, const char *folder,
		   struct err *err);

#endif
