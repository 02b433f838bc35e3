/*
 * serve_api_failures: GET /api/failures?… (JSON) and ?format=csv: the
 * failure rows of the query (failure_table.h) written straight into the
 * response body, with no JSON tree in between.  The text is what
 * serve_send_json() would give for the dataset's "failures"
 * (dataset.h): jansson's compact form with every non-ASCII character
 * escaped.  A string of printable ASCII without '"' or '\' (almost every
 * domain, MX, IP and code) is copied as it is; any other goes through
 * json_dumps() of a JSON string, so the escaping is jansson's.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/failure_table.h"
#include "serve/serve_api_util.h"
#include "serve/serve_private.h"
#include "util/buf.h"

/* The largest answer written (5000 rows with full sets stay far below). */
#define FAILURES_BODY_MAX (256u << 20)

/* Appends s as a JSON string (failure_text(): U+FFFD when not UTF-8). */
static int
json_text(struct buf *b, const char *s)
{
	const unsigned char *p;
	json_t *v;
	char *text;
	int rc;

	s = failure_text(s);
	for (p = (const unsigned char *)s; *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
	     p++)
		;
	if (*p == '\0')
		return buf_append(b, "\"", 1) | buf_append(b, s, (size_t)(p -
			(const unsigned char *)s)) | buf_append(b, "\"", 1);
	v = json_string(s);
	text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
	rc = text != NULL ? buf_append_str(b, text) : -1;
	free(text);
	json_decref(v);
	return rc;
}

/* Appends ,"name": and the string s. */
static int
json_member(struct buf *b, const char *name, const char *s)
{
	return buf_printf(b, ",\"%s\":", name) | json_text(b, s);
}

static int
json_row(struct buf *b, const struct failure_row *f)
{
	int rc = buf_append_str(b, "{\"domain\":") | json_text(b, f->domain) |
		json_member(b, "result_type", f->result_type) | json_member(b, "mx", f->mx) |
		buf_printf(b, ",\"count\":%llu,\"reports\":%llu,\"first_seen\":%lld,"
			   "\"last_seen\":%lld", (unsigned long long)f->sessions,
			   (unsigned long long)f->reports, (long long)f->first_seen,
			   (long long)f->last_seen) |
		json_member(b, "explanation", f->explanation) | json_member(b, "fix", f->fix);
	size_t k, j;

	if (f->additional_information != NULL)
		rc |= json_member(b, "additional_information", f->additional_information);
	for (k = 0; k < FAILURE_SETS; k++) {
		if (f->n_set[k] == 0)
			continue;
		rc |= buf_printf(b, ",\"%s\":[", failure_set_name((enum failure_set)k));
		for (j = 0; j < f->n_set[k]; j++)
			rc |= (j > 0 ? buf_append(b, ",", 1) : 0) | json_text(b, f->set[k][j]);
		rc |= buf_append(b, "]", 1);
	}
	return rc | buf_append(b, "}", 1);
}

/* {"query":…,"failures":[…]} */
static int
write_json(struct buf *b, const struct report_query *q, const struct failure_table *t)
{
	json_t *query = serve_query_json(q);
	char *text = json_dumps(query, JSON_COMPACT | JSON_ENSURE_ASCII);
	int rc = text != NULL ? buf_printf(b, "{\"query\":%s,\"failures\":[", text) : -1;
	size_t i;

	free(text);
	json_decref(query);
	for (i = 0; i < t->n && rc == 0; i++)
		rc = (i > 0 ? buf_append(b, ",", 1) : 0) | json_row(b, &t->rows[i]);
	return rc | buf_append(b, "]}", 2);
}

/* The cell of set k of f: its values joined with spaces. */
static int
csv_set(struct buf *b, const struct failure_row *f, enum failure_set k)
{
	GString *s = g_string_new(NULL);
	size_t j;
	int rc;

	for (j = 0; j < f->n_set[k]; j++) {
		if (j > 0)
			g_string_append_c(s, ' ');
		g_string_append(s, failure_text(f->set[k][j]));
	}
	rc = serve_csv_cell(b, s->str, 0);
	g_string_free(s, TRUE);
	return rc;
}

static int
write_csv(struct buf *b, const struct failure_table *t)
{
	static const char *const cols[] = { "domain", "result_type", "mx", "count", "reports",
		"first_seen", "last_seen", "sending_ips", "organizations",
		"failure_reason_codes", "additional_information", "explanation", "fix" };
	const size_t n = sizeof(cols) / sizeof(cols[0]);
	char num[4][24];
	size_t i, k;
	int rc = 0;

	for (k = 0; k < n; k++)
		rc |= serve_csv_cell(b, cols[k], k + 1 == n);
	for (i = 0; i < t->n && rc == 0; i++) {
		const struct failure_row *f = &t->rows[i];

		snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)f->sessions);
		snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)f->reports);
		snprintf(num[2], sizeof(num[2]), "%lld", (long long)f->first_seen);
		snprintf(num[3], sizeof(num[3]), "%lld", (long long)f->last_seen);
		rc |= serve_csv_cell(b, failure_text(f->domain), 0) |
			serve_csv_cell(b, failure_text(f->result_type), 0) |
			serve_csv_cell(b, failure_text(f->mx), 0);
		for (k = 0; k < 4; k++)
			rc |= serve_csv_cell(b, num[k], 0);
		for (k = 0; k < FAILURE_SETS; k++)
			rc |= csv_set(b, f, (enum failure_set)k);
		rc |= serve_csv_cell(b, f->additional_information != NULL ?
				     failure_text(f->additional_information) : "", 0) |
			serve_csv_cell(b, f->explanation, 0) |
			serve_csv_cell(b, failure_text(f->fix), 1);
	}
	return rc;
}

int
serve_api_failures(struct store *st, const struct http_request *req,
		   const struct report_query *q, struct http_response *resp, struct err *err)
{
	struct failure_table *t = failure_table_read(st, q, err);
	int csv = serve_want_csv(req), rc;
	struct buf b;

	if (t == NULL)
		return -1;
	buf_init(&b, FAILURES_BODY_MAX);
	rc = csv ? write_csv(&b, t) : write_json(&b, q, t);
	if (rc != 0)
		serve_send_error(resp, 500, "the answer is too large");
	else
		http_response_bytes(resp, 200, csv ? "text/csv; charset=utf-8" :
				    "application/json", b.data != NULL ? b.data : "", b.len);
	buf_free(&b);
	failure_table_free(t);
	return 0;
}
