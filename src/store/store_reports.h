/*
 * store_reports: reports received from others (receiving side).
 *
 * A report is stored once per (organization-name, report-id); a second
 * copy (the same report by mail and by HTTPS, or fetched twice) is a
 * duplicate and changes nothing already stored.  The raw JSON as received
 * is kept next to the parsed form.
 */
#ifndef TLSRPT_STORE_STORE_REPORTS_H
#define TLSRPT_STORE_STORE_REPORTS_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "util/err.h"

/* Where a report came from, kept with it. All fields borrowed, may be NULL. */
struct report_source {
	const char *channel;      /* "file", "stdin", "mail", "imap", "maildir", "https" */
	const char *name;         /* file name, Message-ID, URL … */
	const char *raw_json;     /* the JSON text as received */
	int64_t received;         /* Unix seconds; 0 means now */
};

/* Stores r. Returns 1 if stored, 0 if it was a duplicate, 2 if it was a
 * duplicate with different contents (a conflict, recorded; the report
 * stored first counts: store_conflicts.h), -1 on error (with err set;
 * nothing is half-stored). */
int store_put_report(struct store *s, const struct report *r,
		     const struct report_source *src, struct err *err);

/* The same, for a batch of reports in one transaction the caller holds
 * (store_begin() … store_commit(): parse, fetch): no savepoint of its own,
 * which costs as much as the rows in SQLite (a statement journal write per
 * page).  On -1 the transaction may hold part of r: the caller must roll
 * the whole batch back (store_rollback()) and store it again (what was
 * stored before is recognised as duplicates).  -1 too, with nothing done,
 * outside a transaction. */
int store_put_report_in_batch(struct store *s, const struct report *r,
			      const struct report_source *src, struct err *err);

/* store_put_report_in_batch() with r's content digest already computed
 * (as store_put_report_digest() below): the group commit of `tlsrpt
 * serve` (src/serve/intake.h). */
int store_put_report_in_batch_digest(struct store *s, const struct report *r,
				     const struct report_source *src, int64_t digest,
				     struct err *err);

/* One report of a group (store_put_reports_in_batch()). */
struct store_put_item {
	const struct report *report;       /* borrowed */
	const struct report_source *src;   /* borrowed; may be NULL */
	int64_t digest;                    /* store_report_content_digest(report) */
	int outcome;                       /* set: as store_put_report()'s
					    * 1, 0 or 2 (unset after -1) */
};

/* store_put_report_in_batch_digest() for n reports at once, in the
 * transaction the caller holds; sets each item's outcome.  On PostgreSQL
 * with more than one report, the group is written with one statement per
 * table (the reports rows in one INSERT whose RETURNING tells the
 * duplicates and which also draws the policy ids, then every other row
 * in one multi-row statement per table: db_batch_begin()) instead of
 * about six per report; elsewhere one by one.  Returns 0, or -1 (err set): the
 * transaction must then be rolled back as after
 * store_put_report_in_batch(), and no outcome counts — store the reports
 * one by one to learn which one the store refuses. */
int store_put_reports_in_batch(struct store *s, struct store_put_item *items, size_t n,
			       struct err *err);

/* 1 when the last store_put_report*() call on s failed on a lost lock,
 * a deadlock or a serialization failure (the same report may be stored
 * a moment later), 0 otherwise (it succeeded, or the store refuses the
 * report itself).  Inside a transaction, a lost lock while writing the
 * roll-ups pending there also counts: then the whole transaction failed
 * and store_commit() says so. */
int store_put_report_retryable(const struct store *s);

/* store_put_report() with r's content digest already computed
 * (store_report_content_digest(r), store_conflicts.h), so that a caller
 * can compute it on another thread than the one that writes (the intake
 * of `tlsrpt serve` does: src/serve/intake.h). */
int store_put_report_digest(struct store *s, const struct report *r,
			    const struct report_source *src, int64_t digest,
			    struct err *err);

/* A query over stored reports. Zero / NULL fields do not restrict.  The
 * selection is the one of store_summary.h: by the start of the date range. */
struct report_query {
	int64_t since;            /* reports whose date range starts at or after this */
	int64_t until;            /* reports whose date range starts before this */
	const char *domain;       /* a policy-domain, compared as report_domain_key();
				   * "": the policies without one (a user's
				   * filter: report_domain_filter()) */
	const char *organization; /* organization-name, exactly as stored */
};

/* Calls cb once per stored report matching q, oldest first; the report is
 * borrowed for the call.  cb returns 0 to go on, non-zero to stop (that value
 * is returned).  Returns 0 when all were visited, -1 on error. */
typedef int (*store_report_cb)(void *ctx, int64_t id, const struct report *r);
int store_query_reports(struct store *s, const struct report_query *q,
			store_report_cb cb, void *ctx, struct err *err);

/* What is kept beside a stored report: all owned, released by
 * report_stored_clear(). */
struct report_stored {
	char *raw_json;           /* the JSON text as received, or NULL */
	char *channel;            /* report_source.channel, or NULL */
	char *name;               /* report_source.name, or NULL */
	int64_t received;         /* Unix seconds it arrived */
	size_t policies_stored;   /* its policies, also those the handle's viewer
				   * scope hides (store_set_scope()) */
};

/* Reads the report stored under id (the id store_query_reports() and
 * store_view_reports() give) into a new *out (caller frees with
 * report_free()) and what was kept beside it into *info (caller releases
 * with report_stored_clear()).  Policies outside the handle's viewer scope
 * are left out of *out, as store_query_reports() does (compare
 * r->n_policies with info->policies_stored).  Returns 1, 0 when there is
 * no such report (*out NULL), -1 on error. */
int store_get_report(struct store *s, int64_t id, struct report **out,
		     struct report_stored *info, struct err *err);

/* Releases what info owns and zeroes it. */
void report_stored_clear(struct report_stored *info);

#endif
