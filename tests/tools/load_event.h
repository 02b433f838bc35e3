/*
 * load_event: one MTA event through libtlsrpt, the shape the load tool and
 * the collector benchmark send (bench/bench_collect_common.h builds the same
 * datagram by hand): recipient domain d<i % domains>.example, one STS policy
 * with 4 policy strings and 1 MX pattern, and with `fail` one
 * certificate-expired failure detail.  Header-only; uses only <tlsrpt.h>.
 */
#ifndef TLSRPT_TESTS_TOOLS_LOAD_EVENT_H
#define TLSRPT_TESTS_TOOLS_LOAD_EVENT_H

#include <stdio.h>

#include "tlsrpt.h"

/* Sends event i on con.  Returns 0 or the first libtlsrpt error code. */
static inline int
load_event(struct tlsrpt_connection_t *con, long i, long domains, int fail)
{
	struct tlsrpt_dr_t *dr = NULL;
	char domain[64];
	int rc;

	snprintf(domain, sizeof(domain), "d%ld.example", i % domains);
	rc = tlsrpt_init_delivery_request(&dr, con, domain,
					  "v=TLSRPTv1; rua=mailto:tlsrpt@example.net");
	if (rc != 0)
		return rc;
	tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, domain);
	tlsrpt_add_policy_string(dr, "version: STSv1");
	tlsrpt_add_policy_string(dr, "mode: enforce");
	tlsrpt_add_policy_string(dr, "mx: mx1.example.net");
	tlsrpt_add_policy_string(dr, "max_age: 604800");
	tlsrpt_add_mx_host_pattern(dr, "mx1.example.net");
	if (fail)
		tlsrpt_add_delivery_request_failure(dr, TLSRPT_CERTIFICATE_EXPIRED, "192.0.2.25",
						    "mx1.example.net", "250 mx1.example.net",
						    "198.51.100.10", NULL, NULL);
	tlsrpt_finish_policy(dr, fail ? TLSRPT_FINAL_FAILURE : TLSRPT_FINAL_SUCCESS);
	return tlsrpt_finish_delivery_request(&dr);
}

#endif
