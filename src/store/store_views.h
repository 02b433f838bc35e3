/*
 * store_views: the grouped figures of stored reports that the dashboard,
 * the JSON API and /metrics show, computed by the database (GROUP BY), not
 * by reading every report into memory.
 *
 * Every function takes a struct report_query and selects exactly what
 * store_query_reports() and store_summary.h select: a report by the UTC
 * instant its date range starts (since <= start < until), only the policies
 * of q->domain when it is set ("" the policies without policy-domain), only
 * the reports of q->organization when it is set.  "reports" counts distinct
 * reports in each group (a report with two policies in one group counts
 * once).  Session sums stop at 2^53-1: no stored value can make them wrap.
 *
 * The figures are read from roll-ups kept with the reports
 * (store_rollup.h) where the selection allows, else from the report rows:
 * the same figures either way.
 *
 * Groups are visited by a callback; strings are borrowed for the call.
 * The callback returns 0 to go on, non-zero to stop (that value is then
 * returned).  Functions return 0 when every row was visited, -1 on error
 * (err set).
 */
#ifndef TLSRPT_STORE_STORE_VIEWS_H
#define TLSRPT_STORE_STORE_VIEWS_H

#include <stdint.h>

#include "model/report.h"
#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* The schema step that adds report_domains (store_schema.c). */
extern const char store_views_schema_sql[];

/* Writes report r's rows of report_domains (one per policy domain key,
 * with its session sums), for the report just stored under id, which
 * arrived at received; keys[i] is report_domain_key() of policy i's
 * domain (borrowed).  Called by store_put_report() inside its
 * transaction.  Returns 0 or -1 with err set. */
int store_views_put_report(struct store *s, int64_t id, const struct report *r,
			   char *const *keys, int64_t received, struct err *err);

/* What reports and their policies are grouped by. */
enum store_view_by {
	STORE_VIEW_TOTAL,       /* one row, no keys */
	STORE_VIEW_DAY,         /* k1: UTC day number as decimal text; oldest first */
	STORE_VIEW_ORG,         /* k1: organization-name */
	STORE_VIEW_DOMAIN,      /* k1: policy domain key ("" none) */
	STORE_VIEW_DOMAIN_ORG,  /* k1: domain key, k2: organization-name */
	STORE_VIEW_POLICY,      /* k1: domain key, k2: policy-type, k3: policy-string
				 * list as stored (a JSON array text) */
	STORE_VIEW_DOMAIN_ORG_DAY, /* k1: domain key, k2: organization, k3: day number;
				    * ordered by k1, k2, k3 (stale reporters) */
	STORE_VIEW_DOMAIN_REPORTERS, /* k1: domain key; `reports` is how many
				      * organizations reported it, the other
				      * figures 0 */
};

/* One group's figures. */
struct store_view_row {
	const char *k1, *k2, *k3;       /* the group's keys (see above); NULL if unused */
	uint64_t reports;               /* distinct reports */
	uint64_t success;               /* total-successful-session-count, summed */
	uint64_t failure;               /* total-failure-session-count, summed */
	int64_t first_start;            /* earliest report start in the group */
	int64_t last_received;          /* when the latest report of the group arrived */
};

typedef int (*store_view_row_cb)(void *ctx, const struct store_view_row *row);

/* Visits the groups of q's reports and policies by `by`. */
int store_view_groups(struct store *s, const struct report_query *q, enum store_view_by by,
		      store_view_row_cb cb, void *ctx, struct err *err);

/* One failure group: (policy domain key, result-type, receiving MX). */
struct store_view_failure {
	const char *domain;             /* domain key; "" none */
	const char *result_type;        /* as received; "" if absent */
	const char *mx;                 /* receiving-mx-hostname; "" if absent */
	uint64_t sessions;              /* failed-session-count, summed */
	uint64_t reports;               /* distinct reports naming it */
	int64_t first_seen;             /* earliest start of those reports */
	int64_t last_seen;              /* latest end of those reports */
	const char *additional_information; /* one non-empty value, or NULL */
};

typedef int (*store_view_failure_cb)(void *ctx, const struct store_view_failure *f);

/* The most failure groups store_view_failures() visits. */
#define STORE_VIEW_MAX_FAILURES 5000
#define STORE_VIEW_MAX_FAILURES_TEXT "5000"

/* Visits the failure groups of q, most failed sessions first (at most
 * STORE_VIEW_MAX_FAILURES of them). */
int store_view_failures(struct store *s, const struct report_query *q,
			store_view_failure_cb cb, void *ctx, struct err *err);

/* Sets *n to how many failure groups store_view_failures() would visit. */
int store_view_failure_count(struct store *s, const struct report_query *q, uint64_t *n,
			     struct err *err);

/* Which value of a failure group store_view_failure_values() lists. */
enum store_view_value {
	STORE_VIEW_SENDING_IP,          /* sending-mta-ip */
	STORE_VIEW_REPORTER,            /* organization-name of the report */
	STORE_VIEW_REASON_CODE,         /* failure-reason-code */
};

/* Visits the distinct non-empty values of kind `which` per failure group
 * (f->domain, f->result_type, f->mx set; f->additional_information is the
 * value), each group's values together and in value order.  Other
 * members of f are 0. */
int store_view_failure_values(struct store *s, const struct report_query *q,
			      enum store_view_value which, store_view_failure_cb cb, void *ctx,
			      struct err *err);

/* One value of a failure group (store_view_failure_sets()). */
struct store_view_failure_value {
	const char *domain;             /* the group: domain key ("" none), */
	const char *result_type;        /* result-type ("" if absent) */
	const char *mx;                 /* and receiving MX ("" if absent) */
	enum store_view_value which;    /* what the value is */
	const char *value;              /* never NULL nor "" */
};

typedef int (*store_view_failure_value_cb)(void *ctx,
					   const struct store_view_failure_value *v);

/* Visits the distinct non-empty values of every kind of the failure
 * groups of q: what store_view_failure_values() visits for the three
 * kinds, in no particular order (the caller sorts; a database's collation
 * need not be byte order).  For all time and every organization one
 * statement reads them all, of the groups store_view_failures() visits
 * only; otherwise one statement per kind. */
int store_view_failure_sets(struct store *s, const struct report_query *q,
			    store_view_failure_value_cb cb, void *ctx, struct err *err);

/* Failed sessions per (UTC day, result-type): f->first_seen is the day
 * number, f->result_type the type ("" if absent), f->sessions the sum;
 * oldest day first. */
int store_view_failure_days(struct store *s, const struct report_query *q,
			    store_view_failure_cb cb, void *ctx, struct err *err);

/* One report of a page of store_view_reports(). */
struct store_view_report {
	int64_t id;                     /* the store's id (store_get_report()) */
	const char *organization;
	const char *report_id;
	int64_t start, end;             /* date-range */
	int64_t received;               /* when it arrived */
	uint64_t success, failure;      /* its sessions (of q->domain when set) */
	uint64_t domains;               /* how many policy domains it names */
	const char *quirks_json;        /* the leniencies applied when it was read:
					 * a JSON array text, or NULL for none */
};

typedef int (*store_view_report_cb)(void *ctx, const struct store_view_report *r);

/*
 * Visits one page of q's reports, newest first (by the start of their date
 * range, then by id): at most limit of them after skipping offset.  With
 * result_type set (not NULL, not ""), only the reports with a failure
 * detail of that result-type (in q->domain's policies when set).  Sets
 * *total to how many reports match in all.  The API uses
 * store_report_search() (same rows, cheaper); this one is the reference
 * test_store_report_search compares it with.
 */
int store_view_reports(struct store *s, const struct report_query *q, const char *result_type,
		       uint64_t offset, uint64_t limit, uint64_t *total,
		       store_view_report_cb cb, void *ctx, struct err *err);

/*
 * Stale reporters: an organization that reported a domain regularly and
 * stopped.  The window is the window_days UTC days whose midnight lies in
 * [end - window_days days, end) (with a whole-day end: the window_days
 * days before it).  A (domain, organization) is stale when, in the window,
 * it has reports starting on at least min_days days, on regular_pct % of
 * the days from its first such day to its last, and that last day is
 * before the quiet_days days ending with the day of end (last day <=
 * floor(end / 86400) - quiet_days - 1).
 */
struct store_stale_rule {
	int64_t end;                    /* Unix time the window ends */
	int window_days, min_days, regular_pct, quiet_days;
};

/* One stale (domain, organization). */
struct store_view_stale {
	const char *domain;             /* domain key */
	const char *organization;
	int64_t last_day;               /* UTC day number of its last report in the window */
};

typedef int (*store_view_stale_cb)(void *ctx, const struct store_view_stale *r);

/* Visits the stale (domain, organization) pairs of q's domain,
 * organization and viewer scope (q's period is not used: the rule's window
 * is), ordered by domain key, then organization.  Reads rollup_reporters
 * (store_rollup_reporters.h), and the report rows of the window only when
 * a pair has reports more than STORE_ROLLUP_REPORTER_DAYS days after the
 * window's first day (a window far in the past). */
int store_view_stale_reporters(struct store *s, const struct report_query *q,
			       const struct store_stale_rule *rule, store_view_stale_cb cb,
			       void *ctx, struct err *err);

/* The same from the report rows of the window alone (what tests compare
 * store_view_stale_reporters() with). */
int store_view_stale_reporters_from_rows(struct store *s, const struct report_query *q,
					 const struct store_stale_rule *rule,
					 store_view_stale_cb cb, void *ctx, struct err *err);

#endif
