/*
 * dns_rdata: turns the RDATA libunbound returns (names uncompressed) into
 * the presentation fields of struct dns_answer.  Used by dns.c only; kept
 * apart so the decoders can be unit-tested with byte arrays.
 */
#ifndef TLSRPT_NET_DNS_RDATA_H
#define TLSRPT_NET_DNS_RDATA_H

#include <stddef.h>

#include "net/dns.h"

/*
 * Decodes one RR's RDATA of the given type and appends it to ans->rr (and
 * ans->mx / ans->tlsa).  TXT: the character-strings concatenated without
 * spaces; a NUL byte inside becomes 0x7f so the C string keeps its
 * length (no valid record holds either).  Malformed RDATA is skipped.
 */
void dns_rdata_decode(struct dns_answer *ans, int type, const unsigned char *d, size_t len);

/* Sorts ans->mx by preference then host name, and rewrites ans->rr to match. */
void dns_rdata_sort_mx(struct dns_answer *ans);

/* Decodes an uncompressed wire-format name at d[0..len) into dotted text
 * without the trailing dot ("" for the root); bytes other than printable
 * ASCII, '.' and '\\' inside a label become \DDD.  Sets *used to the bytes
 * read.  Returns a new string or NULL if malformed. */
char *dns_rdata_name(const unsigned char *d, size_t len, size_t *used);

#endif
