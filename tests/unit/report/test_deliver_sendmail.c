/* Unit tests for report/deliver_sendmail: a real /bin/sh command; exit
 * statuses mapped to outcomes, CRLF written as LF, and the time limit
 * (a hung command is killed, one that ignores SIGTERM too). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "report/deliver_sendmail.h"

static const char msg[] = "To: a@example.test\r\nSubject: x\r\n\r\nbody\r\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_message_reaches_the_command_with_lf_line_ends(void **state)
{
	char dir[] = "/tmp/tlsrpt-sendmail.XXXXXX", cmd[128], path[96], got[128];
	struct err err = { "" };
	FILE *f;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/m", dir);
	snprintf(cmd, sizeof(cmd), "cat > '%s'", path);
	assert_int_equal(deliver_sendmail(cmd, msg, strlen(msg), 10, &err), DELIVER_OK);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	assert_string_equal(got, "To: a@example.test\nSubject: x\n\nbody\n");
	unlink(path);
	rmdir(dir);
}

static void
test_exit_status_75_is_retried_others_are_final(void **state)
{
	struct err err = { "" };

	(void)state;
	assert_int_equal(deliver_sendmail("cat >/dev/null; exit 75", msg, strlen(msg), 10, &err),
			 DELIVER_TEMPFAIL);
	assert_int_equal(deliver_sendmail("cat >/dev/null; exit 67", msg, strlen(msg), 10, &err),
			 DELIVER_PERMFAIL);
	assert_non_null(strstr(err.msg, "exited with status 67"));
}

static void
test_a_hung_command_is_killed_at_the_time_limit(void **state)
{
	struct err err = { "" };
	double t0 = now_s(), t;

	(void)state;
	assert_int_equal(deliver_sendmail("exec sleep 20", msg, strlen(msg), 1, &err),
			 DELIVER_TEMPFAIL);
	t = now_s() - t0;
	assert_true(t >= 0.9 && t < 10);
	assert_non_null(strstr(err.msg, "still running after 1 s"));
}

static void
test_a_command_ignoring_sigterm_gets_sigkill(void **state)
{
	struct err err = { "" };
	double t0 = now_s(), t;

	(void)state;
	assert_int_equal(deliver_sendmail("trap '' TERM; cat >/dev/null; while :; do sleep 1; done",
					  msg, strlen(msg), 1, &err),
			 DELIVER_TEMPFAIL);
	t = now_s() - t0;
	assert_true(t >= 2.9 && t < 15);  /* 1 s, then 2 s of grace after SIGTERM */
	assert_non_null(strstr(err.msg, "killed"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_reaches_the_command_with_lf_line_ends),
		cmocka_unit_test(test_exit_status_75_is_retried_others_are_final),
		cmocka_unit_test(test_a_hung_command_is_killed_at_the_time_limit),
		cmocka_unit_test(test_a_command_ignoring_sigterm_gets_sigkill),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
