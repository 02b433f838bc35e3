/* serve_fixture: what the fixtures of the serve unit tests share: a
 * temporary directory for their SQLite store, the application on it, and
 * removing both.  Include after <cmocka.h>. */
#ifndef TLSRPT_TESTS_SERVE_FIXTURE_H
#define TLSRPT_TESTS_SERVE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "serve/serve.h"
#include "util/xalloc.h"

/* Makes a new directory /tmp/tlsrpt-TAG.XXXXXX in dir (64 bytes) and
 * returns the URL of a store in it (caller frees), or NULL. */
static char *
fixture_store_url(char dir[64], const char *tag)
{
	snprintf(dir, 64, "/tmp/tlsrpt-%s.XXXXXX", tag);
	if (mkdtemp(dir) == NULL)
		return NULL;
	return xasprintf("sqlite:%s/db.sqlite", dir);
}

/* serve_new(cfg), or the test fails saying why. */
static struct serve *
fixture_serve_new(const struct serve_config *cfg)
{
	struct err err;
	struct serve *app = serve_new(cfg, &err);

	if (app == NULL)
		fail_msg("serve_new: %s", err.msg);
	return app;
}

/* Frees *app and removes dir with all it holds. */
static void
fixture_remove(struct serve **app, const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	serve_free(app);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
	free(cmd);
}

#endif
