/*
 * Unit tests for collector/datagram: sys4's literal datagrams decode to
 * the right results; missing/bad dpv, bad JSON, invalid UTF-8, missing
 * keys, wrong types and huge datagrams give a reason, never a crash; every
 * prefix of a good datagram is handled.  (UTF-8 repair itself: test_utf8fix.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "collector/datagram.h"
#include "collector/utf8fix.h"
#include "tlsrpt.h"

#define PR "v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
#define HEAD "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"" PR "\","
#define EHLO "250-mx1.example.com\\r\\n250-PIPELINING\\r\\n250-STARTTLS\\r\\n250 8BITMIME"

/* research/sys4.md §2, byte for byte. */
static const char DANE_SUCCESS[] = HEAD
	"\"policies\":[{\"policy-type\":1,\"policy-domain\": \"mx1.example.com\",\"policy-string\":"
	"[\"3 1 1 4F4A2B09F1DCEA7E5B2D2AE4E6E1C2C6E1A06C7D5A3E1F0B6C9D8E7F6A5B4C3D2\"],\"t\":0,\"f\":0}]}";
static const char STS_FAILURE[] = HEAD
	"\"policies\":[{\"policy-type\":2,\"policy-domain\": \"example.com\",\"policy-string\":"
	"[\"version: STSv1\",\"mode: enforce\",\"mx: mx1.example.com\",\"max_age: 604800\"],"
	"\"mx-host\":[\"mx1.example.com\"],\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.25\","
	"\"n\": \"mx1.example.com\",\"h\": \"" EHLO "\",\"r\": \"198.51.100.10\"}],\"t\":1,\"f\":1}]}";
static const char NOPOLICY_FAILURE[] = HEAD
	"\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201,\"s\": \"192.0.2.25\","
	"\"n\": \"mx1.example.com\",\"h\": \"" EHLO "\",\"r\": \"198.51.100.10\"}],\"t\":1,\"f\":1}]}";

static int
decode(const char *s, size_t len, struct datagram_batch *b, struct datagram_info *info,
       struct err *err)
{
	return datagram_decode(s, len, 20000, b, info, err);
}

static void
test_datagram_decodes_sys4_examples(void **state)
{
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	struct result *r;

	(void)state;
	assert_int_equal(decode(DANE_SUCCESS, strlen(DANE_SUCCESS), &b, &info, &err), 1);
	assert_int_equal(decode(STS_FAILURE, strlen(STS_FAILURE), &b, &info, &err), 1);
	assert_int_equal(decode(NOPOLICY_FAILURE, strlen(NOPOLICY_FAILURE), &b, &info, &err), 1);
	assert_int_equal(b.n, 3);
	assert_int_equal(info.reason, DATAGRAM_OK);
	assert_false(info.dpv_missing || info.dpv_bad || info.utf8_repaired || info.t_mismatch);

	r = &b.v[0];
	assert_int_equal(r->day, 20000);
	assert_string_equal(r->domain, "example.com");
	assert_string_equal(r->tlsrpt_record, PR);
	assert_int_equal(r->policy_type, POLICY_TYPE_TLSA);
	assert_string_equal(r->policy_domain, "mx1.example.com");
	assert_int_equal(r->policy_string.n, 1);
	assert_int_equal(r->mx_host.n, 0);
	assert_int_equal(r->failed, 0);
	assert_int_equal(r->n_failures, 0);

	r = &b.v[1];
	assert_int_equal(r->policy_type, POLICY_TYPE_STS);
	assert_int_equal(r->policy_string.n, 4);
	assert_string_equal(r->policy_string.v[3], "max_age: 604800");
	assert_string_equal(r->mx_host.v[0], "mx1.example.com");
	assert_int_equal(r->failed, 1);
	assert_int_equal(r->n_failures, 1);
	assert_int_equal(r->failures[0].code, 204);
	assert_int_equal(r->failures[0].type, RESULT_CERTIFICATE_EXPIRED);
	assert_string_equal(r->failures[0].sending_mta_ip, "192.0.2.25");
	assert_string_equal(r->failures[0].receiving_mx_hostname, "mx1.example.com");
	assert_string_equal(r->failures[0].receiving_mx_helo,
			    "250-mx1.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME");
	assert_string_equal(r->failures[0].receiving_ip, "198.51.100.10");
	assert_null(r->failures[0].additional_information);
	assert_null(r->failures[0].failure_reason_code);

	r = &b.v[2];
	assert_int_equal(r->policy_type, POLICY_TYPE_NO_POLICY_FOUND);
	assert_null(r->policy_domain);
	assert_int_equal(r->failures[0].type, RESULT_STARTTLS_NOT_SUPPORTED);
	datagram_batch_free(&b);
}

struct bad_case {
	const char *name;
	const char *input;
	int want_rc;                    /* results, or -1 */
	enum datagram_reason reason;
	int dpv_missing, dpv_bad, repaired, t_mismatch;
	const char *want_domain;        /* checked when want_rc > 0 */
	const char *want_in_msg;        /* the error names the JSON path */
};

#define POL "{\"policy-type\":2,\"t\":0,\"f\":0}"

static const struct bad_case cases[] = {
	{ "missing dpv is fine", "{\"d\":\"a.example\",\"pr\":\"x\",\"policies\":[" POL "]}",
	  1, DATAGRAM_OK, 1, 0, 0, 0, "a.example", NULL },
	{ "bad dpv is processed and flagged", "{\"dpv\":\"2\",\"d\":\"a\",\"policies\":[" POL "]}",
	  1, DATAGRAM_OK, 0, 1, 0, 0, "a", NULL },
	{ "numeric dpv is flagged", "{\"dpv\":1,\"d\":\"a\",\"policies\":[" POL "]}",
	  1, DATAGRAM_OK, 0, 1, 0, 0, "a", NULL },
	{ "domain lower-cased, one dot stripped", "{\"d\":\"MX.Example.COM..\",\"policies\":[" POL "]}",
	  1, DATAGRAM_OK, 1, 0, 0, 0, "mx.example.com.", NULL },
	{ "two policies, two results", "{\"d\":\"a\",\"policies\":[" POL "," POL "]}",
	  2, DATAGRAM_OK, 1, 0, 0, 0, "a", NULL },
	{ "t mismatch only flagged", "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"t\":3,\"f\":1}]}",
	  1, DATAGRAM_OK, 1, 0, 0, 1, "a", NULL },
	{ "invalid UTF-8 repaired", "{\"d\":\"a\xff\xc3\",\"pr\":\"\xed\xa0\x80\",\"policies\":[" POL "]}",
	  1, DATAGRAM_OK, 1, 0, 1, 0, "a\xef\xbf\xbd\xef\xbf\xbd", NULL },
	{ "not JSON", "{\"d\":", -1, DATAGRAM_BAD_JSON, 0, 0, 0, 0, NULL, NULL },
	{ "empty", "", -1, DATAGRAM_BAD_JSON, 0, 0, 0, 0, NULL, NULL },
	{ "array root", "[1]", -1, DATAGRAM_BAD_JSON, 0, 0, 0, 0, NULL, NULL },
	{ "missing d", "{\"policies\":[" POL "]}", -1, DATAGRAM_MISSING_KEY, 1, 0, 0, 0, NULL, NULL },
	{ "empty d", "{\"d\":\".\",\"policies\":[" POL "]}", -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "d not a string", "{\"d\":5,\"policies\":[" POL "]}", -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "missing policies", "{\"d\":\"a\"}", -1, DATAGRAM_MISSING_KEY, 1, 0, 0, 0, NULL, NULL },
	{ "empty policies", "{\"d\":\"a\",\"policies\":[]}", -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "missing f drops all policies", "{\"d\":\"a\",\"policies\":[" POL ",{\"policy-type\":1}]}",
	  -1, DATAGRAM_MISSING_KEY, 1, 0, 0, 0, NULL, "policies[1].f: missing" },
	{ "f out of range", "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":2}]}",
	  -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "missing policy-type", "{\"d\":\"a\",\"policies\":[{\"f\":1}]}",
	  -1, DATAGRAM_MISSING_KEY, 1, 0, 0, 0, NULL, NULL },
	{ "unknown policy-type", "{\"d\":\"a\",\"policies\":[{\"policy-type\":3,\"f\":1}]}",
	  -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "policy-string not an array", "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":1,\"policy-string\":\"x\"}]}",
	  -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
	{ "failure without c", "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":1,\"failure-details\":[{\"s\":\"x\"}]}]}",
	  -1, DATAGRAM_MISSING_KEY, 1, 0, 0, 0, NULL, "policies[0].failure-details[0].c: missing" },
	{ "failure string of wrong type", "{\"d\":\"a\",\"policies\":[{\"policy-type\":1,\"f\":1,\"failure-details\":[{\"c\":201,\"s\":1}]}]}",
	  -1, DATAGRAM_BAD_VALUE, 1, 0, 0, 0, NULL, NULL },
};

static void
test_datagram_bad_input_gives_reason_not_crash(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *c = &cases[i];
		struct datagram_batch b = { 0 };
		struct datagram_info info;
		struct err err = { "" };
		int rc = decode(c->input, strlen(c->input), &b, &info, &err);

		print_message("# case: %s (%s)\n", c->name, err.msg);
		assert_int_equal(rc, c->want_rc);
		assert_int_equal(info.reason, c->reason);
		assert_int_equal(info.dpv_missing, c->dpv_missing);
		assert_int_equal(info.dpv_bad, c->dpv_bad);
		assert_int_equal(info.utf8_repaired, c->repaired);
		assert_int_equal(info.t_mismatch, c->t_mismatch);
		if (rc < 0) {
			assert_int_equal(b.n, 0);
			assert_true(err.msg[0] != '\0');
			if (c->want_in_msg != NULL)
				assert_non_null(strstr(err.msg, c->want_in_msg));
		} else {
			assert_int_equal(b.n, (size_t)rc);
			assert_string_equal(b.v[0].domain, c->want_domain);
		}
		datagram_batch_free(&b);
	}
}

static void
test_datagram_every_prefix_is_handled(void **state)
{
	struct datagram_batch b = { 0 };
	size_t len = strlen(STS_FAILURE);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		struct datagram_info info;
		struct err err;

		assert_int_equal(decode(STS_FAILURE, n, &b, &info, &err), -1);
		assert_int_equal(info.reason, DATAGRAM_BAD_JSON);
	}
	assert_int_equal(b.n, 0);
	datagram_batch_free(&b);
}

static void
test_datagram_huge_is_refused_and_large_is_decoded(void **state)
{
	struct datagram_batch b = { 0 };
	struct datagram_info info;
	struct err err;
	size_t big = 1u << 20;
	char *s = malloc(big + 200);
	int n;

	(void)state;
	/* A valid datagram one byte over the limit (a real buffer, so that a
	 * missing size check shows as a decoded result, not a wild read). */
	{
		size_t over = (size_t)DATAGRAM_MAX + 1;
		char *h = malloc(over);
		int k = snprintf(h, 200, "{\"d\":\"a\",\"policies\":[{\"policy-type\":2,\"f\":0,\"policy-string\":[\"");

		assert_non_null(h);
		memset(h + k, 'x', over - (size_t)k - 5);
		memcpy(h + over - 5, "\"]}]}", 5);
		assert_int_equal(decode(h, over, &b, &info, &err), -1);
		assert_int_equal(info.reason, DATAGRAM_TOO_BIG);
		assert_int_equal(b.n, 0);
		/* the same datagram one byte shorter is within the limit */
		memmove(h + k, h + k + 1, over - (size_t)k - 1);
		assert_int_equal(decode(h, over - 1, &b, &info, &err), 1);
		datagram_batch_free(&b);
		free(h);
	}
	/* A 1 MiB policy string is fine. */
	n = snprintf(s, 200, "{\"d\":\"a\",\"policies\":[{\"policy-type\":2,\"f\":0,\"policy-string\":[\"");
	memset(s + n, 'x', big);
	memcpy(s + n + big, "\"]}]}", 6);
	assert_int_equal(decode(s, strlen(s), &b, &info, &err), 1);
	assert_int_equal(strlen(b.v[0].policy_string.v[0]), big);
	free(s);
	datagram_batch_free(&b);
}

/* A random string of 0..40 bytes, 1..255 (no NUL): controls, quotes,
 * backslashes, ASCII, UTF-8 and invalid sequences. */
static void
random_string(unsigned long *seed, char *out)
{
	static const char *const pieces[] = { "\"", "\\", "\n", "\r\n", "\t", "\x01", "\x1f",
		"\x7f", "/", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xc3",
		"\xed\xa0\x80", "a", "Z", " ", "{}", "[]", ":", "," };
	size_t n = 0, k;

	*seed = *seed * 6364136223846793005UL + 1442695040888963407UL;
	k = (*seed >> 33) % 12;
	out[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		const char *p;

		*seed = *seed * 6364136223846793005UL + 1442695040888963407UL;
		p = pieces[(*seed >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
		memcpy(out + n, p, strlen(p) + 1);
		n += strlen(p);
	}
}

/* What the collector should read back for s: s itself, or s repaired. */
static void
assert_roundtrip(const char *got, const char *sent)
{
	size_t len = 0;
	char *fixed = utf8fix_repair(sent, strlen(sent), &len);

	assert_non_null(got);
	assert_string_equal(got, fixed != NULL ? fixed : sent);
	free(fixed);
}

static void
test_datagram_reads_back_whatever_the_library_wrote(void **state)
{
	char dir[] = "/tmp/tlsrpt-roundtrip.XXXXXX", path[128], buf[8192];
	char pr[512], ps[512], mx[512], f[6][512];
	struct tlsrpt_connection_t *con = NULL;
	struct sockaddr_un a;
	unsigned long seed = 42;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(tlsrpt_open(&con, path), 0);
	for (int i = 0; i < 2000; i++) {
		struct tlsrpt_dr_t *dr = NULL;
		struct datagram_batch b = { 0 };
		struct datagram_info info;
		struct err err;
		struct result_failure *rf;
		ssize_t n;

		random_string(&seed, pr);
		random_string(&seed, ps);
		random_string(&seed, mx);
		for (int k = 0; k < 6; k++)
			random_string(&seed, f[k]);
		assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "example.com", pr), 0);
		assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, ps), 0);
		assert_int_equal(tlsrpt_add_policy_string(dr, ps), 0);
		assert_int_equal(tlsrpt_add_mx_host_pattern(dr, mx), 0);
		assert_int_equal(tlsrpt_add_delivery_request_failure(dr, TLSRPT_STS_WEBPKI_INVALID,
				 f[0], f[1], f[2], f[3], f[4], f[5]), 0);
		assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE), 0);
		assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
		n = recv(fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		assert_int_equal(datagram_decode(buf, (size_t)n, 1, &b, &info, &err), 1);
		assert_int_equal(info.dpv_missing || info.dpv_bad || info.t_mismatch, 0);
		assert_roundtrip(b.v[0].tlsrpt_record, pr);
		assert_roundtrip(b.v[0].policy_domain, ps);
		assert_roundtrip(b.v[0].policy_string.v[0], ps);
		assert_roundtrip(b.v[0].mx_host.v[0], mx);
		rf = &b.v[0].failures[0];
		assert_int_equal(rf->type, RESULT_STS_WEBPKI_INVALID);
		assert_roundtrip(rf->sending_mta_ip, f[0]);
		assert_roundtrip(rf->receiving_mx_hostname, f[1]);
		assert_roundtrip(rf->receiving_mx_helo, f[2]);
		assert_roundtrip(rf->receiving_ip, f[3]);
		assert_roundtrip(rf->additional_information, f[4]);
		assert_roundtrip(rf->failure_reason_code, f[5]);
		datagram_batch_free(&b);
	}
	tlsrpt_close(&con);
	close(fd);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagram_decodes_sys4_examples),
		cmocka_unit_test(test_datagram_bad_input_gives_reason_not_crash),
		cmocka_unit_test(test_datagram_every_prefix_is_handled),
		cmocka_unit_test(test_datagram_huge_is_refused_and_large_is_decoded),
		cmocka_unit_test(test_datagram_reads_back_whatever_the_library_wrote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
