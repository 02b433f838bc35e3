/*
 * tlsrpt_record: the `_smtp._tls.<domain>` TXT record of RFC 8460 §3.
 *
 * record_tlsrpt_parse() reads one TXT RR (its strings already concatenated
 * without spaces, R-3.10) into a list of rua URIs and extension fields;
 * record_tlsrpt_select() applies the "exactly one record" rule to a
 * whole RRset first.  Both are used by the reporter (is there anyone to send
 * to?) and by `tlsrpt check` (what is wrong and how to fix it), so every
 * message names the problem and, where there is one, the fix.
 * Functions are named record_tlsrpt_* because tlsrpt_* is reserved for lib/.
 */
#ifndef TLSRPT_MODEL_TLSRPT_RECORD_H
#define TLSRPT_MODEL_TLSRPT_RECORD_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

/* Longest record accepted: a TXT RR's RDATA is at most 65535 bytes. */
#define TLSRPT_RECORD_MAX 65535
/* Most rua URIs kept from one record; more is an error. */
#define TLSRPT_RECORD_MAX_RUA 64

enum rua_scheme {
	RUA_MAILTO,     /* mailto: (RFC 6068); address is set */
	RUA_HTTPS,      /* https: URL; host is set */
	RUA_OTHER,      /* any other scheme: not a usable destination */
};

struct rua {
	enum rua_scheme scheme;
	char *uri;      /* as published, owned */
	char *address;  /* RUA_MAILTO: %-decoded addr-spec ("tls+rpt@example.com"), owned; else NULL */
	char *host;     /* RUA_MAILTO: the address's domain; RUA_HTTPS: the URL's host; owned; else NULL */
};

struct tlsrpt_record {
	struct rua *rua;        /* every URI of every rua= field, in order, owned */
	size_t n_rua;
	size_t n_usable;        /* how many are RUA_MAILTO or RUA_HTTPS */
	struct strlist extensions; /* unknown fields, "name=value", in order */
};

/*
 * Parses one TLSRPT record (R-3.2 .. .. ).
 * On success returns 0 and fills rec (which must be zeroed or cleared
 * before); problems that do not make the record unusable (space before ';',
 * repeated rua=, unsupported URI schemes next to a usable one, long or odd
 * extension names) are appended to warnings, one line each, if warnings is
 * not NULL.  Returns -1 and sets err when the record is not a TLSRPT
 * record or is invalid (no rua, bad URI, no mailto:/https: destination);
 * rec is then empty.  The message says what is wrong and the fix, e.g.
 * "rua URI 2 \"b@example.com\" has no scheme: encode ',' inside a URI as %2C".
 * A warning that has a fix ends in ": <fix>" (after its last ": ").
 * txt longer than TLSRPT_RECORD_MAX is refused.
 */
int record_tlsrpt_parse(const char *txt, struct tlsrpt_record *rec,
    struct strlist *warnings, struct err *err);

/*
 * Returns 1 if txt starts like a TLSRPT record ("v=TLSRPTv1" followed by
 * optional spaces/tabs and ';', or by nothing), else 0.  Records that do not
 * are discarded before counting.
 */
int record_tlsrpt_is_candidate(const char *txt);

/*
 * from the n TXT RRs at _smtp._tls.<domain> (each one's strings
 * concatenated), discards those that are not candidates; if exactly one is
 * left, parses it as record_tlsrpt_parse() does and returns 0.  If none or
 * several are left, or the one left is invalid, returns -1 with err saying
 * so (the domain is then treated as not implementing TLSRPT).
 * If chosen is not NULL it receives the index of the record used (or of the
 * invalid one), or -1 when the count was not one.
 */
int record_tlsrpt_select(const char *const *txts, size_t n,
    struct tlsrpt_record *rec, struct strlist *warnings, int *chosen,
    struct err *err);

/* Releases what rec owns and zeroes it. */
void record_tlsrpt_clear(struct tlsrpt_record *rec);

#endif
