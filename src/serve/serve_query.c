/*
 * serve_query: the filter arguments shared by the API routes
 * (?since=&until=&domain=&org=), parsed strictly: a bad value is a 400
 * with the argument named, never silently ignored: a date with anything
 * after it or a day that does not exist (dates: when.h, the syntax of the
 * command line; without since= and until= every stored report counts, as
 * in `tlsrpt summary`), an argument holding a NUL byte
 * (%00, which would cut it short: domain=%00x is not "all domains").  domain= (empty) is no
 * filter, domain=- the policies without policy-domain
 * (report_domain_filter()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report.h"
#include "model/when.h"
#include "serve/serve_private.h"

int
serve_query_parse(const struct http_request *req, struct report_query *q,
		  struct err *err)
{
	const char *since = req->get_query(req, "since");
	const char *until = req->get_query(req, "until");
	const char *domain = req->get_query(req, "domain");
	const char *org = req->get_query(req, "org");
	int64_t now = (int64_t)time(NULL);

	memset(q, 0, sizeof(*q));
	if (req->query_nul_arg != NULL) {
		err_set(err, "%.32s: a NUL byte (%%00) is not allowed in an argument",
			req->query_nul_arg);
		return -1;
	}
	if (since != NULL && *since != '\0' &&
	    when_parse(since, WHEN_START, now, &q->since, err) != 0) {
		err_prefix(err, "since");
		return -1;
	}
	/* until=YYYY-MM-DD includes that day */
	if (until != NULL && *until != '\0' &&
	    when_parse(until, WHEN_END, now, &q->until, err) != 0) {
		err_prefix(err, "until");
		return -1;
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
