/*
 * rua: TXT lookup + record selection for a policy domain (see rua.h).
 */
#include "report/rua.h"

#include <stdlib.h>
#include <string.h>

#include "model/tlsrpt_record.h"
#include "util/xalloc.h"

static int
has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

struct rua_query {
	char *policy_domain;
	char *qname;
	struct dns_query *q;          /* NULL: could not be started (why says why) */
	struct err why;
};

struct rua_query *
rua_lookup_start(struct dns *dns, const char *policy_domain)
{
	struct rua_query *rq = xcalloc(1, sizeof(*rq));

	rq->policy_domain = xstrdup(policy_domain);
	rq->qname = xasprintf("_smtp._tls.%s", policy_domain);
	if (dns_query_start(dns, DNS_TXT, rq->qname, &rq->q, &rq->why) < 0)
		rq->q = NULL;
	return rq;
}

enum rua_lookup_result
rua_lookup_finish(struct dns *dns, struct rua_query *rq, struct strlist *dests,
		  struct err *err)
{
	struct dns_answer ans = { 0 };
	struct tlsrpt_record rec = { 0 };
	const char *policy_domain = rq->policy_domain, *qname = rq->qname;
	enum rua_lookup_result ret = RUA_TEMPFAIL;

	if (rq->q == NULL) {
		err_set(err, "%s", rq->why.msg);
		err_prefix(err, "domain=%s: TLSRPT lookup", policy_domain);
		goto out;
	}
	if (dns_query_finish(dns, &rq->q, &ans, err) < 0) {
		err_prefix(err, "domain=%s: TLSRPT lookup", policy_domain);
		goto out;
	}
	switch (ans.status) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		err_set(err, "domain=%s: no TLSRPT record at %s (%s)", policy_domain, qname,
			dns_status_name(ans.status));
		ret = RUA_NONE;
		goto out;
	default:
		err_set(err, "domain=%s: TLSRPT lookup of %s: %s%s%s", policy_domain, qname,
			dns_status_name(ans.status), ans.why ? ": " : "", ans.why ? ans.why : "");
		goto out;
	}
	if (record_tlsrpt_select((const char *const *)ans.rr.v, ans.rr.n, &rec, NULL, NULL,
				 err) < 0) {
		err_prefix(err, "domain=%s: %s", policy_domain, qname);
		ret = RUA_NONE;
		goto out;
	}
	ret = RUA_NONE;
	for (size_t i = 0; i < rec.n_rua; i++) {
		char *d = NULL;

		if (rec.rua[i].scheme == RUA_MAILTO && rec.rua[i].address)
			d = xasprintf("mailto:%s", rec.rua[i].address);
		else if (rec.rua[i].scheme == RUA_HTTPS)
			d = xstrdup(rec.rua[i].uri);
		if (d != NULL && !has(dests, d)) {
			strlist_add_owned(dests, d);
			ret = RUA_FOUND;
		} else {
			free(d);
		}
	}
	if (ret == RUA_NONE)
		err_set(err, "domain=%s: %s has no mailto: or https: destination", policy_domain,
			qname);
out:
	record_tlsrpt_clear(&rec);
	dns_answer_clear(&ans);
	free(rq->policy_domain);
	free(rq->qname);
	free(rq);
	return ret;
}

enum rua_lookup_result
rua_lookup(struct dns *dns, const char *policy_domain, struct strlist *dests, struct err *err)
{
	return rua_lookup_finish(dns, rua_lookup_start(dns, policy_domain), dests, err);
}
