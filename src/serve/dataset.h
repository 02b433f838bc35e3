/*
 * dataset: the figures the dashboard, the JSON API, /metrics and alerts
 * show, computed from the stored reports that match a query.
 *
 * One pass over store_query_reports() fills a JSON object (jansson) with
 * totals, a per-day timeline (a report counts on the UTC day its range
 * starts), sums per reporting organization, per policy, per (domain,
 * organization), and failure rows grouped by (policy domain, result type,
 * receiving MX) with the plain-language explanation and fix.  Strings in it
 * are report content: untrusted, to be escaped by whoever renders them.
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

/*
 * Computes the dataset for q.  Returns a new JSON object (caller releases
 * it with json_decref()) or NULL with err set.  Its members:
 *   "reports": n, "success": n, "failure": n,
 *   "days": [{"day":"YYYY-MM-DD","success":n,"failure":n}, …] oldest first,
 *   "organizations": [{"organization":…,"reports":n,"success":n,"failure":n}],
 *   "policies": [{"domain":…,"policy_type":…,"policy_string":[…],
 *                 "reports":n,"success":n,"failure":n}],
 *   "domain_orgs": [{"domain":…,"organization":…,"success":n,"failure":n}],
 *   "failures": [{"domain":…,"result_type":…,"mx":…,"count":n,
 *                 "sending_ips":[…],"organizations":[…],
 *                 "first_seen":t,"last_seen":t,"explanation":…,"fix":…,
 *                 "additional_information":…}], most failed sessions first.
 * A policy without policy-domain counts under "" (unknown).
 */
json_t *dataset_build(struct store *s, const struct report_query *q, struct err *err);

/* Returns the day "YYYY-MM-DD" (UTC) of Unix time t in out (11 bytes). */
char *dataset_day(int64_t t, char out[11]);

#endif
