/* types: the single string table for RFC 8460 registered values (types.h). */
#include "model/types.h"

#include <stddef.h>
#include <string.h>

static const struct {
	enum result_type type;
	const char *name;
	int sys4_code;
} result_table[] = {
	{ RESULT_STARTTLS_NOT_SUPPORTED, "starttls-not-supported", 201 },
	{ RESULT_CERTIFICATE_HOST_MISMATCH, "certificate-host-mismatch", 202 },
	{ RESULT_CERTIFICATE_NOT_TRUSTED, "certificate-not-trusted", 203 },
	{ RESULT_CERTIFICATE_EXPIRED, "certificate-expired", 204 },
	{ RESULT_VALIDATION_FAILURE, "validation-failure", 205 },
	{ RESULT_STS_POLICY_FETCH_ERROR, "sts-policy-fetch-error", 301 },
	{ RESULT_STS_POLICY_INVALID, "sts-policy-invalid", 302 },
	{ RESULT_STS_WEBPKI_INVALID, "sts-webpki-invalid", 303 },
	{ RESULT_TLSA_INVALID, "tlsa-invalid", 304 },
	{ RESULT_DNSSEC_INVALID, "dnssec-invalid", 305 },
	{ RESULT_DANE_REQUIRED, "dane-required", 306 },
};

#define N_RESULTS (sizeof(result_table) / sizeof(result_table[0]))

const char *
policy_type_to_string(enum policy_type t)
{
	switch (t) {
	case POLICY_TYPE_STS:
		return "sts";
	case POLICY_TYPE_TLSA:
		return "tlsa";
	case POLICY_TYPE_NO_POLICY_FOUND:
		return "no-policy-found";
	default:
		return NULL;
	}
}

enum policy_type
policy_type_from_string(const char *s)
{
	for (int t = POLICY_TYPE_STS; t <= POLICY_TYPE_NO_POLICY_FOUND; t++)
		if (s != NULL && strcmp(s, policy_type_to_string((enum policy_type)t)) == 0)
			return (enum policy_type)t;
	return POLICY_TYPE_UNKNOWN;
}

const char *
result_type_to_string(enum result_type t)
{
	for (size_t i = 0; i < N_RESULTS; i++)
		if (result_table[i].type == t)
			return result_table[i].name;
	return NULL;
}

enum result_type
result_type_from_string(const char *s)
{
	for (size_t i = 0; s != NULL && i < N_RESULTS; i++)
		if (strcmp(s, result_table[i].name) == 0)
			return result_table[i].type;
	return RESULT_UNKNOWN;
}

enum result_type
result_type_from_sys4_code(int code)
{
	for (size_t i = 0; i < N_RESULTS; i++)
		if (result_table[i].sys4_code == code)
			return result_table[i].type;
	return RESULT_UNKNOWN;
}

int
result_type_to_sys4_code(enum result_type t)
{
	for (size_t i = 0; i < N_RESULTS; i++)
		if (result_table[i].type == t)
			return result_table[i].sys4_code;
	return 0;
}

enum policy_type
policy_type_from_sys4_code(int code)
{
	switch (code) {
	case 1:
		return POLICY_TYPE_TLSA;
	case 2:
		return POLICY_TYPE_STS;
	case 9:
		return POLICY_TYPE_NO_POLICY_FOUND;
	default:
		return POLICY_TYPE_UNKNOWN;
	}
}
