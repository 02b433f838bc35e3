/*
 * result: one delivery attempt's TLS outcome for one policy, as an MTA
 * reported it through libtlsrpt (one policy of one collector datagram).
 *
 * Results are what the collector stores and the reporter aggregates into
 * reports.  All strings are owned; result_clear() frees them.
 */
#ifndef TLSRPT_MODEL_RESULT_H
#define TLSRPT_MODEL_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "model/strlist.h"
#include "model/types.h"

/* One failure of one session: the RFC 8460 failure-detail tuple. */
struct result_failure {
	enum result_type type;
	int code;                       /* the sys4 code as received (201…306, 901) */
	char *sending_mta_ip;           /* NULL if absent */
	char *receiving_mx_hostname;
	char *receiving_mx_helo;
	char *receiving_ip;
	char *additional_information;
	char *failure_reason_code;
};

struct result {
	int64_t day;                    /* UTC day number (Unix time / 86400) at receipt */
	char *domain;                   /* "d": recipient domain, lower case, no trailing dot */
	char *tlsrpt_record;            /* "pr": the TLSRPT TXT record the MTA saw, or NULL */
	enum policy_type policy_type;
	char *policy_domain;            /* NULL if the MTA gave none */
	struct strlist policy_string;
	struct strlist mx_host;
	int failed;                     /* "f": 1 if the session failed under this policy */
	struct result_failure *failures;
	size_t n_failures;
};

/* Appends a zeroed failure to r and returns it (borrowed). */
struct result_failure *result_add_failure(struct result *r);

/* Frees what r owns (not r itself); r is zeroed afterwards. */
void result_clear(struct result *r);

/* Returns 1 when a and b hold the same values in every field (strings
 * compared by content, NULL only equal to NULL; failures in order), else
 * 0. */
int result_equal(const struct result *a, const struct result *b);

#endif
