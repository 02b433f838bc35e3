/*
 * Unit tests for model/tlsrpt_record: the REC cases of
 * research/sender.md §5.1 that concern the record text (REC-01..24, 29),
 * table-driven through record_tlsrpt_select() so that R-3.9 (discard,
 * count == 1) is always applied.  REC-25..28 (CNAME, IDN, NXDOMAIN,
 * SERVFAIL) are DNS cases, tested in tests/unit/net/test_dns.c and
 * tests/unit/check/test_check_tlsrpt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/tlsrpt_record.h"

#define MAXN 3

struct rec_case {
	const char *name;
	const char *txt[MAXN];  /* the RRset, NULL-terminated */
	int want_rc;
	const char *want_rua[4];        /* URIs as published, in order */
	const char *want_addr[4];       /* decoded mailto address or https host, per URI */
	const char *want_err;           /* substring of err when want_rc == -1 */
	const char *want_warn;          /* substring of some warning, or NULL for none */
	size_t want_ext;                /* number of extensions */
};

static const struct rec_case cases[] = {
	{ "REC-01 mailto", { "v=TLSRPTv1;rua=mailto:reports@example.com" }, 0,
	  { "mailto:reports@example.com" }, { "reports@example.com" }, NULL, NULL, 0 },
	{ "REC-02 https", { "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt" }, 0,
	  { "https://reporting.example.com/v1/tlsrpt" }, { "reporting.example.com" }, NULL, NULL, 0 },
	{ "REC-03 two strings concatenated", { "v=TLSRPTv1; rua=mailto:tls@exa" "mple.com" }, 0,
	  { "mailto:tls@example.com" }, { "tls@example.com" }, NULL, NULL, 0 },
	{ "REC-04 two URIs in order", { "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.com/x" }, 0,
	  { "mailto:a@example.com", "https://r.example.com/x" }, { "a@example.com", "r.example.com" },
	  NULL, NULL, 0 },
	{ "REC-05 trailing semicolon", { "v=TLSRPTv1; rua=mailto:a@example.com;" }, 0,
	  { "mailto:a@example.com" }, { "a@example.com" }, NULL, NULL, 0 },
	{ "REC-06 extensions kept", { "v=TLSRPTv1; rua=mailto:a@example.com; foo=bar; x.y-z_1=A!b" }, 0,
	  { "mailto:a@example.com" }, { "a@example.com" }, NULL, NULL, 2 },
	{ "REC-07 rua missing", { "v=TLSRPTv1; foo=bar" }, -1, { NULL }, { NULL }, "no rua= field", NULL, 0 },
	{ "REC-08 version only", { "v=TLSRPTv1" }, -1, { NULL }, { NULL }, "no rua= field", NULL, 0 },
	{ "REC-08 version and semicolon", { "v=TLSRPTv1;" }, -1, { NULL }, { NULL }, "no rua= field", NULL, 0 },
	{ "REC-09 upper-case V", { "V=TLSRPTv1; rua=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "case-sensitive", NULL, 0 },
	{ "REC-09 lower-case version", { "v=tlsrptv1; rua=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "no TLSRPT record", NULL, 0 },
	{ "REC-10 RUA is an extension", { "v=TLSRPTv1; RUA=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "no rua= field", "case-sensitive", 0 },
	{ "REC-11 v not first", { "rua=mailto:a@example.com; v=TLSRPTv1" }, -1, { NULL }, { NULL },
	  "none of the 1 TXT records", NULL, 0 },
	{ "REC-12 version 2", { "v=TLSRPTv2; rua=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "no TLSRPT record", NULL, 0 },
	{ "REC-12 version 10", { "v=TLSRPTv10; rua=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "no TLSRPT record", NULL, 0 },
	{ "REC-13 two valid records", { "v=TLSRPTv1; rua=mailto:a@example.com",
	  "v=TLSRPTv1; rua=mailto:b@example.com" }, -1, { NULL }, { NULL }, "2 TLSRPT records", NULL, 0 },
	{ "REC-14 SPF record discarded", { "v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com" }, 0,
	  { "mailto:a@example.com" }, { "a@example.com" }, NULL, NULL, 0 },
	{ "REC-15 space before semicolon", { "v=TLSRPTv1 ; rua=mailto:a@example.com" }, 0,
	  { "mailto:a@example.com" }, { "a@example.com" }, NULL, "space before ';'", 0 },
	{ "REC-16 raw comma", { "v=TLSRPTv1; rua=mailto:a@example.com,b@example.com" }, -1, { NULL }, { NULL },
	  "encode ',' inside a URI as %2C", NULL, 0 },
	{ "REC-17 raw exclamation", { "v=TLSRPTv1; rua=mailto:a@example.com!10m" }, -1, { NULL }, { NULL },
	  "encode '!' as %21", NULL, 0 },
	{ "REC-18 http only", { "v=TLSRPTv1; rua=http://r.example.com/x" }, -1, { NULL }, { NULL },
	  "only mailto: and https: are supported", "\"http:\" is not supported", 0 },
	{ "REC-19 ftp next to mailto", { "v=TLSRPTv1; rua=ftp://x.example/y,mailto:a@example.com" }, 0,
	  { "ftp://x.example/y", "mailto:a@example.com" }, { NULL, "a@example.com" }, NULL,
	  "\"ftp:\" is not supported", 0 },
	{ "REC-20 repeated rua", { "v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example.com/x" }, 0,
	  { "mailto:a@example.com", "https://r.example.com/x" }, { "a@example.com", "r.example.com" },
	  NULL, "repeated rua=", 0 },
	{ "REC-21 percent-decoded address", { "v=TLSRPTv1; rua=mailto:tls%2Brpt@example.com" }, 0,
	  { "mailto:tls%2Brpt@example.com" }, { "tls+rpt@example.com" }, NULL, NULL, 0 },
	{ "REC-22 hfields ignored", { "v=TLSRPTv1; rua=mailto:tls@example.com?subject=x" }, 0,
	  { "mailto:tls@example.com?subject=x" }, { "tls@example.com" }, NULL, NULL, 0 },
	{ "REC-23 empty rua", { "v=TLSRPTv1; rua=" }, -1, { NULL }, { NULL }, "rua= is empty", NULL, 0 },
	{ "REC-24 leading space", { " v=TLSRPTv1; rua=mailto:a@example.com" }, -1, { NULL }, { NULL },
	  "no space before it", NULL, 0 },
	{ "REC-29 long extension name",
	  { "v=TLSRPTv1; rua=mailto:a@example.com; abcdefghijabcdefghijabcdefghijabc=x" }, 0,
	  { "mailto:a@example.com" }, { "a@example.com" }, NULL, "longer than 32", 1 },
	/* beyond the REC list */
	{ "bad percent escape", { "v=TLSRPTv1; rua=mailto:a%4@example.com" }, -1, { NULL }, { NULL },
	  "two hex digits", NULL, 0 },
	{ "mailto without at", { "v=TLSRPTv1; rua=mailto:nobody" }, -1, { NULL }, { NULL },
	  "not a mail address", NULL, 0 },
	{ "https without host", { "v=TLSRPTv1; rua=https:///x" }, -1, { NULL }, { NULL },
	  "not a valid https URL", NULL, 0 },
	{ "field without equals", { "v=TLSRPTv1; rua=mailto:a@example.com; junk" }, -1, { NULL }, { NULL },
	  "not name=value", NULL, 0 },
	{ "control character", { "v=TLSRPTv1; rua=mailto:a@example.com\x01" }, -1, { NULL }, { NULL },
	  "byte 0x01", NULL, 0 },
	{ "no TXT records at all", { NULL }, -1, { NULL }, { NULL }, "none of the 0", NULL, 0 },
	{ "mailto scheme is case-insensitive", { "v=TLSRPTv1; rua=MAILTO:a@example.com" }, 0,
	  { "MAILTO:a@example.com" }, { "a@example.com" }, NULL, NULL, 0 },
};

static size_t
count_txt(const struct rec_case *c)
{
	size_t n = 0;

	while (n < MAXN && c->txt[n] != NULL)
		n++;
	return n;
}

static int
has_warning(const struct strlist *w, const char *want)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (strstr(w->v[i], want) != NULL)
			return 1;
	return 0;
}

static void
run_case(const struct rec_case *c)
{
	struct tlsrpt_record rec;
	struct strlist warnings = { 0 };
	struct err err = { { 0 } };
	size_t i, nrua = 0;
	int rc;

	rc = record_tlsrpt_select(c->txt, count_txt(c), &rec, &warnings, NULL, &err);
	if (rc != c->want_rc)
		fail_msg("%s: rc %d, want %d (err: %s)", c->name, rc, c->want_rc, err.msg);
	if (rc < 0) {
		if (strstr(err.msg, c->want_err) == NULL)
			fail_msg("%s: err \"%s\" lacks \"%s\"", c->name, err.msg, c->want_err);
		assert_int_equal(rec.n_rua, 0);
	} else {
		while (nrua < 4 && c->want_rua[nrua] != NULL)
			nrua++;
		if (rec.n_rua != nrua)
			fail_msg("%s: %zu rua URIs, want %zu", c->name, rec.n_rua, nrua);
		for (i = 0; i < nrua; i++) {
			assert_string_equal(rec.rua[i].uri, c->want_rua[i]);
			if (c->want_addr[i] == NULL)
				assert_int_equal(rec.rua[i].scheme, RUA_OTHER);
			else if (rec.rua[i].scheme == RUA_MAILTO)
				assert_string_equal(rec.rua[i].address, c->want_addr[i]);
			else
				assert_string_equal(rec.rua[i].host, c->want_addr[i]);
		}
		if (rec.extensions.n != c->want_ext)
			fail_msg("%s: %zu extensions, want %zu", c->name, rec.extensions.n, c->want_ext);
	}
	if (c->want_warn != NULL && !has_warning(&warnings, c->want_warn))
		fail_msg("%s: no warning with \"%s\" (%zu warnings)", c->name, c->want_warn, warnings.n);
	if (c->want_warn == NULL && rc == 0 && warnings.n != 0)
		fail_msg("%s: unexpected warning \"%s\"", c->name, warnings.v[0]);
	record_tlsrpt_clear(&rec);
	strlist_clear(&warnings);
}

static void
test_record_rec_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
test_record_mailto_domain_is_host(void **state)
{
	struct tlsrpt_record rec;
	struct err err = { { 0 } };

	(void)state;
	assert_int_equal(record_tlsrpt_parse("v=TLSRPTv1;rua=mailto:x@Reports.Example.NET", &rec, NULL, &err), 0);
	assert_string_equal(rec.rua[0].host, "Reports.Example.NET");
	assert_int_equal(rec.n_usable, 1);
	record_tlsrpt_clear(&rec);
}

static void
test_record_select_reports_index_of_record_used(void **state)
{
	const char *txts[] = { "v=spf1 -all", "hello", "v=TLSRPTv1;rua=mailto:a@example.com" };
	struct tlsrpt_record rec;
	int chosen = 7;

	(void)state;
	assert_int_equal(record_tlsrpt_select(txts, 3, &rec, NULL, &chosen, NULL), 0);
	assert_int_equal(chosen, 2);
	record_tlsrpt_clear(&rec);
}

static void
test_record_rejects_more_than_max_rua(void **state)
{
	char txt[4096] = "v=TLSRPTv1;rua=";
	struct tlsrpt_record rec;
	struct err err = { { 0 } };
	int i;

	(void)state;
	/* exactly the maximum is accepted, one more is refused */
	for (i = 0; i < TLSRPT_RECORD_MAX_RUA; i++)
		snprintf(txt + strlen(txt), sizeof(txt) - strlen(txt), "%smailto:a%d@example.com", i ? "," : "", i);
	assert_int_equal(record_tlsrpt_parse(txt, &rec, NULL, &err), 0);
	assert_int_equal(rec.n_rua, TLSRPT_RECORD_MAX_RUA);
	record_tlsrpt_clear(&rec);
	snprintf(txt + strlen(txt), sizeof(txt) - strlen(txt), ",mailto:a%d@example.com", i);
	assert_int_equal(record_tlsrpt_parse(txt, &rec, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "more than 64 rua URIs"));
}

static void
test_record_rejects_text_longer_than_a_txt_record(void **state)
{
	size_t n = TLSRPT_RECORD_MAX + 1;
	char *txt = malloc(n + 1);
	struct tlsrpt_record rec;
	struct err err = { { 0 } };
	char want[64];

	(void)state;
	/* a valid record padded with an unknown extension to 65536 bytes */
	memset(txt, 'x', n);
	memcpy(txt, "v=TLSRPTv1;rua=mailto:a@example.com;ext=", 40);
	txt[n] = '\0';
	assert_int_equal(record_tlsrpt_parse(txt, &rec, NULL, &err), -1);
	snprintf(want, sizeof(want), "record is %zu bytes, more than", n);
	assert_non_null(strstr(err.msg, want));
	free(txt);
}

static void
test_record_is_candidate_needs_exact_prefix(void **state)
{
	(void)state;
	assert_true(record_tlsrpt_is_candidate("v=TLSRPTv1"));
	assert_true(record_tlsrpt_is_candidate("v=TLSRPTv1 \t;x"));
	assert_false(record_tlsrpt_is_candidate("v=TLSRPTv10;"));
	assert_false(record_tlsrpt_is_candidate(" v=TLSRPTv1;"));
	assert_false(record_tlsrpt_is_candidate("v=TLSRPTv1x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_rec_cases),
		cmocka_unit_test(test_record_mailto_domain_is_host),
		cmocka_unit_test(test_record_select_reports_index_of_record_used),
		cmocka_unit_test(test_record_rejects_more_than_max_rua),
		cmocka_unit_test(test_record_rejects_text_longer_than_a_txt_record),
		cmocka_unit_test(test_record_is_candidate_needs_exact_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
