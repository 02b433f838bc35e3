/*
 * sts_record: the `_mta-sts.<domain>` TXT record of RFC 8461 §3.1
 * ("v=STSv1; id=20240101T000000").  Used by `tlsrpt check` (and by any
 * sender-side MTA-STS code) to decide whether a domain announces a policy.
 */
#ifndef TLSRPT_MODEL_STS_RECORD_H
#define TLSRPT_MODEL_STS_RECORD_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

#define STS_RECORD_MAX 65535    /* longest record accepted (one TXT RR) */
#define STS_ID_MAX 32           /* RFC 8461 §3.1: id = 1*32(ALPHA / DIGIT) */

struct sts_record {
	char *id;                       /* owned */
	struct strlist extensions;      /* "name=value", in order */
};

/*
 * Parses one _mta-sts TXT record.  Returns 0 and fills rec (zeroed before),
 * appending non-fatal problems (space before ';', odd extensions, repeated
 * id) to warnings if not NULL; or -1 with err naming the problem and fix
 * (not v=STSv1 first, no id, id not 1-32 letters/digits).
 */
int record_sts_parse(const char *txt, struct sts_record *rec,
    struct strlist *warnings, struct err *err);

/* 1 if txt starts with "v=STSv1" followed by optional spaces and ';' or nothing. */
int record_sts_is_candidate(const char *txt);

/*
 * RFC 8461 §3.1: discards RRs that are not candidates; exactly one must be
 * left, and it must parse.  Returns 0 (rec filled) or -1 with err.
 * *chosen (if not NULL) receives the index used, or -1.
 */
int record_sts_select(const char *const *txts, size_t n, struct sts_record *rec,
    struct strlist *warnings, int *chosen, struct err *err);

/* Releases what rec owns and zeroes it. */
void record_sts_clear(struct sts_record *rec);

#endif
