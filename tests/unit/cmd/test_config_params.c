/* Unit tests for cmd/config_params: THE parameter table is well formed
 * (valid defaults, unique lower-case names, a doc line each) and
 * cmd_config_path() finds --config before option parsing; --X / --no-X
 * of a boolean parameter override tlsrpt.conf, the last one winning.  The table lives
 * with the commands, outside the core library, so it is compiled in here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/config_params.c"

static void
test_config_params_defaults_are_valid(void **state)
{
	struct err err;
	struct config *c;

	(void)state;
	c = config_new(config_params, &err);
	if (c == NULL)
		fail_msg("%s", err.msg);
	assert_true(config_count(c) > 1);
	config_free(&c);
}

static void
test_config_params_names_unique_lower_case_and_documented(void **state)
{
	(void)state;
	for (size_t i = 0; config_params[i].name != NULL; i++) {
		const struct config_param *p = &config_params[i];

		if (strspn(p->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(p->name))
			fail_msg("parameter '%s': not lower_case_with_underscores", p->name);
		if (p->doc == NULL || strlen(p->doc) < 10 || strchr(p->doc, '\n') != NULL)
			fail_msg("parameter '%s': needs a one-line doc", p->name);
		if (p->type != CONFIG_STRING && p->type != CONFIG_BOOL && p->min > p->max)
			fail_msg("parameter '%s': min > max", p->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(config_params[j].name, p->name) == 0)
				fail_msg("parameter '%s' declared twice", p->name);
	}
}

static void
test_cmd_config_path_finds_the_option(void **state)
{
	static const struct { const char *args[5]; const char *want; } cases[] = {
		{ { "serve", "--listen", "x", NULL }, NULL },
		{ { "serve", "--config", "/a.conf", NULL }, "/a.conf" },
		{ { "serve", "-v", "--config=/b.conf", NULL }, "/b.conf" },
		{ { "serve", "--", "--config", "/c.conf", NULL }, NULL },
		{ { "serve", "--config", NULL }, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int argc = 0;
		const char *got;

		while (cases[i].args[argc] != NULL)
			argc++;
		got = cmd_config_path(argc, (char **)cases[i].args);
		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("case %zu: got %s", i, got != NULL ? got : "NULL");
	}
}

/* What getopt_long gives for each argument: --X's value, or CMD_NO() of it
 * for --no-X, as the commands' tables (send_options.c, cmd_alert.c,
 * cmd_fetch.c) list them. */
static enum cmd_flag
parse_flags(const char *const *args)
{
	enum cmd_flag f = CMD_FLAG_UNSET;

	for (; *args != NULL; args++)
		f = CMD_FLAG(strncmp(*args, "--no-", 5) == 0 ? CMD_NO('T') : 'T');
	return f;
}

static void
test_cmd_flag_bool_last_flag_wins_over_the_file(void **state)
{
	static const struct {
		const char *file;       /* alert_require_tls in tlsrpt.conf */
		const char *args[3];
		int want;
	} cases[] = {
		{ "yes", { NULL }, 1 },
		{ "no", { NULL }, 0 },
		{ "yes", { "--no-require-tls", NULL }, 0 },
		{ "no", { "--require-tls", NULL }, 1 },
		{ "yes", { "--require-tls", "--no-require-tls", NULL }, 0 },
		{ "yes", { "--no-require-tls", "--require-tls", NULL }, 1 },
		{ "no", { "--no-require-tls", "--require-tls", NULL }, 1 },
		{ "no", { "--require-tls", "--no-require-tls", NULL }, 0 },
	};

	(void)state;
	assert_int_not_equal(CMD_NO(1000), 1000);       /* no clash with SEND_OPT_BASE */
	assert_int_not_equal(CMD_NO(256), 'T');
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err err;
		struct config *c = config_new(config_params, &err);
		int got;

		if (c == NULL || config_set(c, "alert_require_tls", cases[i].file, "test", &err) != 0)
			fail_msg("%s", err.msg);
		got = cmd_flag_bool(parse_flags(cases[i].args), c, "alert_require_tls");
		if (got != cases[i].want)
			fail_msg("case %zu (file %s): got %d, want %d", i, cases[i].file, got,
				 cases[i].want);
		config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_params_defaults_are_valid),
		cmocka_unit_test(test_config_params_names_unique_lower_case_and_documented),
		cmocka_unit_test(test_cmd_config_path_finds_the_option),
		cmocka_unit_test(test_cmd_flag_bool_last_flag_wins_over_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
