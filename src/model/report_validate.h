/*
 * report_validate: checks a parsed (or generated) report against RFC 8460
 * and says, in plain words with JSON paths, what is wrong with it.  It
 * complements the parser's quirk list: the parser records what it had to
 * bend to read the report, the validator what the report itself gets wrong.
 */
#ifndef TLSRPT_MODEL_REPORT_VALIDATE_H
#define TLSRPT_MODEL_REPORT_VALIDATE_H

#include "model/report.h"
#include "model/strlist.h"

/* Checks r and appends one line per finding to problems, each
 * "json.path: what is wrong", e.g.
 *   policies[0].policy.policy-type: unregistered value "Testing"
 * Findings the RFC allows but a reader should know about (failure counts
 * adding up to more than the total, missing failure-reason-code where the
 * RFC says SHOULD) start with "note: " and are not counted.  Returns the
 * number of problems (notes excluded).  Never fails; NULL fields and odd
 * values are findings, not crashes. */
int report_validate(const struct report *r, struct strlist *problems);

#endif
