/*
 * store_summary: totals over stored reports, computed in SQL, for
 * `tlsrpt summary` and /metrics.
 *
 * The definition every view of stored reports follows (the dashboard, the
 * JSON API and alerts too, through store_query_reports() and dataset.h):
 * a report is selected by, and counts once on, the UTC day its date range
 * starts.  Periods are Unix seconds, half open: since <= start < until;
 * 0 leaves that end open (a DATE given to --since/--until or the API names
 * whole days, so it selects reports whose start day is in [since, until]).
 * Policy domains are keyed by report_domain_key(): compared
 * case-insensitively, returned in lower case without a trailing dot, ""
 * for a policy without policy-domain.  Organizations are grouped exactly
 * as stored.  The domain argument below restricts to one policy domain:
 * NULL means all, "" the policies without policy-domain (a filter given by
 * a user is turned into this by report_domain_filter()).
 */
#ifndef TLSRPT_STORE_STORE_SUMMARY_H
#define TLSRPT_STORE_STORE_SUMMARY_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Sessions of one (day, policy-domain, organization). */
struct store_summary_row {
	int64_t day;                    /* UTC day number (Unix time / 86400) */
	const char *domain;             /* report_domain_key(); "" if none given */
	const char *organization;       /* organization-name */
	uint64_t success;               /* total-successful-session-count, summed */
	uint64_t failure;               /* total-failure-session-count, summed */
	uint64_t reports;               /* distinct reports counted */
};

/* Failed sessions of one (policy-domain, result-type, receiving MX, IP,
 * failure-reason-code) over the period. */
struct store_summary_failure {
	const char *domain;             /* report_domain_key(); "" if none given */
	const char *result_type;        /* as received; NULL if absent */
	const char *receiving_mx_hostname;  /* NULL if absent */
	const char *receiving_ip;       /* NULL if absent */
	const char *failure_reason_code;    /* NULL if absent */
	uint64_t sessions;              /* failed-session-count, summed */
	uint64_t reports;               /* distinct reports that named it */
};

/* Sets *reports to the number of distinct reports with a policy in
 * [since, until) (and of domain; NULL: all, "": none given).  Returns 0 or -1. */
int store_summary_reports(struct store *s, int64_t since, int64_t until, const char *domain,
			  uint64_t *reports, struct err *err);

/* Calls cb for each summary row in [since, until) (domain as above),
 * ordered by domain, day, organization.  Strings are borrowed
 * for the call.  cb returns 0 to go on, non-zero to stop (returned).
 * Returns 0 when all were visited, -1 on error. */
typedef int (*store_summary_row_cb)(void *ctx, const struct store_summary_row *row);
int store_summary_days(struct store *s, int64_t since, int64_t until, const char *domain,
		       store_summary_row_cb cb, void *ctx, struct err *err);

/* Calls cb for each failure row in [since, until) (domain as above),
 * ordered by domain, then most failed sessions first.  As above for
 * borrowing, stopping and the return value. */
typedef int (*store_summary_failure_cb)(void *ctx, const struct store_summary_failure *f);
int store_summary_failures(struct store *s, int64_t since, int64_t until, const char *domain,
			   store_summary_failure_cb cb, void *ctx, struct err *err);

#endif
