/*
 * dkim_key: the DKIM key record (RFC 6376 §3.6.1) published as TXT at
 * SELECTOR._domainkey.DOMAIN: its tag-list (§3.2) parsed into the tags a
 * signer cares about (v, h, k, p, s, t), and the rules that decide whether
 * a verifier can use the key for a TLSRPT report mail (RFC 8460 §3).
 * Pure: no DNS, no files.  The tag-list walker is record_kv_walk().
 */
#ifndef TLSRPT_MODEL_DKIM_KEY_H
#define TLSRPT_MODEL_DKIM_KEY_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

/* Largest key record parsed, in bytes (a 4096-bit RSA key is ~740). */
#define DKIM_KEY_RECORD_MAX 8192

struct dkim_key {                 /* everything owned; release with dkim_key_clear() */
	int has_version;          /* v=DKIM1 was given (always first) */
	int has_h;                /* h= given: the hash algorithms allowed are in h */
	struct strlist h;
	char *k;                  /* k= key type, or NULL: not given ("rsa") */
	char *p;                  /* p= without FWS; "" for a revoked key; never NULL */
	int has_s;                /* s= given: the service types are in s */
	struct strlist s;
	struct strlist t;         /* t= flags ("y", "s", ...); empty when not given */
};

/*
 * Parses the key record txt (the TXT strings of one RR, concatenated).
 * Unknown tags are ignored (§3.2); colon-separated values (h, s, t) are
 * split and trimmed of FWS.  Fails on a malformed tag-list (a field
 * without '=', a bad tag name or character, an empty field, a tag given
 * twice), on v= other than DKIM1 or not first, on a missing p= and on a
 * p= that is not base64.  Returns 0 with *key_out filled, or -1 with err
 * set (and *key_out empty).
 */
int dkim_key_parse(const char *txt, struct dkim_key *key_out, struct err *err);

/* Releases what key owns and zeroes it; a zeroed key is a no-op. */
void dkim_key_clear(struct dkim_key *key);

/* The key type: k=, or "rsa" when k= was not given.  Borrowed from key. */
const char *dkim_key_type(const struct dkim_key *key);

/* Returns 1 if a verifier may use the key for `service`: no s=, or s=
 * lists "*" or service (RFC 6376 §3.6.1: otherwise it MUST ignore it). */
int dkim_key_allows_service(const struct dkim_key *key, const char *service);

/* Returns 1 if the key may verify signatures made with hash `hash`
 * ("sha256"): no h=, or h= lists it. */
int dkim_key_allows_hash(const struct dkim_key *key, const char *hash);

/* Returns 1 if t= has the flag "y" (the domain is testing DKIM). */
int dkim_key_is_testing(const struct dkim_key *key);

/* Returns 1 if list l holds the string item (case-sensitive), else 0. */
int dkim_key_list_has(const struct strlist *l, const char *item);

/* Joins l with ':' into a new string (caller frees). */
char *dkim_key_list_join(const struct strlist *l);

/*
 * Decodes p= (base64) into a new buffer of *len_out bytes (caller frees
 * with free()): for k=rsa, the DER SubjectPublicKeyInfo.  Returns NULL
 * with err set for a revoked key (empty p=) or undecodable base64.
 */
unsigned char *dkim_key_public_der(const struct dkim_key *key, size_t *len_out, struct err *err);

#endif
