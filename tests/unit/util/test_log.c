/* Unit tests for util/log: the level threshold and the "notice" name,
 * with stderr sent to a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/log.h"

/* Runs the log calls of fn with stderr in a file; returns what was written
 * (caller frees). */
static char *
capture(void (*fn)(void))
{
	char path[] = "/tmp/tlsrpt-test-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *out = calloc(1, 4096);
	FILE *f;
	size_t n;

	assert_true(fd >= 0 && saved >= 0 && out != NULL);
	fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	fn();
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, 4095, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	return out;
}

static void
log_at_warn(void)
{
	log_init("t", LOG_LEVEL_WARN, 0);
	log_notice("%s: skipped", "mail");
	log_warn("bad %d", 1);
	log_info("not shown");
}

static void
log_at_error(void)
{
	log_init("t", LOG_LEVEL_ERROR, 0);
	log_notice("not shown");
	log_error("only this");
}

static void
test_log_notice_shown_with_warnings(void **state)
{
	char *out = capture(log_at_warn);

	(void)state;
	assert_string_equal(out, "t: notice: mail: skipped\nt: warning: bad 1\n");
	free(out);
}

static void
test_log_notice_hidden_below_warnings(void **state)
{
	char *out = capture(log_at_error);

	(void)state;
	assert_string_equal(out, "t: error: only this\n");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_notice_shown_with_warnings),
		cmocka_unit_test(test_log_notice_hidden_below_warnings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
