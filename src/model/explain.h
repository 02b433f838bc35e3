/*
 * explain: plain-language text for TLSRPT result types, for people who
 * own a domain and read a summary or alert: what the failure means (one
 * sentence) and what to do about it (a concrete fix).  Text only; no
 * formatting, no I/O.
 */
#ifndef TLSRPT_MODEL_EXPLAIN_H
#define TLSRPT_MODEL_EXPLAIN_H

#include "model/types.h"

/* Returns one sentence saying what result type t means (static text; never
 * NULL; RESULT_UNKNOWN and out-of-range values get the text for an
 * unregistered type). */
const char *explain_result_type(enum result_type t);

/* Returns a concrete fix for the domain owner, naming the MX host mx and
 * the policy domain where it helps; either may be NULL or "" and generic
 * words ("the MX host", "your domain") are used instead.  New string;
 * caller frees with free().  Names longer than 253 bytes are cut. */
char *explain_fix(enum result_type t, const char *mx, const char *domain);

/* Returns one sentence saying what policy type t means for the domain
 * owner (static text, never NULL). */
const char *explain_policy_type(enum policy_type t);

#endif
