/*
 * netstring: the framing of Postfix's socketmap protocol
 * (http://cr.yp.to/proto/netstrings.txt): "<length>:<bytes>,", the length
 * in decimal.  A small bounded codec: the decoder never reads past the
 * bytes it is given, refuses lengths over a caller's maximum before any
 * payload arrives, and says "need more" for a prefix of a valid netstring,
 * so a server can feed it whatever read() returned.
 */
#ifndef TLSRPT_POLICYD_NETSTRING_H
#define TLSRPT_POLICYD_NETSTRING_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Digits of the longest length accepted by netstring_decode(). */
#define NETSTRING_MAX_DIGITS 9

/*
 * Looks for one netstring at the start of in[0..len).  Returns 1 when a
 * whole one is there: *payload points into in (borrowed), *plen is its
 * length and *consumed the bytes it took with its framing.  Returns 0 when
 * in is a proper prefix of a netstring of at most max bytes (read more).
 * Returns -1 with err set when in cannot start such a netstring: a
 * non-digit before ':', a leading zero, a length over max, no ',' after
 * the payload.
 */
int netstring_decode(const char *in, size_t len, size_t max, const char **payload,
    size_t *plen, size_t *consumed, struct err *err);

/* Appends the netstring of data[0..len) to out.  Returns 0, or -1 when
 * out's maximum would be passed (out is then unchanged). */
int netstring_encode(struct buf *out, const char *data, size_t len);

#endif
