/*
 * serve_query: the filter arguments shared by the API routes
 * (?since=&until=&domain=&org=), parsed strictly: a bad value is a 400
 * with the argument named, never silently ignored: a date with anything
 * after it or a day that does not exist, an argument holding a NUL byte
 * (%00, which would cut it short: domain=%00x is not "all domains").  domain= (empty) is no
 * filter, domain=- the policies without policy-domain
 * (report_domain_filter()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report.h"
#include "serve/serve_private.h"

/* Parses YYYY-MM-DD[THH:MM:SSZ] or Unix seconds, the whole of v (nothing
 * may follow), a day that exists.  *date_only is set when only a day was
 * given. */
static int
parse_time(const char *v, int64_t *out, int *date_only)
{
	struct tm tm, back;
	int y, mo, d, h = 0, mi = 0, sec = 0, used = 0, used_time = 0;
	time_t t;

	*date_only = 0;
	if (*v >= '0' && *v <= '9' && strspn(v, "0123456789") == strlen(v)) {
		if (strlen(v) > 12)
			return -1;
		*out = (int64_t)strtoll(v, NULL, 10);
		return 0;
	}
	if (strspn(v, "0123456789-") != 10 ||
	    sscanf(v, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
		return -1;
	if (v[used] == '\0') {
		*date_only = 1;
	} else if (strlen(v + used) != 10 || strspn(v + used + 1, "0123456789:") != 8 ||
		   sscanf(v + used, "T%2d:%2d:%2dZ%n", &h, &mi, &sec, &used_time) != 3 ||
		   used_time != 10) {
		return -1;
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;      /* a leap second, as the parser */
	t = timegm(&tm);
	/* timegm() moves 2026-02-31 to March 3rd: such a day does not exist */
	if (gmtime_r(&t, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

int
serve_query_parse(const struct http_request *req, struct report_query *q,
		  struct err *err)
{
	const char *since = req->get_query(req, "since");
	const char *until = req->get_query(req, "until");
	const char *domain = req->get_query(req, "domain");
	const char *org = req->get_query(req, "org");
	int date_only;

	memset(q, 0, sizeof(*q));
	if (req->query_nul_arg != NULL) {
		err_set(err, "%.32s: a NUL byte (%%00) is not allowed in an argument",
			req->query_nul_arg);
		return -1;
	}
	if (since != NULL && *since != '\0' && parse_time(since, &q->since, &date_only) != 0) {
		err_set(err, "since=%.64s: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or "
			"Unix seconds", since);
		return -1;
	}
	if (until != NULL && *until != '\0') {
		if (parse_time(until, &q->until, &date_only) != 0) {
			err_set(err, "until=%.64s: expected YYYY-MM-DD, "
				"YYYY-MM-DDTHH:MM:SSZ or Unix seconds", until);
			return -1;
		}
		if (date_only)
			q->until += 86400;     /* the whole day is included */
	}
	if (q->since != 0 && q->until != 0 && q->until <= q->since) {
		err_set(err, "until is not after since");
		return -1;
	}
	if (domain != NULL && strlen(domain) > 253) {
		err_set(err, "domain: longer than 253 characters");
		return -1;
	}
	q->domain = report_domain_filter(domain);   /* "-": no policy-domain */
	q->organization = org != NULL && *org != '\0' ? org : NULL;
	return 0;
}
