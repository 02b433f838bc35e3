/*
 * types: the registered RFC 8460 values and the one table that maps them
 * to and from their strings (no other file spells "starttls-not-supported").
 */
#ifndef TLSRPT_MODEL_TYPES_H
#define TLSRPT_MODEL_TYPES_H

enum policy_type {
	POLICY_TYPE_UNKNOWN = 0,
	POLICY_TYPE_STS,
	POLICY_TYPE_TLSA,
	POLICY_TYPE_NO_POLICY_FOUND,
};

/* RFC 8460 §4.3 / §6.6, all 11 registered result types. */
enum result_type {
	RESULT_UNKNOWN = 0,
	RESULT_STARTTLS_NOT_SUPPORTED,
	RESULT_CERTIFICATE_HOST_MISMATCH,
	RESULT_CERTIFICATE_EXPIRED,
	RESULT_CERTIFICATE_NOT_TRUSTED,
	RESULT_VALIDATION_FAILURE,
	RESULT_TLSA_INVALID,
	RESULT_DNSSEC_INVALID,
	RESULT_DANE_REQUIRED,
	RESULT_STS_POLICY_FETCH_ERROR,
	RESULT_STS_POLICY_INVALID,
	RESULT_STS_WEBPKI_INVALID,
	RESULT_TYPE_COUNT
};

/* Returns the RFC string ("sts", "tlsa", "no-policy-found"), or NULL for UNKNOWN. */
const char *policy_type_to_string(enum policy_type t);

/* Exact, case-sensitive match; POLICY_TYPE_UNKNOWN when not registered. */
enum policy_type policy_type_from_string(const char *s);

/* Returns the registered string, or NULL for RESULT_UNKNOWN / out of range. */
const char *result_type_to_string(enum result_type t);

/* Exact, case-sensitive match; RESULT_UNKNOWN when not registered. */
enum result_type result_type_from_string(const char *s);

/* Maps a sys4 libtlsrpt failure code (201–205, 301–306) to a result type;
 * RESULT_UNKNOWN for any other code (e.g. 901 internal). */
enum result_type result_type_from_sys4_code(int code);

/* The inverse of result_type_from_sys4_code(); 0 for RESULT_UNKNOWN. */
int result_type_to_sys4_code(enum result_type t);

/* Maps a sys4 policy type number (1 tlsa, 2 sts, 9 no-policy-found). */
enum policy_type policy_type_from_sys4_code(int code);

#endif
