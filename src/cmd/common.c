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

struct store *
cmd_store_open(const char *flag)
{
	struct err err = { { 0 } };
	struct config *cfg;
	struct store *s;

	if ((cfg = config_params_load(NULL, &err)) == NULL) {
		fprintf(stderr, "tlsrpt: config: %s\n", err.msg);
		return NULL;
	}
	s = store_open(cmd_db_url_cfg(cfg, flag), &err);
	if (s == NULL)
		fprintf(stderr, "tlsrpt: store: %s\n", err.msg);
	config_free(&cfg);
	return s;
}
