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

/* A serve without login on a new SQLite store that accepts every domain
 * (login is tested in test_serve_auth.c). */
struct open_serve_fixture {
	char dir[64];
	struct serve *app;
};

/* Sets *state to a new open_serve_fixture whose store directory is named
 * after tag.  Returns 0 or -1. */
static inline int
open_serve_setup(void **state, const char *tag)
{
	struct open_serve_fixture *fx = xcalloc(1, sizeof(*fx));
	struct serve_config cfg = { 0 };
	char *url = fixture_store_url(fx->dir, tag);

	if (url == NULL) {
		free(fx);
		return -1;
	}
	cfg.db_url = url;
	cfg.no_auth = 1;
	cfg.accept_domains = "*";
	fx->app = fixture_serve_new(&cfg);
	free(url);
	*state = fx;
	return 0;
}

/* Frees what open_serve_setup() made and removes its directory.  Returns 0. */
static inline int
open_serve_teardown(void **state)
{
	struct open_serve_fixture *fx = *state;

	fixture_remove(&fx->app, fx->dir);
	free(fx);
	return 0;
}

#endif
