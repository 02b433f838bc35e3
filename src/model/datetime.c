/*
 * datetime: lenient RFC 3339 parsing and canonical formatting (datetime.h).
 * The parser walks the text with explicit field widths; timegm() turns the
 * validated broken-down UTC time into seconds.
 */
#include "model/datetime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Reads exactly n digits at *p into *out; advances *p. Returns 0 or -1. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int
days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Parses the zone at p: "Z", "+hh:mm", "-hh:mm" or "+hhmm".  Sets *offset
 * (seconds east of UTC).  Returns the position after it, or NULL. */
static const char *
zone(const char *p, int *offset, unsigned *flags)
{
	int sign, hh, mm;

	if (*p == 'Z' || *p == 'z') {
		if (*p == 'z')
			*flags |= DATETIME_LOOSE_SEP;
		*offset = 0;
		return p + 1;
	}
	if (*p != '+' && *p != '-')
		return NULL;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh) != 0)
		return NULL;
	if (*p == ':')
		p++;
	else
		*flags |= DATETIME_LOOSE_SEP;
	if (digits(&p, 2, &mm) != 0 || hh > 23 || mm > 59)
		return NULL;
	*offset = sign * (hh * 3600 + mm * 60);
	if (*offset != 0)
		*flags |= DATETIME_OFFSET;
	return p;
}

int
datetime_parse(const char *s, int64_t *t_out, unsigned *flags_out, struct err *err)
{
	const char *p = s;
	unsigned flags = 0;
	int year, mon, day, hh = 0, mm = 0, ss = 0, offset = 0;
	struct tm tm;
	time_t t;

	if (s == NULL || strnlen(s, DATETIME_MAX_LEN + 1) > DATETIME_MAX_LEN) {
		err_set(err, "not a date-time (missing or longer than %d characters)",
			DATETIME_MAX_LEN);
		return -1;
	}
	if (digits(&p, 4, &year) != 0 || *p++ != '-' || digits(&p, 2, &mon) != 0 ||
	    *p++ != '-' || digits(&p, 2, &day) != 0)
		goto bad;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon)) {
		err_set(err, "\"%s\" is not a calendar date", s);
		return -1;
	}
	if (*p == '\0') {
		flags |= DATETIME_DATE_ONLY | DATETIME_NO_ZONE;
		goto done;
	}
	if (*p == 't' || *p == ' ')
		flags |= DATETIME_LOOSE_SEP;
	else if (*p != 'T')
		goto bad;
	p++;
	if (digits(&p, 2, &hh) != 0 || *p++ != ':' || digits(&p, 2, &mm) != 0 ||
	    *p++ != ':' || digits(&p, 2, &ss) != 0)
		goto bad;
	if (hh > 23 || mm > 59 || ss > 60) {
		err_set(err, "\"%s\" is not a time of day", s);
		return -1;
	}
	if (ss == 60) {
		/* RFC 3339 allows a leap second; one second does not matter here. */
		ss = 59;
		flags |= DATETIME_LEAP_SEC;
	}
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
		flags |= DATETIME_FRACTION;
	}
	if (*p == '\0') {
		flags |= DATETIME_NO_ZONE;
		goto done;
	}
	p = zone(p, &offset, &flags);
	if (p == NULL || *p != '\0')
		goto bad;
done:
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	t = timegm(&tm);
	*t_out = (int64_t)t - offset;
	if (flags_out != NULL)
		*flags_out = flags;
	return 0;
bad:
	err_set(err, "\"%s\" is not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SSZ)", s);
	return -1;
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
