/*
 * Unit tests for net/dns and net/dns_rdata: RDATA decoding, IDN names
 * (REC-26), the stub seam.  The live tests run only when TLSRPT_DNS_SERVER
 * ("IP@PORT" of tests/components/dns.sh with its default zone) is set:
 * tests/integration/test_dns.sh starts the real server and runs this
 * program again with it (TXT concatenation REC-03, CNAME chain REC-25,
 * NXDOMAIN/NODATA REC-27, SERVFAIL/timeout REC-28).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "net/dns.h"
#include "net/dns_rdata.h"

static void
test_dns_name_to_ascii_converts_idn_labels(void **state)
{
	struct err err;
	char *s;

	(void)state;
	s = dns_name_to_ascii("_smtp._tls.b\xc3\xbc" "cher.example.", &err);
	assert_non_null(s);
	assert_string_equal(s, "_smtp._tls.xn--bcher-kva.example");
	free(s);
	s = dns_name_to_ascii("_smtp._tls.Example.COM", &err);
	assert_string_equal(s, "_smtp._tls.Example.COM");
	free(s);
	assert_null(dns_name_to_ascii("", &err));
	assert_null(dns_name_to_ascii("a.\xff\xfe.example", &err));
}

static void
test_dns_rdata_txt_concatenates_strings_without_space(void **state)
{
	static const unsigned char rd[] = "\x05v=TLS\x04RPTv\x01" "1";
	struct dns_answer a = { 0 };

	(void)state;
	dns_rdata_decode(&a, DNS_TXT, rd, sizeof(rd) - 1);
	assert_int_equal(a.rr.n, 1);
	assert_string_equal(a.rr.v[0], "v=TLSRPTv1");
	dns_answer_clear(&a);
}

static void
test_dns_rdata_mx_sorted_by_preference(void **state)
{
	static const unsigned char mx20[] = "\x00\x14\x02mx\x07" "example\x00";
	static const unsigned char mx10[] = "\x00\x0a\x03mx2\x07" "example\x00";
	static const unsigned char bad[] = "\x00\x0a\x09mx";
	struct dns_answer a = { 0 };

	(void)state;
	dns_rdata_decode(&a, DNS_MX, mx20, sizeof(mx20) - 1);
	dns_rdata_decode(&a, DNS_MX, mx10, sizeof(mx10) - 1);
	dns_rdata_decode(&a, DNS_MX, bad, sizeof(bad) - 1);
	dns_rdata_sort_mx(&a);
	assert_int_equal(a.n_mx, 2);
	assert_int_equal(a.mx[0].pref, 10);
	assert_string_equal(a.mx[0].host, "mx2.example");
	assert_string_equal(a.rr.v[1], "mx.example");
	dns_answer_clear(&a);
}

static void
test_dns_rdata_tlsa_presentation_is_upper_hex(void **state)
{
	static const unsigned char rd[] = { 3, 1, 1, 0xab, 0xcd, 0x01 };
	struct dns_answer a = { 0 };

	(void)state;
	dns_rdata_decode(&a, DNS_TLSA, rd, sizeof(rd));
	assert_string_equal(a.rr.v[0], "3 1 1 ABCD01");
	assert_int_equal(a.tlsa[0].usage, 3);
	assert_string_equal(a.tlsa[0].hex, "ABCD01");
	dns_answer_clear(&a);
}

static void
test_dns_rdata_addresses(void **state)
{
	static const unsigned char v4[] = { 127, 0, 0, 1 };
	static const unsigned char v6[16] = { [15] = 1 };
	struct dns_answer a = { 0 };

	(void)state;
	dns_rdata_decode(&a, DNS_A, v4, 4);
	dns_rdata_decode(&a, DNS_AAAA, v6, 16);
	dns_rdata_decode(&a, DNS_A, v4, 3);
	assert_int_equal(a.rr.n, 2);
	assert_string_equal(a.rr.v[0], "127.0.0.1");
	assert_string_equal(a.rr.v[1], "::1");
	dns_answer_clear(&a);
}

static int
stub(void *ctx, const char *qname, enum dns_type type, struct dns_answer *ans, struct err *err)
{
	(void)err;
	*(int *)ctx += 1;
	ans->status = type == DNS_TXT ? DNS_OK : DNS_NODATA;
	strlist_add(&ans->rr, qname);
	return 0;
}

static void
test_dns_stub_receives_a_label_name(void **state)
{
	int calls = 0;
	struct dns *d = dns_new_stub(stub, &calls);
	struct dns_answer a = { 0 };
	struct err err;

	(void)state;
	assert_int_equal(dns_lookup(d, DNS_TXT, "b\xc3\xbc" "cher.example", &a, &err), 0);
	assert_int_equal(calls, 1);
	assert_int_equal(a.status, DNS_OK);
	assert_string_equal(a.rr.v[0], "xn--bcher-kva.example");
	assert_string_equal(a.qname, "xn--bcher-kva.example");
	dns_answer_clear(&a);
	dns_free(d);
}

static void
test_dns_new_rejects_bad_resolver(void **state)
{
	static const char *const bad[] = {
		"not-an-ip", "127.0.0.1@99999", "127.0.0.1@0", "127.0.0.1@", "::1@x", "@53",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int unused = 0; unused <= 1; unused++) {
			struct dns_options o = { .resolver = bad[i], .dnssec_unused = unused };
			struct err err = { { 0 } };

			if (dns_new(&o, &err) != NULL)
				fail_msg("resolver \"%s\" (dnssec_unused %d) was taken", bad[i], unused);
			assert_non_null(strstr(err.msg, bad[i]));
		}
	}
}

/* Which transport a context gets (dns.c): c-ares only when the caller
 * does not use DNSSEC status, has no trust anchor and every resolver is on
 * loopback; libunbound otherwise.  Making a context sends nothing. */
static void
test_dns_transport_is_c_ares_only_towards_loopback(void **state)
{
	static const struct {
		const char *resolver;
		int dnssec_unused;
		const char *want;
	} cases[] = {
		{ "127.0.0.1@5353", 1, "c-ares" },
		{ "127.0.0.53", 1, "c-ares" },
		{ "::1@53", 1, "c-ares" },
		{ "127.0.0.1@5353", 0, "libunbound" },  /* DNSSEC status used */
		{ "192.0.2.1", 1, "libunbound" },       /* off the host: port per query */
		{ "2001:db8::1@53", 1, "libunbound" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_options o = { .resolver = cases[i].resolver,
					 .dnssec_unused = cases[i].dnssec_unused };
		struct err err;
		struct dns *d = dns_new(&o, &err);

		if (d == NULL)
			fail_msg("%s: %s", cases[i].resolver, err.msg);
		if (strcmp(dns_transport_name(d), cases[i].want) != 0)
			fail_msg("%s (dnssec_unused %d): %s, want %s", cases[i].resolver,
				 cases[i].dnssec_unused, dns_transport_name(d), cases[i].want);
		dns_free(d);
	}
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A resolver that answers nothing (a UDP socket on loopback nobody
 * reads): after DNS_UNREACHABLE_AFTER timeouts in a row, lookups end at
 * once for one timeout's length, saying why, and are asked again after;
 * through libunbound and through c-ares alike. */
static void
unreachable_resolver_is_not_waited_for_again(int dnssec_unused)
{
	enum { TIMEOUT_MS = 300 };
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct dns_query *q[DNS_UNREACHABLE_AFTER];
	struct dns_answer a = { 0 };
	struct dns_options o = { .timeout_ms = TIMEOUT_MS, .dnssec_unused = dnssec_unused };
	struct timespec t0;
	struct err err;
	char resolver[64];
	struct dns *d;
	long ms;
	int fd;

	print_message("transport: %s\n", dnssec_unused ? "c-ares" : "libunbound");
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(resolver, sizeof(resolver), "127.0.0.1@%u", ntohs(sa.sin_port));
	o.resolver = resolver;
	if ((d = dns_new(&o, &err)) == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(dns_transport_name(d), dnssec_unused ? "c-ares" : "libunbound");
	/* the limit less one: each of these waits its timeout */
	for (int i = 0; i < DNS_UNREACHABLE_AFTER; i++) {
		char name[64];

		snprintf(name, sizeof(name), "n%d.example.test", i);
		if (dns_query_start(d, DNS_TXT, name, &q[i], &err) < 0)
			fail_msg("%s", err.msg);
	}
	for (int i = 0; i < DNS_UNREACHABLE_AFTER - 1; i++) {
		assert_int_equal(dns_query_finish(d, &q[i], &a, &err), 0);
		assert_int_equal(a.status, DNS_TIMEOUT);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dns_lookup(d, DNS_TXT, "waited.example.test", &a, &err), 0);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_non_null(strstr(a.why, "no answer within"));
	if ((ms = ms_since(&t0)) < TIMEOUT_MS / 2)
		fail_msg("the %dth timeout in a row took %ld ms, not a timeout's length",
			 DNS_UNREACHABLE_AFTER, ms);
	/* the limit reached: the one still in flight and a new one end at once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dns_query_finish(d, &q[DNS_UNREACHABLE_AFTER - 1], &a, &err), 0);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_int_equal(dns_lookup(d, DNS_TXT, "quiet.example.test", &a, &err), 0);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_non_null(strstr(a.why, "the resolver answered none of the last"));
	if ((ms = ms_since(&t0)) > TIMEOUT_MS / 3)
		fail_msg("lookups while the resolver is unreachable took %ld ms", ms);
	/* one timeout later it is asked again */
	usleep((TIMEOUT_MS + 50) * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(dns_lookup(d, DNS_TXT, "again.example.test", &a, &err), 0);
	assert_int_equal(a.status, DNS_TIMEOUT);
	assert_non_null(strstr(a.why, "no answer within"));
	if ((ms = ms_since(&t0)) < TIMEOUT_MS / 2)
		fail_msg("the lookup after the quiet time took %ld ms: not asked", ms);
	dns_answer_clear(&a);
	dns_free(d);
	close(fd);
}

static void
test_dns_unreachable_resolver_is_not_waited_for_again(void **state)
{
	(void)state;
	unreachable_resolver_is_not_waited_for_again(0);
	unreachable_resolver_is_not_waited_for_again(1);
}

/* ---- live, against tests/components/dns.sh's default zone ---- */

/* A context for the live server through libunbound (dnssec_unused 0) or
 * c-ares (1: the server is on loopback). */
static struct dns *
live(int timeout_ms, int dnssec_unused)
{
	const char *srv = getenv("TLSRPT_DNS_SERVER");
	struct dns_options o = { .resolver = srv, .timeout_ms = timeout_ms,
				 .dnssec_unused = dnssec_unused };
	struct err err;
	struct dns *d;

	d = dns_new(&o, &err);
	if (d == NULL)
		fail_msg("%s", err.msg);
	print_message("transport: %s\n", dns_transport_name(d));
	assert_string_equal(dns_transport_name(d), dnssec_unused ? "c-ares" : "libunbound");
	return d;
}

static void
lookup(struct dns *d, enum dns_type t, const char *name, struct dns_answer *a)
{
	struct err err;

	if (dns_lookup(d, t, name, a, &err) < 0)
		fail_msg("%s: %s", name, err.msg);
}

static void
live_answers_and_statuses(int dnssec_unused)
{
	struct dns *d = live(3000, dnssec_unused);
	struct dns_answer a = { 0 };

	lookup(d, DNS_TXT, "_smtp._tls.example.test", &a);
	assert_int_equal(a.status, DNS_OK);
	assert_string_equal(a.rr.v[0], "v=TLSRPTv1; rua=mailto:tls@example.test");
	assert_int_equal(a.secure, 0);
	assert_int_equal(a.cnames.n, 0);
	lookup(d, DNS_TXT, "_smtp._tls.split.example.test", &a);        /* REC-03 */
	assert_string_equal(a.rr.v[0], "v=TLSRPTv1; rua=mailto:a@example.test,https://r.example.test/tlsrpt");
	lookup(d, DNS_TXT, "_smtp._tls.two.example.test", &a);
	assert_int_equal(a.rr.n, 2);
	/* ~2 KB: truncated over UDP, asked again over TCP */
	lookup(d, DNS_TXT, "_smtp._tls.big.example.test", &a);
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.rr.n, 1);
	assert_true(strlen(a.rr.v[0]) > 2000);
	assert_true(strncmp(a.rr.v[0], "v=TLSRPTv1; rua=mailto:big@example.test", 39) == 0);
	lookup(d, DNS_TXT, "_smtp._tls.alias.example.test", &a);        /* REC-25 */
	assert_int_equal(a.status, DNS_OK);
	assert_int_equal(a.cnames.n, 2);
	assert_string_equal(a.cnames.v[0], "_smtp._tls.alias.example.test");
	assert_string_equal(a.cnames.v[1], "_smtp._tls.example.test");
	lookup(d, DNS_MX, "example.test", &a);
	assert_int_equal(a.n_mx, 1);
	assert_string_equal(a.mx[0].host, "mx.example.test");
	lookup(d, DNS_A, "mx.example.test", &a);
	assert_string_equal(a.rr.v[0], "127.0.0.1");
	lookup(d, DNS_AAAA, "mx.example.test", &a);
	assert_string_equal(a.rr.v[0], "::1");
	lookup(d, DNS_TLSA, "_25._tcp.mx.example.test", &a);
	assert_string_equal(a.rr.v[0], "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
	lookup(d, DNS_TXT, "nx.example.test", &a);                      /* REC-27 */
	assert_int_equal(a.status, DNS_NXDOMAIN);
	lookup(d, DNS_TLSA, "example.test", &a);
	assert_int_equal(a.status, DNS_NODATA);
	lookup(d, DNS_TXT, "_smtp._tls.servfail.example.test", &a);     /* REC-28 */
	assert_int_equal(a.status, DNS_SERVFAIL);
	dns_answer_clear(&a);
	dns_free(d);
}

static void
test_dns_live_answers_and_statuses(void **state)
{
	(void)state;
	live_answers_and_statuses(0);
	live_answers_and_statuses(1);
}

static void
live_timeout_is_enforced(int dnssec_unused)
{
	struct dns *d = live(700, dnssec_unused);
	struct dns_answer a = { 0 };
	struct timespec t0, t1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lookup(d, DNS_TXT, "x.timeout.example.test", &a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (a.status != DNS_TIMEOUT && a.status != DNS_SERVFAIL)
		fail_msg("status %s", dns_status_name(a.status));
	if (ms > 2000)
		fail_msg("lookup took %ld ms with a 700 ms timeout", ms);
	dns_answer_clear(&a);
	dns_free(d);
}

static void
test_dns_live_timeout_is_enforced(void **state)
{
	(void)state;
	live_timeout_is_enforced(0);
	live_timeout_is_enforced(1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_name_to_ascii_converts_idn_labels),
		cmocka_unit_test(test_dns_rdata_txt_concatenates_strings_without_space),
		cmocka_unit_test(test_dns_rdata_mx_sorted_by_preference),
		cmocka_unit_test(test_dns_rdata_tlsa_presentation_is_upper_hex),
		cmocka_unit_test(test_dns_rdata_addresses),
		cmocka_unit_test(test_dns_stub_receives_a_label_name),
		cmocka_unit_test(test_dns_new_rejects_bad_resolver),
		cmocka_unit_test(test_dns_transport_is_c_ares_only_towards_loopback),
		cmocka_unit_test(test_dns_unreachable_resolver_is_not_waited_for_again),
	};
	const struct CMUnitTest live_tests[] = {
		cmocka_unit_test(test_dns_live_answers_and_statuses),
		cmocka_unit_test(test_dns_live_timeout_is_enforced),
	};

	/* cmocka prints skipped tests as "not ok # SKIP"; register the live
	 * ones only when there is a server */
	if (getenv("TLSRPT_DNS_SERVER") != NULL)
		return cmocka_run_group_tests(live_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
