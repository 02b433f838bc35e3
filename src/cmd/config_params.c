/*
 * config_params: the tlsrpt.conf parameters (see config_params.h).
 * Add a parameter here only together with the code that reads it and its
 * entry in man/tlsrpt.conf.5.  Defaults are written as in the file.
 */
#include "cmd/config_params.h"

#include <stdint.h>
#include <unistd.h>

extern char **environ;

const struct config_param config_params[] = {
	{ "database_url", CONFIG_STRING, "sqlite:/var/lib/tlsrpt/tlsrpt.db", 0, 0,
	  "report store: sqlite:PATH or postgresql://… (flag --db, env TLSRPT_DB)" },
	{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
};

struct config *
config_params_load(const char *path, struct err *err)
{
	return config_load(config_params, path, environ, err);
}
