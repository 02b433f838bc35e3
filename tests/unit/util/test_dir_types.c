/* Unit tests for util/dir_types: a directory's entry types by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/dir_types.h"

static void
test_dir_types_names_each_entry_type(void **state)
{
	static const struct {
		const char *name;
		int type;               /* made as, and expected as */
	} cases[] = {
		{ "file.json", DT_REG },
		{ "sub", DT_DIR },
		{ "fifo", DT_FIFO },
		{ "link", DT_LNK },
	};
	char dir[] = "/tmp/tlsrpt-dir-types.XXXXXX", path[300];
	struct dir_types *t;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		switch (cases[i].type) {
		case DT_REG:
			f = fopen(path, "w");
			assert_non_null(f);
			fclose(f);
			break;
		case DT_DIR: assert_int_equal(mkdir(path, 0700), 0); break;
		case DT_FIFO: assert_int_equal(mkfifo(path, 0600), 0); break;
		default: assert_int_equal(symlink("file.json", path), 0); break;
		}
	}
	t = dir_types_list(dir, 1000);
	assert_non_null(t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = dir_types_get(t, cases[i].name);

		/* a file system may answer DT_UNKNOWN; tmpfs and ext4 do not */
		if (got != cases[i].type && got != DT_UNKNOWN)
			fail_msg("%s: type %d, want %d", cases[i].name, got, cases[i].type);
	}
	assert_int_equal(dir_types_get(t, "missing"), -1);
	assert_int_equal(dir_types_get(t, "."), DT_DIR);
	dir_types_free(&t);
	assert_null(t);
	dir_types_free(&t);             /* NULL: a no-op */
	/* at most max_entries kept: of 6 entries (with . and ..), 2 */
	t = dir_types_list(dir, 2);
	assert_non_null(t);
	{
		int listed = 0;
		const char *names[] = { ".", "..", "file.json", "sub", "fifo", "link" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			listed += dir_types_get(t, names[i]) != -1;
		assert_int_equal(listed, 2);
	}
	dir_types_free(&t);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
		assert_int_equal(cases[i].type == DT_DIR ? rmdir(path) : unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	errno = 0;
	assert_null(dir_types_list(dir, 1000));         /* gone */
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dir_types_names_each_entry_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
