/* cmd_common: helpers shared by the subcommands (see cmd.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "util/xalloc.h"

const char *
cmd_db_url_cfg(const struct config *cfg, const char *flag)
{
	const char *env;

	if (flag != NULL && *flag != '\0')
		return flag;
	env = getenv("TLSRPT_DB");
	if (env != NULL && *env != '\0')
		return env;
	return config_get_string(cfg, "database_url");
}

/* Opens the store named by flag/tlsrpt.conf, read-only or not. */
static struct store *
open_store(const char *flag, int readonly)
{
	struct err err = { { 0 } };
	struct config *cfg;
	struct store *s;

	if ((cfg = config_params_load(NULL, &err)) == NULL) {
		fprintf(stderr, "tlsrpt: config: %s\n", err.msg);
		return NULL;
	}
	s = readonly ? store_open_readonly(cmd_db_url_cfg(cfg, flag), &err)
		     : store_open(cmd_db_url_cfg(cfg, flag), &err);
	if (s == NULL)
		fprintf(stderr, "tlsrpt: store: %s\n", err.msg);
	config_free(&cfg);
	return s;
}

struct store *
cmd_store_open(const char *flag)
{
	return open_store(flag, 0);
}

struct store *
cmd_store_open_readonly(const char *flag)
{
	return open_store(flag, 1);
}
