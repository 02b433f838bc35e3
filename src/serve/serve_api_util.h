/*
 * serve_api_util: what the API routes share (serve_api_util.c): query
 * arguments, domains with their U-label, CSV answers.
 */
#ifndef TLSRPT_SERVE_SERVE_API_UTIL_H
#define TLSRPT_SERVE_SERVE_API_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http_server.h"
#include "util/buf.h"
#include "util/err.h"

/* The rows of a page when limit= is absent, and the most it may ask. */
#define SERVE_API_PAGE_DEFAULT 50
#define SERVE_API_PAGE_MAX 5000

/* Parses the unsigned query argument name of req into *v: def when it is
 * absent or empty.  Returns 0, or -1 (err set, naming the argument) when it
 * is not a decimal number from 0 to max. */
int serve_arg_uint(const struct http_request *req, const char *name, uint64_t def,
		   uint64_t max, uint64_t *v, struct err *err);

/* Whether req asks for format=csv. */
int serve_want_csv(const struct http_request *req);

/* The U-label form of the A-label domain (a new string), or NULL when it
 * is the same, NULL or not a valid IDN. */
char *serve_unicode_of(const char *domain);

/* Sets "domain" of o to domain ("" when NULL) and, when it is an IDN whose
 * U-label differs, "domain_unicode" to that U-label. */
void serve_set_domain(json_t *o, const char *domain);

/* Appends v (NULL: "") to b as one quoted CSV cell, a quote inside
 * doubled, followed by "," or, when last, by CRLF.  A cell a spreadsheet
 * would take for a formula (starting with = + - @ TAB CR) gets an
 * apostrophe first.  Returns 0, or -1 when b reached its maximum. */
int serve_csv_cell(struct buf *b, const char *v, int last);

/* Answers 200 with the array of objects rows as CSV (RFC 4180, CRLF): a
 * header line of cols, then per row the members cols[0..n-1] (integers,
 * reals with six decimals, strings, arrays of strings joined with spaces;
 * anything else empty).  A cell a spreadsheet would take for a formula
 * gets an apostrophe first. */
void serve_send_csv(struct http_response *resp, json_t *rows, const char *const *cols,
		    size_t n);

#endif
