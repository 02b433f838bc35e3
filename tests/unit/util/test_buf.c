/* Unit tests for util/buf: bounded growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/buf.h"

static void
test_buf_append_within_max_keeps_nul_terminated_text(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_append_str(&b, "hello"), 0);
	assert_int_equal(buf_printf(&b, "%d", 1234), 0);
	assert_string_equal(b.data, "hello1234");
	assert_int_equal(b.len, 9);
	buf_free(&b);
}

static void
test_buf_append_past_max_fails_and_keeps_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "12345"), 0);
	assert_int_equal(buf_append_str(&b, "6789"), -1);
	assert_int_equal(buf_printf(&b, "%s", "abcd"), -1);
	assert_string_equal(b.data, "12345");
	assert_int_equal(buf_append_str(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	buf_free(&b);
}

/* buf_extend(): room counted in and NUL-terminated; past the maximum NULL
 * and nothing changed. */
static void
test_buf_extend_gives_room_within_max(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 8);
	buf_append_str(&b, "ab");
	p = buf_extend(&b, 4);
	assert_non_null(p);
	memcpy(p, "cdef", 4);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	assert_null(buf_extend(&b, 3));
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	b.len = 3;              /* written less than asked for */
	b.data[b.len] = '\0';
	assert_string_equal(b.data, "abc");
	buf_free(&b);
}

static void
test_buf_steal_hands_over_data(void **state)
{
	struct buf b;
	size_t len;
	char *s;

	(void)state;
	buf_init(&b, 100);
	s = buf_steal(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	s = buf_steal(&b, &len);
	assert_string_equal(s, "ab");
	assert_null(b.data);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_within_max_keeps_nul_terminated_text),
		cmocka_unit_test(test_buf_append_past_max_fails_and_keeps_content),
		cmocka_unit_test(test_buf_extend_gives_room_within_max),
		cmocka_unit_test(test_buf_steal_hands_over_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
