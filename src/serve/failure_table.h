/*
 * failure_table: the failure rows of a query (dataset.h's "failures") as
 * plain C structs, read with two statements of the store
 * (store_view_failures() and store_view_failure_sets()), for the writers
 * of /api/failures (serve_api_failures.c) and for dataset.c.
 *
 * Rows keep the store's order (most failed sessions first), at most
 * DATASET_MAX_ROWS.  Each row's sets (sending IPs, organizations,
 * failure-reason-codes) hold its distinct values sorted in byte order
 * (strcmp(), on every database backend), the first FAILURE_TABLE_MAX_SET
 * of them.  Strings are as stored (report content: untrusted, possibly
 * not UTF-8: failure_text() gives what to show) and owned by the table.
 */
#ifndef TLSRPT_SERVE_FAILURE_TABLE_H
#define TLSRPT_SERVE_FAILURE_TABLE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_reports.h"
#include "util/err.h"

/* The most values kept in one set of a row. */
#define FAILURE_TABLE_MAX_SET 20

/* The sets of a row, in the order the API lists them. */
enum failure_set {
	FAILURE_SET_SENDING_IPS,        /* "sending_ips" */
	FAILURE_SET_ORGANIZATIONS,      /* "organizations" */
	FAILURE_SET_REASON_CODES,       /* "failure_reason_codes" */
	FAILURE_SETS
};

/* One failure group. */
struct failure_row {
	const char *domain;             /* policy domain key; "" none */
	const char *result_type;        /* "" if absent */
	const char *mx;                 /* receiving MX; "" if absent */
	uint64_t sessions;              /* failed sessions ("count") */
	uint64_t reports;               /* distinct reports */
	int64_t first_seen, last_seen;
	const char *additional_information; /* NULL when no report gave one */
	const char *explanation;        /* explain_result_type() */
	const char *fix;                /* explain_fix() */
	const char **set[FAILURE_SETS]; /* n_set[k] values, byte order */
	size_t n_set[FAILURE_SETS];
};

struct failure_table {
	struct failure_row *rows;
	size_t n;
	GStringChunk *strings;          /* every string of the rows */
	GPtrArray *values;              /* the set arrays (freed with the table) */
};

/* Reads the failure rows of q into a new table (release it with
 * failure_table_free()).  Returns NULL with err set on a store error. */
struct failure_table *failure_table_read(struct store *s, const struct report_query *q,
					 struct err *err);

/* Releases t and all it holds; NULL is allowed. */
void failure_table_free(struct failure_table *t);

/* The text to show for a stored string s: s itself when it is valid UTF-8
 * (as jansson checks it), else U+FFFD; "" for NULL. */
const char *failure_text(const char *s);

/* The API member name of set k ("sending_ips", …). */
const char *failure_set_name(enum failure_set k);

#endif
