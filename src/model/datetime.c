/*
 * datetime: RFC 3339 parsing by glib's ISO 8601 parser
 * (g_date_time_new_from_iso8601(), UTC when the text gives no zone) and
 * canonical formatting (datetime.h).  glib accepts more of ISO 8601 than a
 * report may use (week and ordinal dates, the basic format without
 * separators, times without seconds), so a shape check first admits only
 * the RFC 3339 layout and the leniencies datetime.h lists, and sets their
 * flags; glib then does the work: calendar and clock ranges, the offset,
 * the conversion to Unix seconds.  What it refuses that RFC 3339
 * allows are prepared for it: a leap second (:60 is given as :59), the
 * lower-case "t" and "z", and a date alone (given as 00:00:00Z).
 */
#include "model/datetime.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* Matches s against pattern (d: a digit, anything else: itself) at *p;
 * advances *p past it.  Returns 1 when it matches. */
static int
shape(const char **p, const char *pattern)
{
	const char *s = *p;

	for (; *pattern != '\0'; pattern++, s++)
		if (*pattern == 'd' ? !IS_DIGIT(*s) : *s != *pattern)
			return 0;
	*p = s;
	return 1;
}

/* Checks the RFC 3339 layout of s and sets the leniency flags; *time_at is
 * the index of the time ("hh:mm:ss"), 0 when s is a date alone.  Returns 0,
 * or -1 when s does not have that layout. */
static int
check_layout(const char *s, unsigned *flags, size_t *time_at)
{
	const char *p = s;

	*flags = 0;
	*time_at = 0;
	if (!shape(&p, "dddd-dd-dd"))
		return -1;
	if (*p == '\0') {
		*flags |= DATETIME_DATE_ONLY | DATETIME_NO_ZONE;
		return 0;
	}
	if (*p == 't' || *p == ' ')
		*flags |= DATETIME_LOOSE_SEP;
	else if (*p != 'T')
		return -1;
	p++;
	*time_at = (size_t)(p - s);
	if (!shape(&p, "dd:dd:dd"))
		return -1;
	if (*p == '.' || *p == ',') {
		if (!IS_DIGIT(p[1]))
			return -1;
		for (p++; IS_DIGIT(*p); p++)
			;
		*flags |= DATETIME_FRACTION;
	}
	if (*p == '\0') {
		*flags |= DATETIME_NO_ZONE;
		return 0;
	}
	if (*p == 'Z' || *p == 'z') {
		if (*p == 'z')
			*flags |= DATETIME_LOOSE_SEP;
		return p[1] == '\0' ? 0 : -1;
	}
	if (*p != '+' && *p != '-')
		return -1;
	if (shape(&p, "+dd:dd") || shape(&p, "-dd:dd")) {
		/* fine */
	} else if (shape(&p, "+dddd") || shape(&p, "-dddd")) {
		*flags |= DATETIME_LOOSE_SEP;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	if (strncmp(p - 5, "00:00", 5) != 0 && strncmp(p - 4, "0000", 4) != 0)
		*flags |= DATETIME_OFFSET;
	return 0;
}

/* Parses text, which has the layout, with glib.  Returns 0 or -1. */
static int
glib_parse(const char *text, int64_t *t_out)
{
	GTimeZone *utc = g_time_zone_new_utc();
	GDateTime *dt = g_date_time_new_from_iso8601(text, utc);

	g_time_zone_unref(utc);
	if (dt == NULL)
		return -1;
	*t_out = (int64_t)g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return 0;
}

int
datetime_parse(const char *s, int64_t *t_out, unsigned *flags_out, struct err *err)
{
	char buf[DATETIME_MAX_LEN + 16];
	unsigned flags;
	size_t time_at;
	int64_t t;

	if (s == NULL || strnlen(s, DATETIME_MAX_LEN + 1) > DATETIME_MAX_LEN) {
		err_set(err, "not a date-time (missing or longer than %d characters)",
			DATETIME_MAX_LEN);
		return -1;
	}
	if (check_layout(s, &flags, &time_at) < 0) {
		err_set(err, "\"%s\" is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)", s);
		return -1;
	}
	if (flags & DATETIME_DATE_ONLY) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	} else {
		size_t n = strlen(s);

		memcpy(buf, s, n + 1);
		buf[time_at - 1] = 'T';         /* glib is given 'T' and 'Z' */
		if (buf[n - 1] == 'z')
			buf[n - 1] = 'Z';
		/* RFC 3339 allows a leap second; one second does not matter here */
		if (buf[time_at + 6] == '6' && buf[time_at + 7] == '0') {
			buf[time_at + 6] = '5';
			buf[time_at + 7] = '9';
			flags |= DATETIME_LEAP_SEC;
		}
	}
	if (glib_parse(buf, &t) < 0) {
		/* which part is wrong: the date, or the time or its zone */
		snprintf(buf, sizeof(buf), "%.10sT00:00:00Z", s);
		if (glib_parse(buf, &t) < 0 || strncmp(s, "0000", 4) == 0)
			err_set(err, "\"%s\" is not a calendar date", s);
		else
			err_set(err, "\"%s\" is not a time of day with a valid offset", s);
		return -1;
	}
	*t_out = t;
	if (flags_out != NULL)
		*flags_out = flags;
	return 0;
}

char *
datetime_format(int64_t t, char out[DATETIME_FMT_SIZE])
{
	/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
	const int64_t lo = -62167219200LL, hi = 253402300799LL;
	time_t tt;
	struct tm tm;

	if (t < lo)
		t = lo;
	if (t > hi)
		t = hi;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm)); /* cannot happen in range */
	/* Not strftime: glibc's %Y does not pad years below 1000. */
	snprintf(out, DATETIME_FMT_SIZE, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
	return out;
}

int64_t
datetime_day_start(int64_t t)
{
	int64_t r = t % 86400;

	return t - (r < 0 ? r + 86400 : r);
}
