/*
 * naming: the names RFC 8460 gives a report on the way out — report-id,
 * date-range strings, attachment filename (§5.1) and mail Subject (§5.3).
 *
 * All are pure functions of (day, policy domain, submitter), so a report
 * regenerated for the same day and domain gets the same names (GEN-17).
 * Domains are expected in A-label form, lower case (aggregate.c does that).
 */
#ifndef TLSRPT_REPORT_NAMING_H
#define TLSRPT_REPORT_NAMING_H

#include <stdint.h>

/* Length of "YYYY-MM-DDTHH:MM:SSZ" plus the NUL. */
#define NAMING_DATETIME_SIZE 21

/* First and last second of UTC day `day` (days since 1970-01-01). */
int64_t naming_day_begin(int64_t day);
int64_t naming_day_end(int64_t day);

/* Writes the RFC 3339 UTC form of Unix time t ("2026-11-21T00:00:00Z") into
 * out, which has NAMING_DATETIME_SIZE bytes. */
void naming_datetime(int64_t t, char out[NAMING_DATETIME_SIZE]);

/* Returns a new string "YYYYMMDD.<policy-domain>.<n>@<submitter>"
 * (msg-id shaped, GEN-16); caller frees. */
char *naming_report_id(int64_t day, const char *policy_domain, int n, const char *submitter);

/* Returns a new string "<submitter>!<policy-domain>!<begin>!<end>.json.gz"
 * (".json" when !compressed), RFC 8460 §5.1; caller frees. */
char *naming_filename(const char *submitter, const char *policy_domain, int64_t begin,
		      int64_t end, int compressed);

/* Returns a new Subject value "Report Domain: D Submitter: S Report-ID: <id>"
 * (RFC 8460 §5.3); caller frees. */
char *naming_subject(const char *policy_domain, const char *submitter, const char *report_id);

#endif
