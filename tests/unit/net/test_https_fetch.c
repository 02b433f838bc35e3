/*
 * Unit tests for net/https_fetch that need no server: URL scheme rule and
 * a refused loopback connection.  Fetches from a real HTTPS server (200,
 * redirect not followed, certificate errors) are in
 * tests/integration/test_check.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "net/https_fetch.h"

static void
test_https_get_refuses_plain_http(void **state)
{
	struct https_options o = { 0 };
	struct https_response r = { 0 };
	struct err err = { { 0 } };

	(void)state;
	assert_int_equal(https_get(&o, "http://127.0.0.1:1/x", &r, &err), -1);
	assert_non_null(strstr(err.msg, "not an https URL"));
	assert_int_equal(r.status, 0);
}

static void
test_https_get_reports_refused_connection(void **state)
{
	struct https_options o = { .timeout_ms = 2000 };
	struct https_response r = { 0 };
	struct err err = { { 0 } };

	(void)state;
	/* port 1 on loopback: nothing listens, the kernel refuses at once */
	assert_int_equal(https_get(&o, "https://127.0.0.1:1/.well-known/mta-sts.txt", &r, &err), -1);
	assert_int_equal(r.cert_error, 0);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	https_response_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_https_get_refuses_plain_http),
		cmocka_unit_test(test_https_get_reports_refused_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
