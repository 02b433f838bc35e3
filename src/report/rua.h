/*
 * rua: where a policy domain wants its reports — the `_smtp._tls.<domain>`
 * TXT lookup (net/dns.h) and the record rules (model/tlsrpt_record.h):
 * no record, several records or an invalid one mean "does not implement
 * TLSRPT" (R-3.9, R-3.14: the report is dropped); SERVFAIL, timeout or a
 * DNSSEC-bogus answer is temporary (REC-28: retried later).
 */
#ifndef TLSRPT_REPORT_RUA_H
#define TLSRPT_REPORT_RUA_H

#include "model/strlist.h"
#include "net/dns.h"
#include "util/err.h"

enum rua_lookup_result {
	RUA_FOUND = 1,          /* dests holds at least one destination */
	RUA_NONE = 0,           /* no usable record; err says why */
	RUA_TEMPFAIL = -1,      /* try again later; err says why */
};

/* Looks up the TLSRPT record of policy_domain and appends its usable
 * destinations to dests, in record order, without duplicates: "mailto:ADDR"
 * (ADDR %-decoded, hfields dropped, REC-21/22) and https URLs as published. */
enum rua_lookup_result rua_lookup(struct dns *dns, const char *policy_domain,
				  struct strlist *dests, struct err *err);

/* The same lookup in two halves, so that many can be in flight:
 * rua_lookup_start() sends the query (NULL with err set when it could not
 * be sent: give that to rua_lookup_finish() as it is, which then says
 * RUA_TEMPFAIL with err); rua_lookup_finish() waits for it and returns as
 * rua_lookup() (q is released).  Every started lookup must be finished. */
struct rua_query;
struct rua_query *rua_lookup_start(struct dns *dns, const char *policy_domain);
enum rua_lookup_result rua_lookup_finish(struct dns *dns, struct rua_query *q,
					 struct strlist *dests, struct err *err);

#endif
