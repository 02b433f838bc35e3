/*
 * store_reports_private: what store_reports.c shares with
 * store_reports_group.c, which stores a group of reports with one
 * statement per table (PostgreSQL).  Not for callers outside the store.
 */
#ifndef TLSRPT_STORE_REPORTS_PRIVATE_H
#define TLSRPT_STORE_REPORTS_PRIVATE_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* The columns of a reports row, in the order of struct store_report_head. */
#define STORE_REPORT_HEAD_COLUMNS \
	"organization, report_id, dedup_key, start_time, end_time, start_datetime," \
	" end_datetime, contact_info, extra_json, quirks_json, raw_json, source_channel," \
	" source_name, received, content_digest"
#define STORE_REPORT_HEAD_N 15
/* Columns 3, 4, 13 and 14 (0-based) are integers, the rest text. */
#define STORE_REPORT_HEAD_IS_NUM(k) ((k) == 3 || (k) == 4 || (k) == 13 || (k) == 14)

/* The values of a reports row: text[k] or num[k] for column k. */
struct store_report_head {
	const char *text[STORE_REPORT_HEAD_N];   /* borrowed from the report,
						  * its source or below */
	int64_t num[STORE_REPORT_HEAD_N];
	char *key, *quirks;                      /* owned */
};

/* Fills h with the reports row of r (source src, may be NULL; content
 * digest digest).  Release with store_report_head_free(). */
void store_report_head_fill(struct store_report_head *h, const struct report *r,
			    const struct report_source *src, int64_t digest);

/* Releases what h owns. */
void store_report_head_free(struct store_report_head *h);

/* r's deduplication key: its report-id, or, when that is empty or weak
 * (Microsoft's "…+"), extended with start, end and the policy domains.
 * Caller frees. */
char *store_report_dedup_key(const struct report *r);

/* Stores r's policies (ids policy_ids[i], or NULL: the store gives them),
 * failures, report_domains and report_types rows and roll-ups under the
 * reports row id.  On PostgreSQL the rows may still be in the pipeline or
 * a batch (db.h): their errors come at the next sync.  Returns 0 or -1. */
int store_report_put_body(struct store *s, int64_t id, const int64_t *policy_ids,
			  const struct report *r, const struct report_source *src,
			  struct err *err);

/* r, not inserted, duplicates a stored report: records a conflict when its
 * contents (digest) differ.  Returns 2 (conflict recorded), 0 (a plain
 * duplicate, or none stored after all) or -1. */
int store_report_put_duplicate(struct store *s, const struct report *r,
			       const struct report_source *src, int64_t digest,
			       struct err *err);

#endif
