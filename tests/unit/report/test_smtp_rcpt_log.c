/* Unit tests for report/smtp_rcpt_log: pairing each RCPT TO in libcurl's
 * trace with its reply (what deliver_smtp_many() names in its warnings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/smtp_rcpt_log.h"

#define OUT 1
#define IN 0

struct piece {
	int out;            /* OUT: client command; IN: server reply line(s) */
	const char *text;
};

struct trace_case {
	const char *name;
	struct piece trace[16];   /* ends at text == NULL */
	const char *want[4];      /* the replies, in RCPT TO order; ends at NULL */
};

static const struct trace_case cases[] = {
	{ "one accepted, one refused, one temporarily refused", {
		{ IN, "220 sink.test ESMTP\r\n" },
		{ OUT, "EHLO client\r\n" },
		{ IN, "250-sink.test\r\n" }, { IN, "250 HELP\r\n" },
		{ OUT, "MAIL FROM:<a@x>\r\n" }, { IN, "250 OK\r\n" },
		{ OUT, "RCPT TO:<b@y>\r\n" }, { IN, "250 OK\r\n" },
		{ OUT, "RCPT TO:<reject@y>\r\n" }, { IN, "550 5.1.1 Rejected\r\n" },
		{ OUT, "RCPT TO:<tempfail@y>\r\n" }, { IN, "451 4.3.0 Try later\r\n" },
		{ OUT, "DATA\r\n" }, { IN, "354 End data with <CR><LF>.<CR><LF>\r\n" },
		{ IN, "250 2.0.0 OK stored\r\n" }, { 0, NULL } },
	  { "250 OK", "550 5.1.1 Rejected", "451 4.3.0 Try later", NULL } },
	{ "multi-line reply joined; AUTH and its reply not kept", {
		{ OUT, "AUTH PLAIN c2VjcmV0\r\n" }, { IN, "235 2.7.0 Authentication successful\r\n" },
		{ OUT, "RCPT TO:<a@y>\r\n" },
		{ IN, "550-5.1.1 The mailbox does not exist\r\n" },
		{ IN, "550 5.1.1 Check the address\r\n" },
		{ IN, "250 stray line after the reply ended\r\n" },
		{ OUT, "rcpt to:<b@y>\r\n" }, { IN, "250\r\n" }, { 0, NULL } },
	  { "550-5.1.1 The mailbox does not exist 550 5.1.1 Check the address", "250", NULL } },
	{ "several lines in one piece", {
		{ OUT, "RCPT TO:<a@y>\r\n" }, { IN, "452-4.5.3 Too many\r\n452 4.5.3 recipients\r\n" },
		{ OUT, "RCPT TO:<b@y>\r\n" }, { IN, "250 OK\r\n" }, { 0, NULL } },
	  { "452-4.5.3 Too many 452 4.5.3 recipients", "250 OK", NULL } },
	{ "connection lost before the reply", {
		{ OUT, "RCPT TO:<a@y>\r\n" }, { OUT, "QUIT\r\n" }, { IN, "221 Bye\r\n" }, { 0, NULL } },
	  { "", NULL } },
};

static void
test_smtp_rcpt_log_pairs_each_rcpt_to_with_its_reply(void **state)
{
	size_t c, i, n;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct smtp_rcpt_log l = { 0 };

		for (i = 0; cases[c].trace[i].text != NULL; i++)
			smtp_rcpt_log_feed(&l, cases[c].trace[i].out, cases[c].trace[i].text,
					   strlen(cases[c].trace[i].text));
		for (n = 0; cases[c].want[n] != NULL; n++)
			;
		if (l.reply.n != n)
			fail_msg("%s: %zu replies, want %zu", cases[c].name, l.reply.n, n);
		for (i = 0; i < n; i++)
			if (strcmp(l.reply.v[i], cases[c].want[i]) != 0)
				fail_msg("%s: reply %zu is \"%s\", want \"%s\"", cases[c].name, i,
					 l.reply.v[i], cases[c].want[i]);
		smtp_rcpt_log_clear(&l);
		assert_int_equal(l.reply.n, 0);
	}
}

static void
test_smtp_rcpt_log_accepted_means_2xx(void **state)
{
	(void)state;
	assert_int_equal(smtp_rcpt_log_accepted("250 OK"), 1);
	assert_int_equal(smtp_rcpt_log_accepted("251 User not local; will forward"), 1);
	assert_int_equal(smtp_rcpt_log_accepted("550 5.1.1 Rejected"), 0);
	assert_int_equal(smtp_rcpt_log_accepted("451 4.3.0 Try later"), 0);
	assert_int_equal(smtp_rcpt_log_accepted(""), 0);
	assert_int_equal(smtp_rcpt_log_accepted("2"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smtp_rcpt_log_pairs_each_rcpt_to_with_its_reply),
		cmocka_unit_test(test_smtp_rcpt_log_accepted_means_2xx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
