/*
 * datagram_scan: reads a datagram's JSON with yajl's callback parser
 * (no tree) into the few members the collector uses (struct dg_doc);
 * datagram.c checks them and makes the results.
 *
 * As strict as jansson's json_loadb(…, JSON_REJECT_DUPLICATES): a member
 * name twice in one object, an integer outside int64_t, a real that
 * overflows a double, nesting deeper than 2048, "\u0000", an unpaired
 * UTF-16 surrogate escape and a raw \v or \f (whitespace to yajl, not to
 * JSON) are all "not JSON".  Integers are read exactly from their digits.
 */
#ifndef TLSRPT_COLLECTOR_DATAGRAM_SCAN_H
#define TLSRPT_COLLECTOR_DATAGRAM_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "model/strlist.h"

/* The JSON type of a member (DG_ABSENT: not there). */
enum dg_type { DG_ABSENT, DG_NULL, DG_BOOL, DG_INT, DG_REAL, DG_STRING, DG_ARRAY, DG_OBJECT };

/* One member's value: its type, the integer (DG_INT) or the string
 * (DG_STRING, owned, NUL-terminated; JSON strings here hold no NUL). */
struct dg_val {
	enum dg_type type;
	int64_t i;
	char *s;
};

/* An array-of-strings member ("policy-string", "mx-host"). */
struct dg_strings {
	enum dg_type type;      /* of the member itself */
	int bad_element;        /* an element is not a string */
	struct strlist l;       /* the string elements, in order */
};

/* One element of "failure-details". */
struct dg_failure {
	int is_object;
	struct dg_val c;
	struct dg_val str[6];   /* "s", "n", "h", "r", "a", "f" */
};

/* One element of "policies". */
struct dg_policy {
	int is_object;
	struct dg_val type, final, domain, t;   /* "policy-type", "f", "policy-domain", "t" */
	struct dg_strings pstring, mx;          /* "policy-string", "mx-host" */
	enum dg_type fd_type;                   /* "failure-details" */
	struct dg_failure *fv;
	size_t nf, fcap;
};

/* What the collector reads of a datagram. */
struct dg_doc {
	int root_is_object;
	struct dg_val dpv, d, pr;
	enum dg_type pol_type;                  /* "policies" */
	struct dg_policy *pv;
	size_t np, pcap;
};

/* The names of dg_failure.str[], in order. */
extern const char *const dg_failure_keys[6];

/* Parses data[0..len) into *doc (zeroed first).  Returns 0 when it is
 * JSON (whatever its shape), -1 when it is not: then err_msg (of size
 * err_cap) says why and *doc may hold part of it.  dg_doc_free() either
 * way. */
int dg_scan(const char *data, size_t len, struct dg_doc *doc, char *err_msg, size_t err_cap);

/* Frees what *doc holds; it is zeroed. */
void dg_doc_free(struct dg_doc *doc);

#endif
