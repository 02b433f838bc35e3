/*
 * reporter: the sending pipeline shared by `tlsrpt send` and `tlsrpt
 * reportd`.
 *
 *   generate (reporter_generate_day): the day's stored results →
 *     aggregate.h → one report per policy domain → canonical JSON →
 *     TLSRPT lookup (rua.h) → outbox (store_outbox.h), then the day's
 *     results are deleted.  No record → report dropped; temporary DNS
 *     failure → report kept in the outbox and the lookup retried.
 *   deliver (reporter_run_due): due lookups and deliveries from the outbox
 *     → gzip → mail (compose + DKIM + SMTP or sendmail) or HTTPS POST.
 *
 * With dry_run_dir set, generate writes each report (.json.gz) and the
 * mail it would send (.eml) into that directory and changes nothing in
 * the store.
 */
#ifndef TLSRPT_REPORT_REPORTER_H
#define TLSRPT_REPORT_REPORTER_H

#include <stddef.h>
#include <stdint.h>

#include "net/dns.h"
#include "report/deliver_https.h"
#include "report/deliver_smtp.h"
#include "report/privacy.h"
#include "report/schedule.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

/* Largest report JSON / mail we build (RFC 8460 §5.2: receivers commonly
 * stop at 10 MB). */
#define REPORTER_MAX_SIZE (10u * 1024u * 1024u)
/* Finished reports are deleted from the outbox after this many days. */
#define REPORTER_KEEP_DAYS 30

struct reporter_config {          /* all strings borrowed */
	const char *submitter;        /* our domain: report-id, TLS-Report-Submitter */
	const char *organization;     /* organization-name (default: submitter) */
	const char *contact_info;     /* default: postmaster@submitter */
	const char *from;             /* From: and envelope sender (default: contact) */
	int only_failures;            /* skip reports without failures (SCHED-04) */
	struct report_privacy privacy; /* what failure details say (privacy.h);
				       * zeroed: the defaults */
	int uncompressed;             /* send application/tlsrpt+json */
	struct smtp_options smtp;     /* smtp.url NULL: no SMTP */
	const char *sendmail;         /* command, or NULL */
	struct https_options https;
	const char *dkim_key;         /* PEM file; NULL: mails are not signed */
	const char *dkim_selector;
	const char *dkim_domain;      /* default: submitter */
	const char *dry_run_dir;
	int64_t retry_for;            /* 0: SCHEDULE_RETRY_FOR */
	int retry_interrupted;        /* requeue deliveries interrupted while sending */
	int64_t suppress_days;        /* a destination that refuses for good (SMTP
				       * 5xx, HTTPS 4xx but 408/429) is suppressed
				       * this many days; 0: never */
	const struct schedule_clock *clock; /* the time each delivery attempt is made at
				       * (its claim, lease, Date: and retry are
				       * counted from it; never before the run's
				       * `now`); NULL: the run's `now` */
};

struct reporter_stats {
	size_t reports;               /* reports aggregated */
	size_t stored;                /* put in the outbox */
	size_t duplicates;            /* already in the outbox */
	size_t no_record;             /* dropped: no usable TLSRPT record */
	size_t deferred;              /* lookup failed temporarily (first or retried) */
	size_t lookup_given_up;       /* lookup still failing after the retry period: report dropped */
	size_t only_success;          /* skipped by only_failures */
	size_t sent, retry, failed;   /* delivery attempts by outcome */
	size_t suppressed;            /* deliveries skipped: destination suppressed */
};

struct reporter;

/* Prepares the pipeline (reads the DKIM key).  dns is borrowed.  Returns a
 * new reporter (release with reporter_free()) or NULL with err set. */
struct reporter *reporter_new(const struct reporter_config *cfg, struct dns *dns,
			      struct err *err);

/* Releases *r and sets it to NULL; NULL is a no-op. */
void reporter_free(struct reporter **r);

/* Generates the reports of UTC day `day` (see above); now is the current
 * time.  Adds to *st.  Returns 0, or -1 with err set on a store error. */
int reporter_generate_day(struct reporter *r, struct store *s, int64_t day, int64_t now,
			  struct reporter_stats *st, struct err *err);

/* Runs every lookup and delivery due at `now`.  Adds to *st.  Returns 0,
 * or -1 with err set on a store error (delivery failures are recorded in
 * the outbox and logged, not returned). */
int reporter_run_due(struct reporter *r, struct store *s, int64_t now,
		     struct reporter_stats *st, struct err *err);

/* Builds the mail for report JSON `json` to address `to` (signed when a
 * DKIM key is configured) into out.  Returns 0 or -1. */
int reporter_build_mail(struct reporter *r, const char *report_id, const char *policy_domain,
			int64_t day, const char *json, const char *to, int64_t now,
			struct buf *out, struct err *err);

#endif
