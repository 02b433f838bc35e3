/* Unit tests for ingest/imap: option checks and mailbox naming (no
 * network; the protocol is tested against Dovecot in
 * tests/integration/test_fetch_imap.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/imap.h"

static const struct {
	const char *url, *user, *mailbox;
	const char *want_key;     /* NULL: refused */
	const char *want_error;   /* part of the message when refused */
} cases[] = {
	{ "imaps://mail.example:993", "u", NULL, "u@mail.example/INBOX", NULL },
	{ "imaps://mail.example/Reports", "u", NULL, "u@mail.example/Reports", NULL },
	{ "imap://mail.example/Reports", "u", "Other", "u@mail.example/Other", NULL },
	{ "imaps://bob@mail.example", NULL, NULL, "bob@mail.example/INBOX", NULL },
	{ "imaps://bob@mail.example", "carol", NULL, "carol@mail.example/INBOX", NULL },
	{ "https://mail.example", "u", NULL, NULL, "scheme must be imaps://" },
	{ "pop3://mail.example", "u", NULL, NULL, "scheme must be imaps://" },
	{ "imaps://mail.example", NULL, NULL, NULL, "no user name" },
	{ "not a url at all", "u", NULL, NULL, "not a URL" },
};

static void
test_imap_open_checks_url_and_names_mailbox(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_options o = { cases[i].url, cases[i].mailbox, cases[i].user,
					  "pw", NULL, 1024, 5 };
		struct err err = { "" };
		struct imap *m = imap_open(&o, &err);

		if (cases[i].want_key != NULL) {
			if (m == NULL)
				fail_msg("%s: refused: %s", cases[i].url, err.msg);
			assert_string_equal(imap_mailbox_key(m), cases[i].want_key);
		} else {
			if (m != NULL)
				fail_msg("%s: accepted", cases[i].url);
			if (strstr(err.msg, cases[i].want_error) == NULL)
				fail_msg("%s: error \"%s\" lacks \"%s\"", cases[i].url,
					 err.msg, cases[i].want_error);
		}
		imap_close(&m);
		assert_null(m);
	}
}

static void
test_imap_examine_reports_connection_failure(void **state)
{
	/* Port 1 on loopback: nothing listens, the error says where. */
	struct imap_options o = { "imaps://127.0.0.1:1", NULL, "u", "pw", NULL, 1024, 5 };
	struct err err = { "" };
	struct imap *m = imap_open(&o, &err);
	uint64_t v;

	(void)state;
	assert_non_null(m);
	assert_int_equal(imap_examine(m, &v, &err), -1);
	assert_non_null(strstr(err.msg, "u@127.0.0.1/INBOX: EXAMINE: "));
	imap_close(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_open_checks_url_and_names_mailbox),
		cmocka_unit_test(test_imap_examine_reports_connection_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
