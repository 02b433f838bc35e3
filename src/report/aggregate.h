/*
 * aggregate: turns one UTC day of stored results (store_get_day_results
 * rows: recipient domain, TLSRPT record seen, aggregated policy) into one
 * RFC 8460 report per policy domain (§4, R-4.12).
 *
 * Attribution (RFC 8460 §1.1; mox; sender.md AGG-08):
 *   - sts and no-policy-found policies go to the report of their policy
 *     domain, which is the recipient domain unless the MTA named another
 *     (smarthost, RFC 8461 §3.4);
 *   - tlsa policies go to the report of their policy domain (the MX host,
 *     the TLSA base domain) AND into the recipient domain's report.
 * Identical policies are merged: counters summed, identical failure-detail
 * tuples summed (AGG-02).  Domains are lower-cased A-labels (GEN-08).
 *
 * Rows arrive ordered by recipient domain (store_results.h; the collector
 * stores domains lower-case, as A-labels), so each recipient domain's
 * report is emitted as soon as the next domain starts.  Two spellings of
 * one domain that are not adjacent (a U-label and its A-label) would give
 * two reports with one report-id, and the outbox keeps only the first.
 * Only reports of
 * other policy domains (MX hosts, smarthosts) are held until the end.
 * Memory is therefore O(one domain + distinct MX hosts), not O(domains).
 *
 * Report ids: "YYYYMMDD.<policy-domain>.1@<submitter>" for recipient-domain
 * reports, ".2@" for the others, so a regenerated report has the same id.
 */
#ifndef TLSRPT_REPORT_AGGREGATE_H
#define TLSRPT_REPORT_AGGREGATE_H

#include <stdint.h>

#include "model/report.h"
#include "report/privacy.h"
#include "util/err.h"

struct aggregate_config {
	int64_t day;                  /* UTC day number */
	const char *submitter;        /* report-id right side */
	const char *organization;     /* organization-name */
	const char *contact_info;     /* contact-info (an addr-spec at submitter) */
	/* Optional, asked once per (recipient domain, MX host) whose TLSA
	 * results went into both reports: return 1 to keep them in the MX
	 * host's report, 0 to leave them out.  mox leaves them out when both
	 * reports go to the same rua, which would otherwise count those
	 * sessions twice.  NULL keeps everything. */
	int (*keep_in_host)(void *ctx, const char *recipient_domain, const char *host);
	void *keep_ctx;
	/* What of each failure detail is sent (privacy.h); applied before
	 * identical details are merged.  NULL: the defaults. */
	const struct report_privacy *privacy;
};

/* One finished report, handed to the emit callback. */
struct aggregate_out {
	struct report *report;        /* owned by aggregate; the callback may take
	                               * it by setting this to NULL */
	const char *policy_domain;    /* borrowed: the report's policy domain */
	int host_report;              /* 1: report of a non-recipient policy domain */
	uint64_t failures;            /* failure sessions + failure-detail counts */
};

/* Returns 0 to go on, -1 to stop with err set. */
typedef int (*aggregate_emit_cb)(void *ctx, struct aggregate_out *o, struct err *err);

struct aggregate;

/* Starts a day's aggregation.  cfg's strings are borrowed and must outlive
 * the aggregate.  Returns a new aggregate; release with aggregate_free(). */
struct aggregate *aggregate_new(const struct aggregate_config *cfg, aggregate_emit_cb emit,
				void *ctx);

/* Adds one row (all borrowed).  May emit the previous recipient domain's
 * report.  Returns 0; -1 with err set if the domain is not a valid domain
 * name (the row is skipped, the aggregate stays usable) or emit failed
 * (the row is kept: it starts the next domain's report all the same). */
int aggregate_add(struct aggregate *a, const char *domain, const struct policy *p,
		  struct err *err);

/* Emits every report still held, in policy-domain order (a report left
 * with no policy by keep_in_host is not emitted).  Returns 0 or -1. */
int aggregate_finish(struct aggregate *a, struct err *err);

/* Releases *a and sets it to NULL; NULL is a no-op. */
void aggregate_free(struct aggregate **a);

/* Normalises a domain name for a report: lower case, no trailing dot,
 * IDNA A-labels (a leading "*." wildcard is kept).  Returns a new string,
 * or NULL if s is not a valid domain name. */
char *aggregate_domain(const char *s);

#endif
