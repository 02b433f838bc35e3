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
