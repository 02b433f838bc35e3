/* Unit tests for serve/serve_metrics: label escaping (exposition format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "serve/serve_private.h"

static void
test_serve_metrics_escape_table(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "example.com", "example.com" },
		{ "", "" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "\"}\nevil_metric 1\n", "\\\"}\\nevil_metric 1\\n" },
		{ "Ünïcode", "Ünïcode" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 1024);
		assert_int_equal(serve_metrics_escape(&b, cases[i].in), 0);
		assert_string_equal(b.data != NULL ? b.data : "", cases[i].want);
		buf_free(&b);
	}
}

static void
test_serve_metrics_escape_fails_past_buffer_limit(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(serve_metrics_escape(&b, "\"\"\""), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serve_metrics_escape_table),
		cmocka_unit_test(test_serve_metrics_escape_fails_past_buffer_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
