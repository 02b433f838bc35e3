/*
 * report_json: the one JSON codec for RFC 8460 reports (jansson).
 *
 * report_parse_json() turns the bytes of one report into a struct report.
 * It is lenient towards what real senders emit and records every leniency
 * in r->quirks as "json.path: what" (see the list below).  Members it does
 * not know are kept, not dropped: each extra_json field of the model holds
 * a compact JSON object of the unknown members at that level, and for the
 * nested objects that have no model field of their own it nests them under
 * their key: the report's extra_json may hold {"date-range": {...}}, a
 * policy's {"policy": {...}, "summary": {...}}.  report_write_json() with
 * REPORT_JSON_KEEP_EXTRA merges them back in the same places.
 *
 * Leniencies (each recorded as a quirk): leading UTF-8 BOM; dates without a zone (UTC), with fractions or
 * offsets; end-datetime at 00:00 of the next day (noted only); contact-info
 * null or missing; policy-domain missing; "policies" given as one object;
 * policy-string / mx-host given as one string (taken as a one-element
 * array) and the Microsoft TLSA policy-string that is ONE string holding a
 * JSON-encoded array (split into its RR strings); counts given as strings
 * or as integral reals; a summary count missing or null (0: Stalwart omits
 * total-failure-session-count);
 * draft-era names failure-error-code, additional-info-uri and
 * mx-host-pattern (read as failure-reason-code, additional-information,
 * mx-host; the original name is in the quirk); null optional members;
 * report-id given as an integer.  Unknown policy-type and result-type
 * strings are kept verbatim with type UNKNOWN (no quirk: the registries
 * can grow).  "" strings are kept as given.  Not lenient: a repeated
 * member name (refused, RFC 7493) and an implausible count (above
 * REPORT_MAX_SESSIONS, refused).
 */
#ifndef TLSRPT_MODEL_REPORT_JSON_H
#define TLSRPT_MODEL_REPORT_JSON_H

#include <stddef.h>

#include "model/report.h"
#include "util/err.h"

/* Largest report accepted (bytes of JSON, after any decompression). */
#define REPORT_JSON_MAX_SIZE (20u * 1024u * 1024u)
/* Deepest nesting of arrays/objects accepted (a report needs 5). */
#define REPORT_JSON_MAX_DEPTH 64
/* Plausibility limit: most sessions one report may count, 10^12 (each
 * count, and all the policies' totals together).  Far above any real
 * sender (it is 11 million sessions a second for a day), far below what
 * would let a few reports push the sums near their cap (util/count.h). */
#define REPORT_MAX_SESSIONS 1000000000000ULL

/* Parses one RFC 8460 report from json[0..len) (need not be NUL-terminated).
 * Returns a new report (caller releases it with report_free()), or NULL
 * with err set to "path: reason" when the input is not JSON, not an
 * object, bigger than REPORT_JSON_MAX_SIZE or nested deeper than
 * REPORT_JSON_MAX_DEPTH, lacks organization-name, date-range,
 * start-/end-datetime, report-id, policies, a policy's policy object,
 * policy-type or summary, or a failure detail's result-type or
 * failed-session-count (missing or null), has a date that cannot be
 * parsed, a count that is negative or above 2^53-1, a count (or the
 * report's total sessions) above REPORT_MAX_SESSIONS, a repeated member
 * name, or a member of a type that cannot be coerced. */
struct report *report_parse_json(const char *json, size_t len, struct err *err);

/* Flags for report_write_json(). */
#define REPORT_JSON_PRETTY       0x01u  /* indented (2 spaces), else compact */
#define REPORT_JSON_KEEP_EXTRA   0x02u  /* merge extra_json members back */
#define REPORT_JSON_AS_RECEIVED  0x04u  /* raw date and type strings; optional
					 * arrays only where they were present;
					 * "" kept */

/* Writes r as RFC 8460 JSON, with the RFC's member names and order.
 * Default (flags 0) is the canonical form we send: dates from r->start and
 * r->end as YYYY-MM-DDTHH:MM:SSZ, registered type strings (the raw string
 * when unknown), policy-string, mx-host and failure-details always present
 * as arrays, optional members omitted when NULL or "", counts as integers
 * (capped at 2^53-1).  NULL required strings are written as "".  Invalid
 * UTF-8 in any string is replaced by U+FFFD.  Returns new NUL-terminated
 * text without a trailing newline (caller frees with free()), or NULL only
 * when out of memory. */
char *report_write_json(const struct report *r, unsigned flags);

#endif
