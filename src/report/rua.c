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

enum rua_lookup_result
rua_lookup(struct dns *dns, const char *policy_domain, struct strlist *dests, struct err *err)
{
	struct dns_answer ans = { 0 };
	struct tlsrpt_record rec = { 0 };
	char *qname = xasprintf("_smtp._tls.%s", policy_domain);
	enum rua_lookup_result ret = RUA_TEMPFAIL;

	if (dns_lookup(dns, DNS_TXT, qname, &ans, err) < 0) {
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
	free(qname);
	return ret;
}
