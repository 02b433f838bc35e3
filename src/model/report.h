/*
 * report: the in-memory model of one RFC 8460 report document.
 *
 * Ingestion turns bytes into a `struct report` (report_json.h parses),
 * aggregation builds one from stored results, and the same writer emits
 * both.  All strings are owned by the report and are released together by
 * report_free().  Optional fields are NULL when absent; "" from a sender is
 * kept as received by the parser but treated as absent by consumers.
 * Unknown JSON members are kept (not lost) as compact JSON object text in
 * the `extra_json` fields, so a report can be written back without loss.
 */
#ifndef TLSRPT_MODEL_REPORT_H
#define TLSRPT_MODEL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "model/strlist.h"
#include "model/types.h"

struct failure_detail {
	char *result_type;              /* as received, e.g. "starttls-not-supported" */
	enum result_type type;          /* RESULT_UNKNOWN when not registered */
	char *sending_mta_ip;           /* NULL if absent */
	char *receiving_mx_hostname;    /* NULL if absent */
	char *receiving_mx_helo;        /* NULL if absent */
	char *receiving_ip;             /* NULL if absent */
	uint64_t failed_session_count;
	char *additional_information;   /* NULL if absent */
	char *failure_reason_code;      /* NULL if absent */
	char *extra_json;               /* unknown members, or NULL */
};

struct policy {
	char *policy_type;              /* as received: "sts", "tlsa", "no-policy-found", … */
	enum policy_type type;          /* POLICY_TYPE_UNKNOWN when not registered */
	struct strlist policy_string;   /* RFC 8460 §4.5, one element per line / RR */
	int has_policy_string;          /* the key was present */
	char *policy_domain;            /* NULL if absent (sys4 no-policy-found) */
	struct strlist mx_host;         /* always an array in the model */
	int has_mx_host;                /* the key was present */
	uint64_t total_successful_session_count;
	uint64_t total_failure_session_count;
	struct failure_detail *failure_details;
	size_t n_failure_details;
	int has_failure_details;        /* the key was present (Google omits it) */
	char *extra_json;               /* unknown members of the policy item, or NULL */
};

struct report {
	char *organization_name;
	char *start_datetime;           /* as received */
	char *end_datetime;             /* as received */
	int64_t start;                  /* start-datetime, Unix seconds UTC */
	int64_t end;                    /* end-datetime, Unix seconds UTC */
	char *contact_info;             /* NULL if null or absent */
	char *report_id;
	struct policy *policies;
	size_t n_policies;
	char *extra_json;               /* unknown top-level members, or NULL */
	struct strlist quirks;          /* leniencies applied while parsing, with JSON paths */
};

/* Returns a new zeroed report; caller releases it with report_free(). */
struct report *report_new(void);

/* Releases r and everything it owns. NULL is a no-op. */
void report_free(struct report *r);

/* Appends a zeroed policy to r and returns it (borrowed, valid until the next
 * report_add_policy() or report_free()). */
struct policy *report_add_policy(struct report *r);

/* Appends a zeroed failure detail to p and returns it (borrowed, valid until
 * the next policy_add_failure_detail() or report_free()). */
struct failure_detail *policy_add_failure_detail(struct policy *p);

/* Releases what p owns (not p itself). */
void policy_clear(struct policy *p);

/* Releases what d owns (not d itself). */
void failure_detail_clear(struct failure_detail *d);

/* The key a policy-domain is counted, filtered and shown under, by every
 * view of stored reports (summary, dashboard, API, metrics, alerts): ASCII
 * lower case with one trailing dot stripped, so "Example.COM." and
 * "example.com" are one domain, and an internationalized name in its IDNA
 * 2008 A-label form (libidn2, UTS #46 non-transitional), so "bücher.example"
 * and "xn--bcher-kva.example" are one domain (a name libidn2 refuses is
 * kept in lower case).  NULL (no policy-domain) gives "".
 * Returns a new string (caller frees). */
char *report_domain_key(const char *policy_domain);

/* How a user asks, in a domain filter (the API's and dashboard's domain=,
 * --domain of tlsrpt summary and tlsrpt alert), for the policies that name
 * no policy-domain (key "").  No mail domain is "-": a host name label
 * does not start with a hyphen (RFC 952, RFC 1123 §2.1; RFC 5890 §2.3.1). */
#define REPORT_NO_DOMAIN_FILTER "-"

/* Turns a domain filter as a user gave it into the domain of a
 * struct report_query or store_summary_*(): NULL or "" (no filter) give
 * NULL (all domains), REPORT_NO_DOMAIN_FILTER gives "" (only the policies
 * without policy-domain), anything else is returned as it is (compared as
 * report_domain_key() later).  The result is arg or a static string. */
const char *report_domain_filter(const char *arg);

/* report_domain_key()'s ASCII rule (lower case, no trailing dot; no IDNA)
 * applied to s in place (the collector uses it for the domains MTAs send;
 * the reporter turns them into A-labels when it aggregates). */
void report_domain_normalize(char *s);

#endif
