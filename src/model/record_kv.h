/*
 * record_kv: what the `v=…; key=value; …` TXT records share: the TLSRPT
 * record (RFC 8460 §3), the MTA-STS record (RFC 8461 §3.1) and the DKIM
 * key record's tag-list (RFC 6376 §3.2).  For the first two the version
 * literal is exact and first; WSP before the first ';' is accepted
 * (erratum 6285) and reported so the checker can warn about it.  A DKIM
 * tag-list has no fixed prefix (v= is optional): record_kv_walk().
 */
#ifndef TLSRPT_MODEL_RECORD_KV_H
#define TLSRPT_MODEL_RECORD_KV_H

#include <stddef.h>

#include "model/strlist.h"

/* Returns 1 if txt starts with `version` (case-sensitive) followed by
 * optional WSP and then ';' or the end of the text, else 0. */
int record_kv_is_candidate(const char *txt, const char *version);

/* Returns how many of the n texts are candidates for `version`; *which is
 * set to the index of the last one (unchanged when there is none). */
size_t record_kv_count(const char *const *txts, size_t n, const char *version,
		       size_t *which);

/* Called once per field after the version, trimmed of WSP: s[0..n), at
 * byte `offset` of the record; n == 0 for an empty field (";;").  Returns 0
 * to go on, non-zero to stop (record_kv_fields() returns that value). */
typedef int (*record_kv_field_fn)(void *ctx, const char *s, size_t n, size_t offset);

/* Walks the fields of a candidate record txt (record_kv_is_candidate() is
 * true).  *space_before_semicolon is set to 1 when WSP stands between the
 * version and the first ';'.  Returns 0, or the first non-zero fn value. */
int record_kv_fields(const char *txt, const char *version, record_kv_field_fn fn, void *ctx,
		     int *space_before_semicolon);

/* Walks every field of txt from its first byte, as record_kv_fields()
 * does after the version: fields are split on ';' and trimmed of WSP; a
 * ';' at the end (then only WSP) ends the list without an empty field.
 * Returns 0, or the first non-zero fn value. */
int record_kv_walk(const char *txt, record_kv_field_fn fn, void *ctx);

/* Adds msg (owned, taken) to warnings, or frees it when warnings is NULL. */
void record_kv_warn(struct strlist *warnings, char *msg);

#endif
