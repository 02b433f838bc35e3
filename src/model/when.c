/*
 * when: the one parser of dates given by people (when.h).  Digits alone are
 * Unix seconds, digits and one unit letter a time before now; anything else
 * is a date or date-time for datetime_parse(), of whose leniencies only the
 * missing zone is refused (a person's "12:00" is ambiguous, a report's is
 * not: there it is taken as UTC).
 */
#include "model/when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/datetime.h"

#define DAY 86400
#define MAX_TIME 253402300799LL        /* 9999-12-31T23:59:59Z */
#define MAX_DAYS 36500                 /* relative: 100 years back at most */

/* Sets err to: "TEXT": WHY; expected SYNTAX. */
static int
refuse(struct err *err, const char *text, const char *why)
{
	err_set(err, "\"%.*s\": %s; expected %s", WHEN_MAX_LEN, text, why, WHEN_SYNTAX);
	return -1;
}

/* Parses "N" + unit letter (d or h) when text is exactly that.  Returns 1
 * and sets *out, 0 when text is not of that form, -1 when N is too large. */
static int
relative(const char *text, int64_t now, int64_t *out, struct err *err)
{
	size_t n = strspn(text, "0123456789");
	int64_t v = 0, unit;

	if (n == 0 || n > 9 || text[n] == '\0' || text[n + 1] != '\0')
		return 0;
	if (text[n] == 'd')
		unit = DAY;
	else if (text[n] == 'h')
		unit = 3600;
	else
		return 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (text[i] - '0');
	if (v * unit > (int64_t)MAX_DAYS * DAY)
		return refuse(err, text, "more than 36500 days ago");
	*out = now - v * unit;
	return 1;
}

int
when_parse(const char *text, enum when_end end, int64_t now, int64_t *out,
	   struct err *err)
{
	struct err why = { { 0 } };
	unsigned flags = 0;
	size_t digits;
	int64_t t = 0;
	int r;

	if (text == NULL || *text == '\0')
		return refuse(err, "", "empty");
	if (strnlen(text, WHEN_MAX_LEN + 1) > WHEN_MAX_LEN)
		return refuse(err, text, "too long");
	digits = strspn(text, "0123456789");
	if (text[digits] == '\0') {
		if (digits > 12)
			return refuse(err, text, "after 9999-12-31");
		t = (int64_t)strtoll(text, NULL, 10);
	} else if ((r = relative(text, now, &t, err)) != 0) {
		if (r < 0)
			return -1;
	} else if (datetime_parse(text, &t, &flags, &why) < 0) {
		/* datetime_parse() quotes the text itself: keep only the reason,
		 * without its "(YYYY-MM-DDTHH:MM:SSZ)": the syntaxes follow */
		const char *reason = strstr(why.msg, "\" is ");
		char *paren = strstr(why.msg, " (");

		if (paren != NULL)
			*paren = '\0';
		if (reason == NULL || strspn(text, "0123456789") != 4 || text[4] != '-')
			return refuse(err, text, "not a date");
		return refuse(err, text, reason + 5);
	} else if (flags & DATETIME_DATE_ONLY) {
		if (end == WHEN_END)
			t += DAY;
	} else if (flags & DATETIME_NO_ZONE) {
		return refuse(err, text, "no time zone (add Z for UTC, or an offset such as +02:00)");
	}
	if (t < 0)
		return refuse(err, text, "before 1970-01-01");
	if (t > MAX_TIME + DAY)
		return refuse(err, text, "after 9999-12-31");
	*out = t;
	return 0;
}

int
when_parse_day(const char *text, int64_t now, int64_t *day, struct err *err)
{
	int64_t t;

	if (when_parse(text, WHEN_START, now, &t, err) < 0)
		return -1;
	*day = datetime_day_start(t) / DAY;
	return 0;
}
