/* Unit tests for alert/alert_mail: the text and the gmime-built message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert/alert_mail.h"
#include "util/xalloc.h"

static void
one_item(struct alert_list *l)
{
	struct alert_item *it;

	l->v = xcalloc(1, sizeof(*l->v));
	l->n = 1;
	it = &l->v[0];
	it->domain = xstrdup("example.com");
	it->result_type = xstrdup("certificate-expired");
	it->type = RESULT_CERTIFICATE_EXPIRED;
	it->mx = xstrdup("mx.example.com");
	it->count = 7;
	it->domain_success = 93;
	it->domain_failure = 7;
	it->first_seen = 1709251200;
	it->last_seen = 1709337599;
	it->organizations = xstrdup("Google Inc.");
	it->sending_ips = xstrdup("192.0.2.1");
	it->explanation = xstrdup("The certificate expired.");
	it->fix = xstrdup("Renew it.");
	it->key = xstrdup("k");
}

static void
test_alert_mail_body_has_where_how_much_and_fix(void **state)
{
	struct alert_list l = { 0 };
	struct alert_config c = { .threshold_rate = 0.01, .since = 1709251200 };
	char *body, *subject;

	(void)state;
	one_item(&l);
	body = alert_mail_body(&l, &c);
	subject = alert_mail_subject(&l);
	assert_string_equal(subject, "TLSRPT: 1 new TLS failure for example.com");
	assert_non_null(strstr(body, "1. example.com: certificate-expired at MX mx.example.com\n"));
	assert_non_null(strstr(body, "7 failed sessions (2024-03-01 to 2024-03-01)"));
	assert_non_null(strstr(body, "7.00 % of 100 sessions"));
	assert_non_null(strstr(body, "What to do: Renew it.\n"));
	free(body);
	free(subject);
	alert_list_free(&l);
}

static void
test_alert_mail_compose_builds_crlf_message_with_headers(void **state)
{
	struct err err;
	size_t len = 0;
	char *m;

	(void)state;
	m = alert_mail_compose("TLSRPT <tlsrpt@example.org>", "a@example.com, B <b@example.net>",
			       "Subject with ümlaut", "line one\nline two\n", 1709251200, &len, &err);
	assert_non_null(m);
	assert_int_equal(strlen(m), len);
	assert_non_null(strstr(m, "\r\nTo: a@example.com, B <b@example.net>\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: Subject with =?UTF-8?"));   /* RFC 2047 */
	assert_non_null(strstr(m, "Auto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(m, "@example.org>\r\n"));
	assert_non_null(strstr(m, "\r\n\r\nline one\r\nline two\r\n"));
	free(m);
	assert_null(alert_mail_compose("not an address", "", "s", "b", 0, &len, &err));
	assert_non_null(strstr(err.msg, "does not parse"));
}

static void
test_alert_mail_addresses_table(void **state)
{
	static const struct {
		const char *in;
		int want;
		const char *first;
	} cases[] = {
		{ "a@example.com", 1, "a@example.com" },
		{ "Admin <admin@example.test>, b@x.example", 2, "admin@example.test" },
		{ "nobody", -1, NULL },
		{ "", -1, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strlist l = { 0 };
		struct err err;

		assert_int_equal(alert_mail_addresses(cases[i].in, &l, &err), cases[i].want);
		if (cases[i].first != NULL)
			assert_string_equal(l.v[0], cases[i].first);
		strlist_clear(&l);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_mail_body_has_where_how_much_and_fix),
		cmocka_unit_test(test_alert_mail_compose_builds_crlf_message_with_headers),
		cmocka_unit_test(test_alert_mail_addresses_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
