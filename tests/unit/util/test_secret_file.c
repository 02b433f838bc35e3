/* Unit tests for util/secret_file: which modes a secret may have. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/secret_file.h"

static void
test_secret_file_refuses_files_others_may_read(void **state)
{
	static const struct {
		unsigned mode;
		int users_group;        /* chgrp 100 ("users") first */
		const char *want;       /* NULL: read; else in the error */
	} cases[] = {
		{ 0600, 0, NULL },
		{ 0400, 0, NULL },
		{ 0640, 0, NULL },
		{ 0644, 0, "readable by others (mode 0644)" },
		{ 0604, 0, "readable by others" },
		{ 0602, 0, "writable by others" },
		{ 0640, 1, "readable by group \"users\"" },
		{ 0600, 1, NULL },
	};
	char dir[] = "/tmp/tlsrpt-secret.XXXXXX", path[64];
	struct err err;
	size_t len;
	char *s;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pw", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("hunter2\n", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].users_group && geteuid() != 0)
			continue;
		assert_int_equal(chown(path, (uid_t)-1, cases[i].users_group ? 100 : getegid()), 0);
		assert_int_equal(chmod(path, cases[i].mode), 0);
		err.msg[0] = '\0';
		s = secret_file_read(path, "password file", 4096, &len, &err);
		if (cases[i].want == NULL) {
			if (s == NULL || strcmp(s, "hunter2\n") != 0 || len != 8)
				fail_msg("mode %04o: not read: %s", cases[i].mode, err.msg);
		} else if (s != NULL || strstr(err.msg, cases[i].want) == NULL) {
			fail_msg("mode %04o group %s: '%s', want '%s'", cases[i].mode,
				 cases[i].users_group ? "users" : "own", err.msg, cases[i].want);
		}
		free(s);
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_null(secret_file_read(path, "password file", 4, NULL, &err));
	assert_non_null(strstr(err.msg, "larger than 4 bytes"));
	assert_null(secret_file_read(dir, "DKIM key", 4096, NULL, &err));
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_file_refuses_files_others_may_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
