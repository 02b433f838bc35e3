/*
 * datetime: RFC 3339 date-times as found in TLSRPT reports, to and from
 * Unix seconds (UTC).  Parsing is lenient because real senders are:
 * Microsoft omitted the zone until 2024, some add fractional seconds or
 * numeric offsets.  Each leniency is reported as a flag so the caller can
 * record it.  Formatting always gives the canonical "YYYY-MM-DDTHH:MM:SSZ".
 */
#ifndef TLSRPT_MODEL_DATETIME_H
#define TLSRPT_MODEL_DATETIME_H

#include <stdint.h>

#include "util/err.h"

/* Leniency flags set by datetime_parse(). */
#define DATETIME_NO_ZONE    0x01u  /* no "Z" / offset: taken as UTC */
#define DATETIME_FRACTION   0x02u  /* fractional seconds: truncated */
#define DATETIME_OFFSET     0x04u  /* numeric offset other than +00:00 applied */
#define DATETIME_DATE_ONLY  0x08u  /* "YYYY-MM-DD" only: taken as 00:00:00Z */
#define DATETIME_LEAP_SEC   0x10u  /* second 60: taken as 59 */
#define DATETIME_LOOSE_SEP  0x20u  /* ' ' or 't' instead of 'T', or 'z', or "+hhmm" */

/* Longest text datetime_parse() accepts, and the size datetime_format() needs. */
#define DATETIME_MAX_LEN 64
#define DATETIME_FMT_SIZE 21

/* Parses s (RFC 3339 §5.6 date-time, leniently: see the flags above; years
 * 0000-9999) into Unix seconds UTC.  Returns 0 and fills *t_out and, if
 * flags_out is not NULL, the leniency flags; returns -1 with a message
 * saying what is wrong (without a JSON path) for anything else. */
int datetime_parse(const char *s, int64_t *t_out, unsigned *flags_out, struct err *err);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (DATETIME_FMT_SIZE bytes) and
 * returns out.  Times outside years 0000-9999 are clamped to that range. */
char *datetime_format(int64_t t, char out[DATETIME_FMT_SIZE]);

/* Returns the Unix time of 00:00:00Z of the UTC day that contains t. */
int64_t datetime_day_start(int64_t t);

#endif
