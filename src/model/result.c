/* result: the sending-side result record (see result.h). */
#include "model/result.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct result_failure *
result_add_failure(struct result *r)
{
	r->failures = xreallocarray(r->failures, r->n_failures + 1, sizeof(*r->failures));
	memset(&r->failures[r->n_failures], 0, sizeof(struct result_failure));
	return &r->failures[r->n_failures++];
}

void
result_clear(struct result *r)
{
	free(r->domain);
	free(r->tlsrpt_record);
	free(r->policy_domain);
	strlist_clear(&r->policy_string);
	strlist_clear(&r->mx_host);
	for (size_t i = 0; i < r->n_failures; i++) {
		struct result_failure *f = &r->failures[i];

		free(f->sending_mta_ip);
		free(f->receiving_mx_hostname);
		free(f->receiving_mx_helo);
		free(f->receiving_ip);
		free(f->additional_information);
		free(f->failure_reason_code);
	}
	free(r->failures);
	memset(r, 0, sizeof(*r));
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int
same_failure(const struct result_failure *a, const struct result_failure *b)
{
	return a->type == b->type && a->code == b->code &&
	       same_str(a->sending_mta_ip, b->sending_mta_ip) &&
	       same_str(a->receiving_mx_hostname, b->receiving_mx_hostname) &&
	       same_str(a->receiving_mx_helo, b->receiving_mx_helo) &&
	       same_str(a->receiving_ip, b->receiving_ip) &&
	       same_str(a->additional_information, b->additional_information) &&
	       same_str(a->failure_reason_code, b->failure_reason_code);
}

int
result_equal(const struct result *a, const struct result *b)
{
	if (a->day != b->day || !same_str(a->domain, b->domain) ||
	    !same_str(a->tlsrpt_record, b->tlsrpt_record) || a->policy_type != b->policy_type ||
	    !same_str(a->policy_domain, b->policy_domain) ||
	    !strlist_equal(&a->policy_string, &b->policy_string) ||
	    !strlist_equal(&a->mx_host, &b->mx_host) || a->failed != b->failed ||
	    a->n_failures != b->n_failures)
		return 0;
	for (size_t i = 0; i < a->n_failures; i++)
		if (!same_failure(&a->failures[i], &b->failures[i]))
			return 0;
	return 1;
}
