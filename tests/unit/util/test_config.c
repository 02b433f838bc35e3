/* Unit tests for util/config: value syntax, file parsing, layering, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/config.h"

static const struct config_param table[] = {
	{ "name", CONFIG_STRING, "default-name", 0, 0, "a string" },
	{ "count", CONFIG_INT, "10", 1, 100, "an integer 1..100" },
	{ "flag", CONFIG_BOOL, "no", 0, 0, "a boolean" },
	{ "interval", CONFIG_DURATION, "1h", 1, 86400, "a duration up to a day" },
	{ "limit", CONFIG_SIZE, "1M", 0, INT64_C(1) << 40, "a size" },
	{ "empty", CONFIG_STRING, "", 0, 0, "empty by default" },
	{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
};

/* ---- value syntax ---------------------------------------------------- */

struct value_case {
	const char *text;
	int rc;
	int64_t want;
};

static void
test_config_parse_duration_accepts_units_and_rejects_junk(void **state)
{
	static const struct value_case cases[] = {
		{ "30", 0, 30 }, { "30s", 0, 30 }, { "5m", 0, 300 }, { "4h", 0, 14400 },
		{ "1d", 0, 86400 }, { "2w", 0, 1209600 }, { "0", 0, 0 },
		{ "", -1, 0 }, { "m", -1, 0 }, { "5x", -1, 0 }, { "5mm", -1, 0 },
		{ " 5m", -1, 0 }, { "5 m", -1, 0 }, { "1.5h", -1, 0 },
		{ "99999999999999999999d", -1, 0 }, { "9223372036854775807d", -1, 0 },
	};
	struct err err;
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -42;
		int rc = config_parse_duration(cases[i].text, &v, &err);
		if (rc != cases[i].rc)
			fail_msg("duration '%s': rc %d, want %d", cases[i].text, rc, cases[i].rc);
		if (rc == 0 && v != cases[i].want)
			fail_msg("duration '%s': %lld, want %lld", cases[i].text,
			    (long long)v, (long long)cases[i].want);
		if (rc < 0 && strstr(err.msg, "duration") == NULL && strstr(err.msg, "range") == NULL)
			fail_msg("duration '%s': message '%s' does not say why", cases[i].text, err.msg);
	}
}

static void
test_config_parse_size_accepts_units_and_rejects_junk(void **state)
{
	static const struct value_case cases[] = {
		{ "512", 0, 512 }, { "64k", 0, 65536 }, { "64K", 0, 65536 },
		{ "10M", 0, 10485760 }, { "10MB", 0, 10485760 }, { "1G", 0, 1073741824 },
		{ "", -1, 0 }, { "M", -1, 0 }, { "10X", -1, 0 }, { "10MBB", -1, 0 },
		{ "10 M", -1, 0 }, { "9223372036854775807k", -1, 0 },
	};
	struct err err;
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = config_parse_size(cases[i].text, &v, &err);
		if (rc != cases[i].rc)
			fail_msg("size '%s': rc %d, want %d", cases[i].text, rc, cases[i].rc);
		if (rc == 0 && v != cases[i].want)
			fail_msg("size '%s': %lld, want %lld", cases[i].text,
			    (long long)v, (long long)cases[i].want);
	}
}

static void
test_config_parse_bool_and_int(void **state)
{
	static const struct value_case bools[] = {
		{ "yes", 0, 1 }, { "YES", 0, 1 }, { "true", 0, 1 }, { "on", 0, 1 }, { "1", 0, 1 },
		{ "no", 0, 0 }, { "False", 0, 0 }, { "off", 0, 0 }, { "0", 0, 0 },
		{ "", -1, 0 }, { "y", -1, 0 }, { "2", -1, 0 }, { "yes please", -1, 0 },
	};
	static const struct value_case ints[] = {
		{ "0", 0, 0 }, { "42", 0, 42 }, { "-7", 0, -7 },
		{ "", -1, 0 }, { "4 2", -1, 0 }, { "42k", -1, 0 }, { "0x10", -1, 0 },
		{ "+1", -1, 0 }, { "99999999999999999999", -1, 0 },
	};
	struct err err;
	int64_t v;
	int b;

	(void)state;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		int rc = config_parse_bool(bools[i].text, &b, &err);
		if (rc != bools[i].rc || (rc == 0 && b != bools[i].want))
			fail_msg("bool '%s': rc %d value %d", bools[i].text, rc, b);
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		int rc = config_parse_int(ints[i].text, &v, &err);
		if (rc != ints[i].rc || (rc == 0 && v != ints[i].want))
			fail_msg("int '%s': rc %d value %lld", ints[i].text, rc, (long long)v);
	}
}

/* ---- file parsing ---------------------------------------------------- */

static void
test_config_new_holds_defaults(void **state)
{
	struct err err;
	struct config *c;

	(void)state;
	c = config_new(table, &err);
	assert_non_null(c);
	assert_int_equal(config_count(c), 6);
	assert_string_equal(config_get_string(c, "name"), "default-name");
	assert_int_equal(config_get_int(c, "count"), 10);
	assert_int_equal(config_get_bool(c, "flag"), 0);
	assert_int_equal(config_get_int(c, "interval"), 3600);
	assert_int_equal(config_get_int(c, "limit"), 1048576);
	assert_string_equal(config_get_string(c, "empty"), "");
	assert_string_equal(config_origin_at(c, 0), "default");
	config_free(&c);
	assert_null(c);
}

static void
test_config_new_rejects_bad_default(void **state)
{
	static const struct config_param bad[] = {
		{ "count", CONFIG_INT, "0", 1, 10, "below its own minimum" },
		{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
	};
	struct err err;

	(void)state;
	assert_null(config_new(bad, &err));
	assert_non_null(strstr(err.msg, "built-in default"));
	assert_non_null(strstr(err.msg, "count"));
}

static void
test_config_parse_text_reads_values_comments_and_continuations(void **state)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "name = hello # not a comment\n"
	    "   # an indented comment is still a comment\n"
	    "count=42\r\n"
	    "flag =   yes   \n"
	    "interval = 5m\n"
	    "limit = 10M\n"
	    "empty = one\n"
	    "  two\n"
	    "\tthree\n"
	    "count = 43\n";   /* the later line wins */
	struct err err;
	struct config *c;

	(void)state;
	c = config_new(table, &err);
	assert_non_null(c);
	if (config_parse_text(c, text, strlen(text), "t.conf", &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(config_get_string(c, "name"), "hello # not a comment");
	assert_int_equal(config_get_int(c, "count"), 43);
	assert_int_equal(config_get_bool(c, "flag"), 1);
	assert_int_equal(config_get_int(c, "interval"), 300);
	assert_int_equal(config_get_int(c, "limit"), 10485760);
	assert_string_equal(config_get_string(c, "empty"), "one two three");
	assert_string_equal(config_origin_at(c, 1), "t.conf:12");
	assert_string_equal(config_origin_at(c, 5), "t.conf:9");
	config_free(&c);
}

struct error_case {
	const char *text;
	const char *want;   /* substring of the message */
};

static void
test_config_parse_text_errors_name_file_and_line(void **state)
{
	static const struct error_case cases[] = {
		{ "bogus = 1\n", "t.conf:1: unknown parameter 'bogus'" },
		{ "# c\n\nname = x\ncolor = blue\n", "t.conf:4: unknown parameter 'color'" },
		{ "name x\n", "t.conf:1: expected 'name = value'" },
		{ " name = x\n", "t.conf:1: continuation line" },
		{ "= x\n", "t.conf:1: bad parameter name" },
		{ "na me = x\n", "t.conf:1: bad parameter name 'na me'" },
		{ "count = ten\n", "t.conf:1: count: 'ten' is not" },
		{ "count = 0\n", "t.conf:1: count: '0' is out of range (1 to 100)" },
		{ "count = 101\n", "out of range" },
		{ "\n\ncount =\n", "t.conf:3: count" },
		{ "flag = maybe\n", "t.conf:1: flag: 'maybe' is not a boolean" },
		{ "interval = 2d\n", "t.conf:1: interval: '2d' is out of range" },
		{ "interval = 5 minutes\n", "is not a duration" },
		{ "limit = 10X\n", "t.conf:1: limit: '10X' is not a size" },
		{ "count = 5\n  0\n", "t.conf:1: count: '5 0'" },
	};
	struct err err;
	struct config *c;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = config_new(table, &err);
		assert_non_null(c);
		err.msg[0] = '\0';
		if (config_parse_text(c, cases[i].text, strlen(cases[i].text), "t.conf", &err) != -1)
			fail_msg("case %zu accepted: %s", i, cases[i].text);
		if (strstr(err.msg, cases[i].want) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, cases[i].want);
		config_free(&c);
	}
}

static void
test_config_parse_text_rejects_nul_and_overlong_values(void **state)
{
	static const char nul[] = "name = a\0b\n";
	struct err err;
	struct config *c = config_new(table, &err);
	size_t n = CONFIG_VALUE_MAX + 100;
	char *big = malloc(n + 1);

	(void)state;
	assert_int_equal(config_parse_text(c, nul, sizeof(nul) - 1, "t", &err), -1);
	assert_non_null(strstr(err.msg, "t:1: NUL"));
	memcpy(big, "name = ", 7);
	memset(big + 7, 'x', n - 7);
	big[n] = '\0';
	assert_int_equal(config_parse_text(c, big, n, "t", &err), -1);
	assert_string_equal(config_get_string(c, "name"), "default-name");
	free(big);
	config_free(&c);
}

/* ---- layering -------------------------------------------------------- */

static char *
write_temp(const char *text)
{
	char *path = strdup("/tmp/test_config.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_config_load_layers_default_file_env_then_set(void **state)
{
	char *path = write_temp("name = from-file\ncount = 20\ninterval = 2h\n");
	char *env[] = { "TLSRPT_COUNT=30", "TLSRPT_INTERVAL=", "TLSRPT_UNRELATED=x",
	    "TLSRPT_FLAGX=1", "COUNT=99", NULL };
	struct err err;
	struct config *c;

	(void)state;
	c = config_load(table, path, env, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_string_equal(config_get_string(c, "name"), "from-file");   /* file over default */
	assert_int_equal(config_get_int(c, "count"), 30);                 /* env over file */
	assert_int_equal(config_get_int(c, "interval"), 7200);            /* empty env ignored */
	assert_int_equal(config_get_int(c, "limit"), 1048576);            /* default */
	assert_string_equal(config_origin_at(c, 1), "environment TLSRPT_COUNT");
	assert_int_equal(config_set(c, "count", "40", "--count", &err), 0); /* flag over env */
	assert_int_equal(config_get_int(c, "count"), 40);
	assert_string_equal(config_origin_at(c, 1), "--count");
	assert_int_equal(config_set(c, "nosuch", "1", "--x", &err), -1);
	assert_non_null(strstr(err.msg, "unknown parameter 'nosuch'"));
	config_free(&c);
	unlink(path);
	free(path);
}

static void
test_config_load_finds_file_through_env_and_reports_errors(void **state)
{
	char *path = write_temp("name = via-env\n");
	char key[300];
	char *env[] = { key, NULL };
	char *bad_env[] = { "TLSRPT_COUNT=lots", NULL };
	char *missing[] = { "TLSRPT_CONFIG=/nonexistent/tlsrpt.conf", NULL };
	struct err err;
	struct config *c;

	(void)state;
	snprintf(key, sizeof(key), "TLSRPT_CONFIG=%s", path);
	c = config_load(table, NULL, env, &err);
	assert_non_null(c);
	assert_string_equal(config_get_string(c, "name"), "via-env");
	config_free(&c);

	assert_null(config_load(table, path, bad_env, &err));
	assert_non_null(strstr(err.msg, "environment TLSRPT_COUNT: count: 'lots'"));
	assert_null(config_load(table, NULL, missing, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/tlsrpt.conf"));
	assert_null(config_load(table, "/nonexistent/other.conf", env, &err));
	assert_non_null(strstr(err.msg, "/nonexistent/other.conf"));
	unlink(path);
	free(path);
}

static void
test_config_find_and_iteration(void **state)
{
	struct err err;
	struct config *c = config_new(table, &err);

	(void)state;
	assert_non_null(config_find(c, "limit"));
	assert_int_equal(config_find(c, "limit")->type, CONFIG_SIZE);
	assert_null(config_find(c, "nosuch"));
	assert_null(config_get_string_or_null(c, "empty"));
	assert_string_equal(config_get_string_or_null(c, "name"), "default-name");
	assert_string_equal(config_origin(c, "name"), "default");
	assert_int_equal(config_set(c, "empty", "x", "t.conf:3", &err), 0);
	assert_string_equal(config_get_string_or_null(c, "empty"), "x");
	assert_string_equal(config_origin(c, "empty"), "t.conf:3");
	for (size_t i = 0; i < config_count(c); i++) {
		assert_string_equal(config_param_at(c, i)->name, table[i].name);
		if (strcmp(table[i].name, "empty") != 0)
			assert_string_equal(config_text_at(c, i), table[i].def);
	}
	config_free(&c);
	config_free(&c);   /* a second free is harmless */
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_parse_duration_accepts_units_and_rejects_junk),
		cmocka_unit_test(test_config_parse_size_accepts_units_and_rejects_junk),
		cmocka_unit_test(test_config_parse_bool_and_int),
		cmocka_unit_test(test_config_new_holds_defaults),
		cmocka_unit_test(test_config_new_rejects_bad_default),
		cmocka_unit_test(test_config_parse_text_reads_values_comments_and_continuations),
		cmocka_unit_test(test_config_parse_text_errors_name_file_and_line),
		cmocka_unit_test(test_config_parse_text_rejects_nul_and_overlong_values),
		cmocka_unit_test(test_config_load_layers_default_file_env_then_set),
		cmocka_unit_test(test_config_load_finds_file_through_env_and_reports_errors),
		cmocka_unit_test(test_config_find_and_iteration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
