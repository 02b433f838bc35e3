/*
 * sts_policy: the MTA-STS policy file of RFC 8461 §3.2, as served at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt, and MX host matching
 * against its mx patterns (§4.1).  The raw lines are kept: they are the
 * policy-string of an RFC 8460 report (§4.5).
 */
#ifndef TLSRPT_MODEL_STS_POLICY_H
#define TLSRPT_MODEL_STS_POLICY_H

#include <stddef.h>

#include "model/strlist.h"
#include "util/err.h"

#define STS_POLICY_MAX 65536            /* RFC 8461 §3.3 suggests 64 KiB */
#define STS_POLICY_MAX_AGE 31557600     /* RFC 8461 §3.2: at most one year */

enum sts_mode {
	STS_MODE_NONE,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE,
};

struct sts_policy {
	enum sts_mode mode;
	long max_age;                   /* seconds */
	struct strlist mx;              /* mx patterns in order ("mail.example.com", "*.example.net") */
	struct strlist lines;           /* every line as served, without line ends */
};

/*
 * Parses a policy body of len bytes (LF or CRLF line ends).  Returns 0 and
 * fills p (zeroed before), appending non-fatal problems (unknown or
 * repeated keys, blank lines, low max_age) to warnings if not NULL; or -1
 * with err citing the line ("line 3: mode \"enforcing\" is not one of
 * enforce, testing, none").  On -1, p->lines still holds the lines (a report
 * shows an invalid policy verbatim); release with sts_policy_clear().
 * Bodies over STS_POLICY_MAX bytes are refused.
 */
int sts_policy_parse(const char *body, size_t len, struct sts_policy *p,
    struct strlist *warnings, struct err *err);

/*
 * sts_policy_parse() as a sender applies it: a max_age over
 * STS_POLICY_MAX_AGE (up to 10 digits, RFC 8461 §3.2 and erratum 7282) is
 * capped at STS_POLICY_MAX_AGE with a warning instead of refused.
 */
int sts_policy_parse_capped(const char *body, size_t len, struct sts_policy *p,
    struct strlist *warnings, struct err *err);

/* Releases what p owns and zeroes it. */
void sts_policy_clear(struct sts_policy *p);

/* "none", "testing", "enforce". */
const char *sts_mode_name(enum sts_mode m);

/*
 * RFC 8461 §4.1: 1 if host matches pattern, else 0.  Case-insensitive,
 * a trailing dot on either is ignored; "*.example.com" matches exactly one
 * extra left-most label ("mx.example.com", not "example.com" nor
 * "a.b.example.com").
 */
int sts_mx_match(const char *pattern, const char *host);

/* 1 if host matches any of p's mx patterns. */
int sts_policy_allows_mx(const struct sts_policy *p, const char *host);

#endif
