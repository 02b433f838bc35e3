/* cmd_version: `tlsrpt version` prints the program version. */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_version(int argc, char **argv);
extern const char cmd_version_summary[];
const char cmd_version_summary[] = "print the program version";

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("tlsrpt %s\n", TLSRPT_PROGRAM_VERSION);
	return EXIT_OK;
}
