/*
 * fetch_imap: `tlsrpt fetch imap URL` (see fetch.h).  The store keeps
 * "UIDVALIDITY LASTUID" per mailbox (store_state namespace "imap"), saved
 * with every message in the batch transaction that stores it (fetch.h),
 * and advanced only over messages that were dealt with, so mail that could
 * not be fetched or stored is tried again next time; a new UIDVALIDITY
 * starts over (the store drops the duplicates).  \Seen / --move-to are
 * applied to the stored mail of a batch after the commit that covers it,
 * one command per UID set; a batch the store failed in is rolled back and
 * none of its mail is flagged or moved.
 * Mail that matched the search but holds no report is skipped with a
 * notice, as the other sources do, and the UID advances past it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/fetch.h"
#include "ingest/filedir.h"
#include "ingest/imap.h"
#include "store/store_state.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/secret_file.h"
#include "util/xalloc.h"

#define FETCH_STATE_NS "imap"
#define FETCH_PASSWORD_MAX 4096

/* The password from --password-file (first line) or the environment. */
static char *
read_password(const char *file, struct err *err)
{
	const char *env = getenv("TLSRPT_IMAP_PASSWORD");
	char *pw, *nl;

	if (file == NULL) {
		if (env == NULL) {
			err_set(err, "no IMAP password: set TLSRPT_IMAP_PASSWORD or "
				"give --password-file");
			return NULL;
		}
		return xstrdup(env);
	}
	/* refused when others can read it (issue 10) */
	pw = secret_file_read(file, "password file", FETCH_PASSWORD_MAX, NULL, err);
	if (pw == NULL)
		return NULL;
	nl = strpbrk(pw, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	return pw;
}

static int
load_state(struct store *s, const char *key, uint64_t validity,
	   uint64_t *last_uid, struct err *err)
{
	unsigned long long v = 0, last = 0;
	char *value = NULL;
	int rc = store_state_get(s, FETCH_STATE_NS, key, &value, err);

	*last_uid = 0;
	if (rc < 0)
		return -1;
	if (rc == 1 && sscanf(value, "%llu %llu", &v, &last) == 2) {
		if (v == validity)
			*last_uid = last;
		else
			log_info("%s: UIDVALIDITY changed (%llu → %" PRIu64 "): "
				 "reading the mailbox again", key, v, validity);
	}
	free(value);
	return 0;
}

static int
save_state(struct store *s, const char *key, uint64_t validity,
	   uint64_t last_uid, struct err *err)
{
	char value[64];

	snprintf(value, sizeof(value), "%" PRIu64 " %" PRIu64, validity, last_uid);
	return store_state_set(s, FETCH_STATE_NS, key, value, err);
}

/* Flags or moves the messages whose reports were stored (and committed),
 * with one command per UID set; then opens the mailbox read-only again
 * when more is to be fetched (a FETCH on the read-write mailbox would set
 * \Seen), checking that UIDVALIDITY did not change.  Returns 0, or -1
 * with err set when the mailbox cannot be read on. */
static int
mark_done(struct imap *m, const struct fetch_imap_options *o, const uint64_t *uids,
	  size_t n, uint64_t validity, int more, struct fetch_run *run, struct err *err)
{
	struct err merr = { "" };
	uint64_t now;

	if (n == 0 || (o->move_to == NULL && !o->mark_seen))
		return 0;
	if (imap_select(m, &merr) != 0) {
		log_warn("%s (mail left in place)", merr.msg);
	} else {
		if (imap_mark_seen_uids(m, uids, n, &merr) != 0)
			log_warn("%s", merr.msg);
		if (o->move_to != NULL && imap_move_uids(m, uids, n, o->move_to, &merr) != 0) {
			log_warn("%s", merr.msg);
			run->counts.errors++;
		}
	}
	if (!more)
		return 0;
	if (imap_examine(m, &now, err) != 0)
		return -1;
	if (now != validity) {
		err_set(err, "%s: UIDVALIDITY changed during the run (%" PRIu64 " → %" PRIu64
			"): stopping; the next run reads the mailbox again",
			imap_mailbox_key(m), validity, now);
		return -1;
	}
	return 0;
}

/* Commits the batch, then flags or moves its stored mail (done[0..*ndone),
 * emptied).  Returns 0, or -1 with err set (nothing flagged when the
 * commit failed: that mail is fetched again next time). */
static int
commit_batch(struct imap *m, const struct fetch_imap_options *o, uint64_t validity,
	     uint64_t *done, size_t *ndone, int more, struct fetch_run *run, struct err *err)
{
	if (fetch_batch_commit(run, err) < 0) {
		*ndone = 0;
		return -1;
	}
	if (mark_done(m, o, done, *ndone, validity, more, run, err) < 0)
		return -1;
	*ndone = 0;
	return 0;
}

int
fetch_imap(struct fetch_run *run, const struct fetch_imap_options *o,
	   struct err *err)
{
	struct imap_options opt = { 0 };
	struct imap *m = NULL;
	uint64_t validity, last_uid, *uids = NULL, *done = NULL;
	size_t n = 0, ndone = 0;
	char *password = NULL;
	int advance = 1, ret = -1;

	password = read_password(o->password_file, err);
	if (password == NULL)
		return -1;
	opt.url = o->url;
	opt.mailbox = o->mailbox;
	opt.user = o->user;
	opt.password = password;
	opt.cacert = o->cacert;
	opt.max_message = run->limits.max_input;
	m = imap_open(&opt, err);
	if (m == NULL)
		goto out;
	if (imap_examine(m, &validity, err) != 0 ||
	    load_state(run->store, imap_mailbox_key(m), validity, &last_uid, err) != 0 ||
	    imap_search_reports(m, last_uid, &uids, &n, err) != 0)
		goto out;
	log_info("%s: %zu new report message(s) after UID %" PRIu64,
		 imap_mailbox_key(m), n, last_uid);
	done = xcalloc(n ? n : 1, sizeof(*done));
	for (size_t i = 0; i < n; i++) {
		char name[512];
		struct buf msg;
		struct err ferr = { "" };
		int rc;

		snprintf(name, sizeof(name), "%s UID %" PRIu64, imap_mailbox_key(m), uids[i]);
		rc = imap_fetch(m, uids[i], &msg, &ferr);
		if (fetch_batch_begin(run, err) < 0) {
			buf_free(&msg);
			goto out;
		}
		if (rc != 0) {
			/* Too large: refused for good (counted, skipped, the UID
			 * may advance past it).  Other failures are not dealt
			 * with: keep the UID to try again next time. */
			log_warn("%s%s", ferr.msg, rc == 1 ? " (skipped)" : "");
			run->counts.messages++;
			run->counts.errors++;
			if (rc != 1)
				advance = 0;
			buf_free(&msg);
			fetch_progress(run);
			if (rc == 1 && advance && save_state(run->store, imap_mailbox_key(m),
							     validity, uids[i], err) != 0)
				goto store_failed;
		} else {
			rc = ingest_store_bytes_in_batch(run->store, msg.data ? msg.data : "",
							 msg.len, &run->limits, "imap", name,
							 &run->counts, err);
			buf_free(&msg);
			fetch_progress(run);
			/* store failure: the batch is rolled back, none of its
			 * mail flagged or moved, the saved UID not advanced past
			 * it: all of it is fetched again next time */
			if (rc == INGEST_STORE_FAILED)
				goto store_failed;
			if (rc == INGEST_STORE_OK)   /* not skipped or refused mail */
				done[ndone++] = uids[i];
			if (advance && save_state(run->store, imap_mailbox_key(m), validity,
						  uids[i], err) != 0)
				goto store_failed;
		}
		if (fetch_batch_add(run) &&
		    commit_batch(m, o, validity, done, &ndone, i + 1 < n, run, err) != 0)
			goto out;
	}
	if (commit_batch(m, o, validity, done, &ndone, 0, run, err) != 0)
		goto out;
	ret = 0;
	goto out;
store_failed:
	fetch_batch_abort(run);
out:
	free(uids);
	free(done);
	imap_close(&m);
	if (password != NULL)
		memset(password, 0, strlen(password));
	free(password);
	return ret;
}
