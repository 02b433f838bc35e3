/*
 * auth_secret: the random secrets of `tlsrpt serve` (API tokens, session
 * ids, CSRF tokens) and the SHA-256 under which tokens and session ids are
 * stored (OpenSSL).  A secret is 32 random bytes from RAND_bytes() as 64
 * lower-case hex digits; API tokens get the prefix "tlsrpt_" so that they
 * are recognizable in a leak scan.
 */
#ifndef TLSRPT_AUTH_AUTH_SECRET_H
#define TLSRPT_AUTH_AUTH_SECRET_H

#include <stddef.h>

#include "util/err.h"

#define AUTH_SECRET_HEX 64                 /* hex digits of a secret */
#define AUTH_TOKEN_PREFIX "tlsrpt_"
#define AUTH_TOKEN_LEN (7 + AUTH_SECRET_HEX)

/* Writes a new secret (64 hex digits and NUL) into out.  Returns 0, or
 * -1 with err set when the random source fails. */
int auth_secret_new(char out[AUTH_SECRET_HEX + 1], struct err *err);

/* Writes the SHA-256 of s as 64 hex digits and NUL into out. */
void auth_secret_hash(const char *s, char out[AUTH_SECRET_HEX + 1]);

/* Returns 1 if a and b (NUL-terminated) are equal, comparing in time that
 * depends on their lengths only (CRYPTO_memcmp). */
int auth_secret_equal(const char *a, const char *b);

#endif
