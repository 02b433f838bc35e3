/*
 * dataset: the figures the dashboard, the JSON API, /metrics and alerts
 * show, computed from the stored reports that match a query.
 *
 * GROUP BY statements of the store (store_views.h) fill a JSON object with
 * totals, a per-day timeline, sums per reporting organization, per policy,
 * per policy domain, per (domain, organization), and failure rows grouped
 * by (policy domain, result type, receiving MX) with the plain-language
 * explanation and fix.  Strings in it are report content: untrusted, to be
 * escaped by whoever renders them.
 *
 * The figures follow the definition of store_summary.h, so they are those
 * of `tlsrpt summary` and /metrics: a report is selected by, and counts
 * once on, the UTC day its date range starts; policy domains are grouped
 * and shown as report_domain_key() (lower case, no trailing dot; "" for a
 * policy without policy-domain); organizations exactly as stored.  With a
 * domain in the query only that domain's policies count (with "" only the
 * policies without policy-domain), and a report counts when one of its
 * counted policies does.
 */
#ifndef TLSRPT_SERVE_DATASET_H
#define TLSRPT_SERVE_DATASET_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* Most failure rows / policies / organizations kept (largest first). */
#define DATASET_MAX_ROWS 5000

/* "policies" is listed only when the selection has at most this many
 * policy domains (else it is empty and "policies_omitted" is true). */
#define DATASET_MAX_POLICY_DOMAINS 100

/*
 * Computes the dataset for q.  Returns a new JSON object (caller releases
 * it with json_decref()) or NULL with err set.  Its members:
 *   "reports": n, "success": n, "failure": n,
 *   "days": [{"day":"YYYY-MM-DD","reports":n,"success":n,"failure":n}, …]
 *           oldest first,
 *   "organizations": [{"organization":…,"reports":n,"success":n,"failure":n}],
 *   "policies": [{"domain":…,"policy_type":…,"policy_string":[…],
 *                 "reports":n,"success":n,"failure":n}],
 *   "domain_totals": [{"domain":…,"reports":n,"success":n,"failure":n}],
 *   "domain_orgs": [{"domain":…,"organization":…,"reports":n,"success":n,
 *                    "failure":n}],
 *   "failures": [{"domain":…,"result_type":…,"mx":…,"count":n,"reports":n,
 *                 "sending_ips":[…],"organizations":[…],"failure_reason_codes":[…],
 *                 "first_seen":t,"last_seen":t,"explanation":…,"fix":…,
 *                 "additional_information":…}], most failed sessions first
 *                 (the three lists and additional_information only when
 *                 some report gave them; at most 20 values each, the first
 *                 in byte order: failure_table.h),
 *   "failure_days": [{"day":…,"result_type":…,"failed":n}], oldest first,
 *   "policies_omitted": true when "policies" was left empty (more than
 *                 DATASET_MAX_POLICY_DOMAINS domains).
 * domain_totals members also have "last_received" (Unix time the latest
 * of their reports arrived).
 * "reports" members count distinct reports.  The lists other than "days"
 * are ordered most failed sessions first.
 */
json_t *dataset_build(struct store *s, const struct report_query *q, struct err *err);

/* What dataset_build_parts() computes (dataset_build(): all of it). */
enum dataset_part {
	DATASET_FIGURES = 1,            /* every member but the two below */
	DATASET_DOMAIN_ORGS = 2,        /* "domain_orgs" */
	DATASET_FAILURES = 4,           /* "failures" */
	DATASET_ALL = 7,
};

/* The members of the dataset named by parts (a set of enum dataset_part),
 * computed as dataset_build() does; the others are absent. */
json_t *dataset_build_parts(struct store *s, const struct report_query *q, unsigned parts,
			    struct err *err);

/* Returns the day "YYYY-MM-DD" (UTC) of Unix time t in out (11 bytes). */
char *dataset_day(int64_t t, char out[11]);

#endif
