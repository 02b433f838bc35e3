/*
 * serve_api_util: what the API routes of serve_api_views.c and
 * serve_api_domains.c share: query arguments, domains with their U-label,
 * CSV answers.
 */
#include "serve/serve_api_util.h"

#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

#define CSV_MAX (64u << 20)

/* Parses an unsigned query argument into *v (def when absent). */
int
serve_arg_uint(const struct http_request *req, const char *name, uint64_t def, uint64_t max,
	 uint64_t *v, struct err *err)
{
	const char *a = req->get_query(req, name);
	char *end = NULL;
	unsigned long long n;

	*v = def;
	if (a == NULL || *a == '\0')
		return 0;
	n = strtoull(a, &end, 10);
	if (*a < '0' || *a > '9' || *end != '\0' || n > max) {
		err_set(err, "%s: expected a number from 0 to %llu", name,
			(unsigned long long)max);
		return -1;
	}
	*v = n;
	return 0;
}

int
serve_want_csv(const struct http_request *req)
{
	const char *f = req->get_query(req, "format");

	return f != NULL && strcmp(f, "csv") == 0;
}

char *
serve_unicode_of(const char *domain)
{
	char *u = NULL, *out;

	if (domain == NULL || strstr(domain, "xn--") == NULL)
		return NULL;
	if (idn2_to_unicode_8z8z(domain, &u, 0) != IDN2_OK || u == NULL)
		return NULL;
	out = strcmp(u, domain) != 0 ? xstrdup(u) : NULL;
	idn2_free(u);
	return out;
}

void
serve_set_domain(json_t *o, const char *domain)
{
	char *u = serve_unicode_of(domain);

	json_object_set_new(o, "domain", json_string(domain != NULL ? domain : ""));
	if (u != NULL)
		json_object_set_new(o, "domain_unicode", json_string(u));
	free(u);
}

/* ---- CSV ---------------------------------------------------------------- */

int
serve_csv_cell(struct buf *b, const char *v, int last)
{
	const char *p, *q;
	int rc = 0;

	v = v != NULL ? v : "";
	rc |= buf_append(b, "\"", 1);
	if (strchr("=+-@\t\r", *v) != NULL && *v != '\0')
		rc |= buf_append(b, "'", 1);     /* not a formula in a spreadsheet */
	for (p = v; (q = strchr(p, '"')) != NULL; p = q + 1)
		rc |= buf_append(b, p, (size_t)(q - p + 1)) |
		      buf_append(b, "\"", 1);   /* a quote is doubled */
	rc |= buf_append_str(b, p);
	rc |= buf_append_str(b, last ? "\"\r\n" : "\",");
	return rc != 0 ? -1 : 0;
}

/* Writes the array of objects rows as CSV with the given columns (members
 * of each row; numbers and strings; lists joined with spaces). */
void
serve_send_csv(struct http_response *resp, json_t *rows, const char *const *cols, size_t n)
{
	struct buf b;
	size_t i, k;
	json_t *row;
	char num[32];

	buf_init(&b, CSV_MAX);
	for (k = 0; k < n; k++)
		serve_csv_cell(&b, cols[k], k + 1 == n);
	json_array_foreach(rows, i, row) {
		for (k = 0; k < n; k++) {
			json_t *v = json_object_get(row, cols[k]);
			char *text = NULL;

			if (json_is_integer(v)) {
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				serve_csv_cell(&b, num, k + 1 == n);
				continue;
			}
			if (json_is_real(v)) {
				snprintf(num, sizeof(num), "%.6f", json_real_value(v));
				serve_csv_cell(&b, num, k + 1 == n);
				continue;
			}
			if (json_is_array(v)) {
				struct buf l;
				size_t j;
				json_t *e;

				buf_init(&l, 1 << 20);
				json_array_foreach(v, j, e) {
					if (j > 0)
						buf_append(&l, " ", 1);
					buf_append_str(&l, json_is_string(e) ? json_string_value(e) : "");
				}
				text = buf_steal(&l, NULL);
			}
			serve_csv_cell(&b, text != NULL ? text : json_string_value(v), k + 1 == n);
			free(text);
		}
	}
	http_response_bytes(resp, 200, "text/csv; charset=utf-8", b.data, b.len);
	buf_free(&b);
}
