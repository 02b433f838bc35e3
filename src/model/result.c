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
