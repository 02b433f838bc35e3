/* cmd_common: helpers shared by the subcommands (see cmd.h). */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"

const char *
cmd_db_url(const char *flag)
{
	const char *env;

	if (flag != NULL && *flag != '\0')
		return flag;
	env = getenv("TLSRPT_DB");
	if (env != NULL && *env != '\0')
		return env;
	return "sqlite:/var/lib/tlsrpt/tlsrpt.db";
}

struct store *
cmd_store_open(const char *flag)
{
	struct err err = { { 0 } };
	struct store *s;

	s = store_open(cmd_db_url(flag), &err);
	if (s == NULL)
		fprintf(stderr, "tlsrpt: store: %s\n", err.msg);
	return s;
}
