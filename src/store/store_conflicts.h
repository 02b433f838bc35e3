/*
 * store_conflicts: reports received twice under one (organization,
 * report-id) with different contents.
 *
 * The first report stored counts (every figure, summary and alert comes
 * from it); a later one whose canonical JSON differs is not counted, but
 * recorded once per distinct content in report_conflicts with its source
 * and raw JSON, so nothing is lost and the operator sees that the sender
 * sent two versions.  Reports stored before content digests were kept
 * (schema step of this file) cannot be compared and give no conflict.
 */
#ifndef TLSRPT_STORE_STORE_CONFLICTS_H
#define TLSRPT_STORE_STORE_CONFLICTS_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* The schema step that adds reports.content_digest and report_conflicts
 * (for store_schema.c). */
extern const char store_conflicts_schema_sql[];

/* The content digest of r: store_digest64() of its JSON as received, with
 * the unknown members kept (report_write_json(KEEP_EXTRA | AS_RECEIVED):
 * member order and white space do not matter), so the same report by
 * mail and by HTTPS gives the same digest. */
int64_t store_report_content_digest(const struct report *r);

/* Called by store_put_report() for a duplicate: compares digest with the
 * stored report `id` and records a conflict if they differ and this
 * content was not recorded before.  Returns 1 if a conflict was recorded,
 * 0 if not (same content, already recorded, or nothing to compare), -1
 * on error. */
int store_conflict_note(struct store *s, int64_t id, int64_t digest,
			const struct report_source *src, struct err *err);

/* Sets *n to the conflicts recorded for reports whose date range starts in
 * [since, until) (0 leaves an end open) and, if domain is not NULL, that
 * have a policy of that domain (report_domain_key(); "" none given).
 * Returns 0 or -1. */
int store_count_conflicts(struct store *s, int64_t since, int64_t until, const char *domain,
			  int64_t *n, struct err *err);

#endif
