/* Unit tests for report/privacy: which sending-mta-ip are internal, free
 * text scrubbing, and the omit options (RFC 8460 §7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/privacy.h"
#include "util/xalloc.h"

static void
test_internal_addresses_are_told_from_public_ones(void **state)
{
	static const struct { const char *ip; int internal; } cases[] = {
		{ "10.1.2.3", 1 }, { "172.16.0.1", 1 }, { "172.31.255.255", 1 },
		{ "192.168.1.1", 1 }, { "127.0.0.1", 1 }, { "169.254.10.1", 1 },
		{ "100.64.0.1", 1 }, { "0.0.0.0", 1 },
		{ "172.32.0.1", 0 }, { "192.0.2.10", 0 }, { "8.8.8.8", 0 }, { "100.128.0.1", 0 },
		{ "::1", 1 }, { "::", 1 }, { "fe80::1", 1 }, { "fd00::5", 1 }, { "fc12::1", 1 },
		{ "fec0::1", 1 }, { "::ffff:192.168.0.1", 1 }, { "::ffff:10.0.0.1", 1 },
		{ "2001:db8::1", 0 }, { "2a00:1450::1", 0 }, { "::ffff:192.0.2.1", 0 },
		{ "not-an-ip", 1 }, { "", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (privacy_ip_is_internal(cases[i].ip) != cases[i].internal)
			fail_msg("%s: want internal=%d", cases[i].ip, cases[i].internal);
	}
}

static void
test_free_text_loses_addresses_and_control_characters(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "certificate expired", "certificate expired" },
		{ "550 5.1.1 <alice@example.com>: unknown",
		  "550 5.1.1 <[address removed]>: unknown" },
		{ "from bob.smith+tag@mail.example.org to c@d.example",
		  "from [address removed] to [address removed]" },
		{ "rejected: x\r\nSubject: secret\r\n\r\nBody", "rejected: x" },
		{ "tab\there", "tab here" },
		{ "a @ b, x@ and @y stay", "a @ b, x@ and @y stay" },
		{ "\"quoted\"@example.net", "[address removed]" },
		{ "", "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = privacy_scrub_text(cases[i].in);

		assert_string_equal(s, cases[i].out);
		free(s);
	}
	assert_null(privacy_scrub_text(NULL));
}

static void
test_long_text_is_cut_on_a_character_boundary(void **state)
{
	char in[PRIVACY_TEXT_MAX * 2 + 1];
	char *s;

	(void)state;
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	s = privacy_scrub_text(in);
	assert_int_equal(strlen(s), PRIVACY_TEXT_MAX);
	free(s);
	/* "é" (2 bytes) straddling the limit is dropped whole */
	memset(in, 'a', sizeof(in) - 1);
	in[PRIVACY_TEXT_MAX - 1] = (char)0xc3;
	in[PRIVACY_TEXT_MAX] = (char)0xa9;
	s = privacy_scrub_text(in);
	assert_int_equal(strlen(s), PRIVACY_TEXT_MAX - 1);
	free(s);
}

static void
test_apply_defaults_and_omit_options(void **state)
{
	static const struct {
		struct report_privacy p;
		const char *ip;
		int want_ip, want_code, want_helo, want_info;
	} cases[] = {
		{ { 0 }, "192.0.2.1", 1, 1, 1, 1 },
		{ { 0 }, "10.0.0.1", 0, 1, 1, 1 },
		{ { 0 }, "fe80::1", 0, 1, 1, 1 },
		{ { .send_private_ip = 1 }, "10.0.0.1", 1, 1, 1, 1 },
		{ { .omit_sending_mta_ip = 1 }, "192.0.2.1", 0, 1, 1, 1 },
		{ { .omit_failure_reason_code = 1 }, "192.0.2.1", 1, 0, 1, 1 },
		{ { .omit_receiving_mx_helo = 1 }, "192.0.2.1", 1, 1, 0, 1 },
		{ { .omit_additional_information = 1 }, "192.0.2.1", 1, 1, 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct failure_detail d = { 0 };

		d.sending_mta_ip = xstrdup(cases[i].ip);
		d.failure_reason_code = xstrdup("rcpt x@example.com refused");
		d.receiving_mx_helo = xstrdup("mx.example.com");
		d.additional_information = xstrdup("see postmaster@example.com");
		privacy_apply(&cases[i].p, &d);
		assert_int_equal(d.sending_mta_ip != NULL, cases[i].want_ip);
		assert_int_equal(d.failure_reason_code != NULL, cases[i].want_code);
		assert_int_equal(d.receiving_mx_helo != NULL, cases[i].want_helo);
		assert_int_equal(d.additional_information != NULL, cases[i].want_info);
		if (d.failure_reason_code)
			assert_string_equal(d.failure_reason_code, "rcpt [address removed] refused");
		if (d.additional_information)
			assert_string_equal(d.additional_information, "see [address removed]");
		free(d.sending_mta_ip);
		free(d.failure_reason_code);
		free(d.receiving_mx_helo);
		free(d.additional_information);
	}
}

static void
test_parse_omit_takes_field_lists_and_refuses_unknown_names(void **state)
{
	static const struct { const char *in; int rc, ip, code, helo, info; } cases[] = {
		{ "", 0, 0, 0, 0, 0 },
		{ "none", 0, 0, 0, 0, 0 },
		{ "sending-mta-ip", 0, 1, 0, 0, 0 },
		{ "failure-reason-code, additional-information", 0, 0, 1, 0, 1 },
		{ "receiving-mx-helo,sending-mta-ip", 0, 1, 0, 1, 0 },
		{ "sending-mta-ip,bogus", -1, 0, 0, 0, 0 },
	};
	struct err err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report_privacy p = { .send_private_ip = 1 };

		assert_int_equal(privacy_parse_omit(&p, cases[i].in, &err), cases[i].rc);
		assert_int_equal(p.omit_sending_mta_ip, cases[i].ip);
		assert_int_equal(p.omit_failure_reason_code, cases[i].code);
		assert_int_equal(p.omit_receiving_mx_helo, cases[i].helo);
		assert_int_equal(p.omit_additional_information, cases[i].info);
		assert_int_equal(p.send_private_ip, 1);
		if (cases[i].rc < 0)
			assert_non_null(strstr(err.msg, "\"bogus\""));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_internal_addresses_are_told_from_public_ones),
		cmocka_unit_test(test_free_text_loses_addresses_and_control_characters),
		cmocka_unit_test(test_long_text_is_cut_on_a_character_boundary),
		cmocka_unit_test(test_apply_defaults_and_omit_options),
		cmocka_unit_test(test_parse_omit_takes_field_lists_and_refuses_unknown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
