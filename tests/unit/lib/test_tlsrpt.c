/*
 * Unit tests for lib/tlsrpt.c, building the datagram: byte-identical to
 * sys4 libtlsrpt's (research/sys4.md §2, captured with Postfix's call
 * sequence), misuse returns error codes instead of crashing, errors stick,
 * and allocation failure at every point.  (Sending: test_tlsrpt_send.c.)
 * Datagrams are captured on a real bound unix datagram socket.
 */
#include "lib_sink.h"

static void
test_tlsrpt_datagrams_are_byte_identical_to_sys4(void **state)
{
	struct sink s;
	char buf[4096];

	(void)state;
	sink_open(&s);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		ssize_t n;

		assert_int_equal(postfix_report(s.path, &events[i]), 0);
		n = sink_recv(&s, buf, sizeof(buf));
		assert_int_equal(n, (ssize_t)events[i].want_len);
		assert_int_equal(strlen(events[i].want), events[i].want_len);
		assert_memory_equal(buf, events[i].want, events[i].want_len);
	}
	sink_close(&s);
}

static void
test_tlsrpt_escapes_like_sys4_and_passes_high_bytes(void **state)
{
	static const char want[] =
		"{\"dpv\": \"1\",\"d\": \"a\\\"b\\\\c\",\"pr\": \"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f/\xc3\xa9\xff\","
		"\"policies\":[{\"policy-type\":2,\"mx-host\":[\"\",\"x\"],\"failure-details\":"
		"[{\"c\":301},{\"c\":205,\"a\": \"\",\"f\": \"why\"}],\"t\":2,\"f\":1},"
		"{\"policy-type\":9,\"policy-domain\": \"\",\"t\":0,\"f\":0}]}";
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[4096];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "a\"b\\c",
						      "\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xff"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, NULL), 0);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, ""), 0);
	assert_int_equal(tlsrpt_add_delivery_request_failure(dr, TLSRPT_STS_POLICY_FETCH_ERROR,
							     NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, "x"), 0);
	assert_int_equal(tlsrpt_add_delivery_request_failure(dr, TLSRPT_VALIDATION_FAILURE,
							     NULL, NULL, NULL, NULL, "", "why"), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_NO_POLICY_FOUND, ""), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS), 0);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_null(dr);
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(tlsrpt_close(&con), 0);
	assert_null(con);
	sink_close(&s);
}

/* An enum value out of range (here -1, as a caller's cast of an error
 * value gives) is written as sys4 writes it, "%d": -1, not 4294967295. */
static void
test_tlsrpt_out_of_range_enums_are_written_signed_like_sys4(void **state)
{
	static const char want[] =
		"{\"dpv\": \"1\",\"d\": \"d\",\"pr\": \"p\","
		"\"policies\":[{\"policy-type\":-1,\"failure-details\":[{\"c\":-1}],"
		"\"t\":1,\"f\":-1}]}";
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[4096];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "p"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, (tlsrpt_policy_type_t)-1, NULL), 0);
	assert_int_equal(tlsrpt_add_delivery_request_failure(dr, (tlsrpt_failure_t)-1,
							     NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, (tlsrpt_final_result_t)-1), 0);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(tlsrpt_close(&con), 0);
	sink_close(&s);
}

static void
test_tlsrpt_null_arguments_return_errors(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;

	(void)state;
	assert_int_equal(tlsrpt_open(NULL, "/x"), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_open(&con, NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(con);
	assert_int_equal(tlsrpt_close(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_close(&con), 0);
	assert_int_equal(tlsrpt_get_socket(NULL), -1);
	assert_int_equal(tlsrpt_init_delivery_request(NULL, NULL, "d", "r"),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, NULL, "d", "r"),
			 TLSRPT_ERR_TLSRPT_NOCONNECTION);
	assert_null(dr);
	assert_int_equal(tlsrpt_open(&con, "/nonexistent/socket"), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, NULL, "r"),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", NULL),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_policy(NULL, TLSRPT_POLICY_STS, "d"),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_policy_string(NULL, "x"), TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_mx_host_pattern(NULL, "x"), TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_delivery_request_failure(NULL, TLSRPT_DANE_REQUIRED, NULL, NULL,
							     NULL, NULL, NULL, NULL),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_finish_policy(NULL, TLSRPT_FINAL_SUCCESS),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_finish_delivery_request(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_int_equal(tlsrpt_cancel_delivery_request(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), 0);

	/* A NULL string inside a policy sticks. */
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, NULL), 0);
	assert_int_equal(tlsrpt_add_policy_string(dr, NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, "ok"), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_close(&con), 0);
}

/* Wrong call orders: the code each gives, and that it sticks (nothing sent). */
struct order_case {
	const char *name;
	int steps[4];                   /* 1 init_policy, 2 add ps, 3 add mx, 4 add failure, 5 finish_policy */
	int want;
};

static int
do_step(struct tlsrpt_dr_t *dr, int step)
{
	switch (step) {
	case 1: return tlsrpt_init_policy(dr, TLSRPT_POLICY_TLSA, "p");
	case 2: return tlsrpt_add_policy_string(dr, "s");
	case 3: return tlsrpt_add_mx_host_pattern(dr, "m");
	case 4: return tlsrpt_add_delivery_request_failure(dr, TLSRPT_TLSA_INVALID, "1", "2", "3",
							   "4", "5", "6");
	case 5: return tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
	default: return 0;
	}
}

static const struct order_case orders[] = {
	{ "policy string before init_policy", { 2, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED },
	{ "mx host before init_policy", { 3, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMMX_NOT_INITIALIZED },
	{ "failure before init_policy", { 4, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED },
	{ "finish_policy before init_policy", { 5, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED },
	{ "nested init_policy", { 1, 1, 0 }, TLSRPT_ERR_TLSRPT_NESTEDPOLICY },
	{ "failure after finish_policy", { 1, 5, 4, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED },
	{ "finish request inside a policy", { 1, 2, 0 }, TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY },
	{ "finish request without policy", { 0 }, TLSRPT_ERR_TLSRPT_NOPOLICIES },
};

static void
test_tlsrpt_wrong_call_order_returns_sticky_error_and_sends_nothing(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct sink s;
	char buf[512];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		struct tlsrpt_dr_t *dr = NULL;
		int first = 0;

		assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
		for (int k = 0; k < 4 && orders[i].steps[k] != 0; k++) {
			int rc = do_step(dr, orders[i].steps[k]);

			if (first == 0)
				first = rc;
		}
		if (orders[i].want == TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY ||
		    orders[i].want == TLSRPT_ERR_TLSRPT_NOPOLICIES) {
			/* only finish_delivery_request can notice these */
			assert_int_equal(first, 0);
		} else {
			assert_int_equal(first, orders[i].want);
			/* sticks: a valid call now returns the same code */
			assert_int_equal(do_step(dr, 3), orders[i].want);
		}
		assert_int_equal(tlsrpt_finish_delivery_request(&dr), orders[i].want);
		assert_null(dr);
		assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
	}
	tlsrpt_close(&con);
	sink_close(&s);
}

static void
test_tlsrpt_cancel_returns_previous_status_and_sends_nothing(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[512];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS), 0);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), 0);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), TLSRPT_ERR_TLSRPT_NESTEDPOLICY);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), TLSRPT_ERR_TLSRPT_NESTEDPOLICY);
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
	tlsrpt_close(&con);
	sink_close(&s);
}

/* Allocator that fails after `budget` allocations. */
static long budget;
static long live;

static void *
failing_malloc(size_t n)
{
	if (budget-- <= 0)
		return NULL;
	live++;
	return malloc(n);
}

static void
counting_free(void *p)
{
	live--;
	free(p);
}

static void
test_tlsrpt_allocation_failure_is_an_error_code_at_every_point(void **state)
{
	char big[3000];
	struct sink s;
	char buf[16384];
	int done = 0;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sink_open(&s);
	tlsrpt_set_malloc_and_free(failing_malloc, counting_free);
	for (long n = 0; n < 100 && !done; n++) {
		struct tlsrpt_connection_t *con = NULL;
		struct tlsrpt_dr_t *dr = NULL;
		int rc;

		budget = n;
		live = 0;
		rc = tlsrpt_open(&con, s.path);
		if (rc == 0)
			rc = tlsrpt_init_delivery_request(&dr, con, big, "r");
		if (rc == 0) {
			tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, big);
			tlsrpt_add_policy_string(dr, big);
			tlsrpt_add_mx_host_pattern(dr, big);
			tlsrpt_add_delivery_request_failure(dr, TLSRPT_STS_POLICY_INVALID, big, NULL,
							    NULL, NULL, NULL, NULL);
			tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
			rc = tlsrpt_finish_delivery_request(&dr);
		}
		tlsrpt_close(&con);
		assert_int_equal(live, 0);
		if (rc == 0) {
			done = 1;
			assert_true(sink_recv(&s, buf, sizeof(buf)) > 4 * 3000);
		} else {
			assert_int_equal(tlsrpt_errno_from_error_code(rc), ENOMEM);
			assert_false(tlsrpt_error_code_is_internal(rc));
			assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
		}
	}
	tlsrpt_set_malloc_and_free(NULL, NULL);
	assert_true(done);
	sink_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsrpt_datagrams_are_byte_identical_to_sys4),
		cmocka_unit_test(test_tlsrpt_escapes_like_sys4_and_passes_high_bytes),
		cmocka_unit_test(test_tlsrpt_out_of_range_enums_are_written_signed_like_sys4),
		cmocka_unit_test(test_tlsrpt_null_arguments_return_errors),
		cmocka_unit_test(test_tlsrpt_wrong_call_order_returns_sticky_error_and_sends_nothing),
		cmocka_unit_test(test_tlsrpt_cancel_returns_previous_status_and_sends_nothing),
		cmocka_unit_test(test_tlsrpt_allocation_failure_is_an_error_code_at_every_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
