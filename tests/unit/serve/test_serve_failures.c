/* Unit tests for serve/serve_api_failures, serve/failure_table and
 * serve_csv_cell(): CSV cells quote as RFC 4180 says; /api/failures
 * written without a JSON tree is byte for byte what jansson writes for the
 * same content, its sets hold the first 20 distinct values in byte order,
 * and its CSV form has the same rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "fake_request.h"
#include "serve/serve.h"
#include "serve/serve_api_util.h"
#include "serve_fixture.h"
#include "util/buf.h"
#include "util/xalloc.h"

static void
test_csv_cell(void **state)
{
	static const struct {
		const char *in;
		int last;
		const char *want;
	} cases[] = {
		{ "plain", 0, "\"plain\"," },
		{ "plain", 1, "\"plain\"\r\n" },
		{ NULL, 0, "\"\"," },
		{ "", 1, "\"\"\r\n" },
		{ "a\"b", 0, "\"a\"\"b\"," },
		{ "end\"", 0, "\"end\"\"\"," },
		{ "\"", 0, "\"\"\"\"," },
		{ "\"\"x\"", 1, "\"\"\"\"\"x\"\"\"\r\n" },
		{ "=1+1", 0, "\"'=1+1\"," },
		{ "-2", 0, "\"'-2\"," },
		{ "@x\"", 0, "\"'@x\"\"\"," },
		{ "\tx", 0, "\"'\tx\"," },
		{ "a,b\r\nc", 0, "\"a,b\r\nc\"," },
		{ "\xc3\xbc", 0, "\"\xc3\xbc\"," },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		assert_int_equal(serve_csv_cell(&b, cases[i].in, cases[i].last), 0);
		assert_string_equal(b.data, cases[i].want);
		buf_free(&b);
	}
}

/* ---- /api/failures over a store ------------------------------------------- */

static int
setup(void **state)
{
	return open_serve_setup(state, "serve-failures");
}

/* Answers one request; returns the status, the body in *out. */
static unsigned
run(struct open_serve_fixture *fx, struct fake *f, char **out)
{
	struct http_response resp;
	unsigned st;

	http_response_init(&resp);
	serve_handle_both(fx->app, &f->req, &resp);
	st = resp.status;
	*out = xstrdup(resp.body.data != NULL ? resp.body.data : "");
	http_response_cleanup(&resp);
	return st;
}

/* One failure detail of the reports stored. */
struct detail {
	const char *org, *mx, *ip, *code, *info;
};

/* Stores a report of org for example.com on day (2024-03-01 + day) with
 * one failure detail. */
static void
store(struct open_serve_fixture *fx, const struct detail *d, int day, int n)
{
	char start[32], end[32], id[32];
	json_t *r;
	char *text, *out;
	struct fake f;

	snprintf(start, sizeof(start), "2024-03-%02dT00:00:00Z", 1 + day);
	snprintf(end, sizeof(end), "2024-03-%02dT23:59:59Z", 1 + day);
	snprintf(id, sizeof(id), "fail-%d", n);
	r = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:[{s:{s:s, s:s}, s:{s:i, s:i},"
		      " s:[{s:s, s:s, s:s, s:s, s:i, s:s}]}]}",
		"organization-name", d->org, "date-range", "start-datetime", start,
		"end-datetime", end, "contact-info", "x@example.net", "report-id", id,
		"policies", "policy", "policy-type", "sts", "policy-domain", "example.com",
		"summary", "total-successful-session-count", 5,
		"total-failure-session-count", 1, "failure-details", "result-type",
		"certificate-expired", "receiving-mx-hostname", d->mx, "sending-mta-ip", d->ip,
		"failure-reason-code", d->code, "failed-session-count", 1,
		"additional-information", d->info);
	assert_non_null(r);
	text = json_dumps(r, JSON_COMPACT);
	fake_init(&f, "POST", "/tlsrpt", text, strlen(text));
	f.headers[0][0] = "Content-Type";
	f.headers[0][1] = "application/tlsrpt+json";
	assert_int_equal(run(fx, &f, &out), 200);
	free(out);
	free(text);
	json_decref(r);
}

/* GET /api/failures (csv: ?format=csv), since= when since is set. */
static char *
failures(struct open_serve_fixture *fx, int csv, const char *since)
{
	struct fake f;
	char *out;
	int k = 0;

	fake_init(&f, "GET", "/api/failures", NULL, 0);
	if (csv) {
		f.query[k][0] = "format";
		f.query[k++][1] = "csv";
	}
	if (since != NULL) {
		f.query[k][0] = "since";
		f.query[k][1] = since;
	}
	assert_int_equal(run(fx, &f, &out), 200);
	return out;
}

/* The row of mx in the JSON answer (a parsed copy), or NULL. */
static json_t *
row_of(json_t *ans, const char *mx)
{
	json_t *row;
	size_t i;

	json_array_foreach(json_object_get(ans, "failures"), i, row)
		if (strcmp(json_string_value(json_object_get(row, "mx")), mx) == 0)
			return row;
	return NULL;
}

/* The members of set as one string, joined with spaces. */
static char *
joined(json_t *set)
{
	struct buf b;
	json_t *v;
	size_t i;

	buf_init(&b, 1 << 20);
	json_array_foreach(set, i, v)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", json_string_value(v));
	return buf_steal(&b, NULL);
}

static void
test_failures_json_and_csv(void **state)
{
	/* each group (an MX) with what its set of sending IPs must show */
	static const struct {
		const char *mx;
		const char *ips[26];
		const char *info;
		const char *want_ips;
		const char *want_json;          /* a part of the JSON text */
		const char *want_csv;           /* a part of the CSV text */
	} cases[] = {
		{ "mx \"q\" \\ .example", { "b", "B", "a", "_", "A", "0", "10", "9" },
		  "say \"hi\"", "0 10 9 A B _ a b",
		  "\"mx\":\"mx \\\"q\\\" \\\\ .example\"",
		  "\"mx \"\"q\"\" \\ .example\"" },
		{ "mx-\xc3\xbc.example", { "\xc3\xa4", "z", "\xc3\x84", "Z" }, "=1+1",
		  "Z z \xc3\x84 \xc3\xa4", "\"mx\":\"mx-\\u00FC.example\"",
		  "\"'=1+1\"" },
		{ "many.example", { "10.0.0.9", "10.0.0.25", "10.0.0.1", "10.0.0.24", "10.0.0.2",
		  "10.0.0.23", "10.0.0.3", "10.0.0.22", "10.0.0.4", "10.0.0.21", "10.0.0.5",
		  "10.0.0.20", "10.0.0.6", "10.0.0.19", "10.0.0.7", "10.0.0.18", "10.0.0.8",
		  "10.0.0.17", "10.0.0.10", "10.0.0.16", "10.0.0.11", "10.0.0.15", "10.0.0.12",
		  "10.0.0.14", "10.0.0.13", "10.0.0.1" }, "ctl\x01" "char",
		  "10.0.0.1 10.0.0.10 10.0.0.11 10.0.0.12 10.0.0.13 10.0.0.14 10.0.0.15 "
		  "10.0.0.16 10.0.0.17 10.0.0.18 10.0.0.19 10.0.0.2 10.0.0.20 10.0.0.21 "
		  "10.0.0.22 10.0.0.23 10.0.0.24 10.0.0.25 10.0.0.3 10.0.0.4",
		  "\"additional_information\":\"ctl\\u0001char\"", "\"ctl\x01" "char\"" },
	};
	struct open_serve_fixture *fx = *state;
	const char *const since[] = { NULL, "2024-03-02" };
	size_t i, k, s;
	int n = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (k = 0; k < 26 && cases[i].ips[k] != NULL; k++) {
			struct detail d = { k % 2 ? "Org \"B\"" : "Org A", cases[i].mx,
				cases[i].ips[k], k % 3 ? "code-b" : "Code \"a\"", cases[i].info };

			store(fx, &d, 1 + (int)(k % 4), n++);
		}
	/* all time (the all-time roll-ups) and a period (the day roll-ups) */
	for (s = 0; s < sizeof(since) / sizeof(since[0]); s++) {
		char *json = failures(fx, 0, since[s]), *csv = failures(fx, 1, since[s]), *again;
		json_t *ans = json_loads(json, 0, NULL);

		assert_non_null(ans);
		/* what jansson writes for the same content, byte for byte */
		again = json_dumps(ans, JSON_COMPACT | JSON_ENSURE_ASCII);
		assert_string_equal(json, again);
		free(again);
		assert_int_equal(json_array_size(json_object_get(ans, "failures")),
				 sizeof(cases) / sizeof(cases[0]));
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			json_t *row = row_of(ans, cases[i].mx);
			char *ips, *orgs, *codes, *line;

			assert_non_null(row);
			ips = joined(json_object_get(row, "sending_ips"));
			assert_string_equal(ips, cases[i].want_ips);
			orgs = joined(json_object_get(row, "organizations"));
			assert_string_equal(orgs, "Org \"B\" Org A");
			codes = joined(json_object_get(row, "failure_reason_codes"));
			assert_string_equal(codes, "Code \"a\" code-b");
			assert_non_null(strstr(json, cases[i].want_json));
			assert_non_null(strstr(csv, cases[i].want_csv));
			/* the sets' cells as RFC 4180 has them */
			line = xasprintf("\"%s\",\"Org \"\"B\"\" Org A\",\"Code \"\"a\"\" code-b\"",
					 ips);
			assert_non_null(strstr(csv, line));
			free(line);
			free(ips);
			free(orgs);
			free(codes);
		}
		json_decref(ans);
		free(json);
		free(csv);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_cell),
		cmocka_unit_test_setup_teardown(test_failures_json_and_csv, setup, open_serve_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
