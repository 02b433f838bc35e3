/*
 * report_json_direct: report_write_json() without a jansson tree, for the
 * forms that need none (compact, no extra members to merge).  Its output
 * is byte for byte what the jansson writer gives (jansson's json_dumps()
 * escaping and compact separators): the store keys a report's content
 * digest on it (store_conflicts.h), so digests of reports stored by older
 * versions still match.  tests/unit/model/test_corpus_json.c compares the
 * two over the corpus.  Internal to src/model and the store; not an API.
 */
#ifndef TLSRPT_MODEL_REPORT_JSON_DIRECT_H
#define TLSRPT_MODEL_REPORT_JSON_DIRECT_H

#include "model/report.h"
#include "util/buf.h"

/* report_write_json(r, flags) written directly; NULL when flags or r need
 * the jansson writer: REPORT_JSON_PRETTY, or REPORT_JSON_KEEP_EXTRA with
 * an extra_json anywhere in r. */
char *report_write_json_direct(const struct report *r, unsigned flags);

/* report_write_json(r, flags) through a jansson tree, whatever the flags
 * (what report_write_json() falls back on; the tests compare the two). */
char *report_write_json_tree(const struct report *r, unsigned flags);

/* Appends s (NUL-terminated) to b as a JSON string, escaped as jansson's
 * json_dumps() does without flags: '"', '\\' and the control characters
 * below U+0020 (\b \f \n \r \t, else \u00XX in upper-case hex); the rest,
 * UTF-8 included, as is.  replace_invalid: a byte that starts no valid
 * UTF-8 sequence is written as U+FFFD (as report_write_json() does);
 * otherwise it makes the call return -1 (b then holds a partial string).
 * Returns 0 or -1.  b's maximum must leave room (6 bytes per input byte
 * at worst); a failed append is reported as -1 too. */
int json_direct_append_string(struct buf *b, const char *s, int replace_invalid);

#endif
