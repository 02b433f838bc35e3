/*
 * auth_password: password hashes with crypt(3) from libxcrypt.  New
 * hashes are yescrypt ("$y$", libxcrypt's default cost, salt from the
 * kernel's random source through crypt_gensalt_ra()); stored bcrypt
 * hashes ("$2b$", "$2y$", "$2a$") are accepted too.  The password itself
 * is never kept: the caller wipes its copy.
 */
#ifndef TLSRPT_AUTH_AUTH_PASSWORD_H
#define TLSRPT_AUTH_AUTH_PASSWORD_H

#include <stddef.h>

#include "util/err.h"

/* Longest password accepted (yescrypt takes any length; this bounds the
 * work and the buffers). */
#define AUTH_PASSWORD_MAX 1024
/* Shortest password `tlsrpt user` accepts. */
#define AUTH_PASSWORD_MIN 8

/* Hashes password with yescrypt and a fresh salt.  Returns a new crypt
 * string (caller frees) or NULL with err set. */
char *auth_password_hash(const char *password, struct err *err);

/* Returns 1 if hash names a method accepted here (yescrypt or bcrypt). */
int auth_password_hash_supported(const char *hash);

/* Returns 1 if password matches hash (compared in constant time), 0 if
 * not or if hash is not a supported crypt string.  Costs one hashing
 * whatever the outcome (a missing user is checked against a dummy hash
 * by the caller, so timing does not tell which names exist). */
int auth_password_verify(const char *password, const char *hash);

/* A valid yescrypt hash of a random password nobody knows: verify a
 * login for an unknown user against it to spend the same time. */
extern const char auth_password_dummy_hash[];

#endif
