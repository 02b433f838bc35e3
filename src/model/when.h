/*
 * when: the one date syntax of every command-line option, configuration
 * value and API parameter that names a point in time (--since, --until,
 * --day, --older-than, --now, since=, until=, …).  Accepted, the whole text:
 *
 *   YYYY-MM-DD             a UTC day: its first second for WHEN_START; for
 *                          WHEN_END the first second of the next day, so
 *                          that an end given as a day includes that day
 *   RFC 3339 date-time     2026-03-01T12:00:00Z or with an offset
 *                          (+02:00, -0500); fractional seconds are
 *                          dropped; a zone is required
 *   Unix seconds           1772323200 (digits only)
 *   Nd, Nh                 N days / N hours before now (now minus that
 *                          duration, not a day boundary); 0d is now
 *
 * Times before 1970-01-01 and after 9999-12-31 are refused.  Documented in
 * tlsrpt(1), DATES.
 */
#ifndef TLSRPT_MODEL_WHEN_H
#define TLSRPT_MODEL_WHEN_H

#include <stdint.h>

#include "util/err.h"

/* Which end of a period a bare YYYY-MM-DD names. */
enum when_end {
	WHEN_START,   /* 00:00:00Z of that day */
	WHEN_END,     /* 00:00:00Z of the day after: the day is included */
};

/* The accepted syntaxes, for usage texts and error messages. */
#define WHEN_SYNTAX "YYYY-MM-DD, an RFC 3339 date-time with Z or an offset, " \
	"Unix seconds, or Nd / Nh (N days / hours ago)"

/* Longest text when_parse() accepts. */
#define WHEN_MAX_LEN 64

/* Parses text (see above) into Unix seconds, relative forms counted back
 * from now.  Returns 0 and sets *out, or -1 with a message in err that
 * quotes the text, says what is wrong and lists WHEN_SYNTAX; *out is
 * untouched then. */
int when_parse(const char *text, enum when_end end, int64_t now, int64_t *out,
	       struct err *err);

/* when_parse() for a UTC day (--day): the day number (Unix seconds / 86400)
 * of the day that holds the instant text names (WHEN_START).  Returns 0 or
 * -1 with err set, as when_parse(). */
int when_parse_day(const char *text, int64_t now, int64_t *day, struct err *err);

#endif
