/* cmd_version: `tlsrpt version` prints the program version. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

int cmd_version(int argc, char **argv);
extern const char cmd_version_summary[];
const char cmd_version_summary[] = "print the program version";

int
cmd_version(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: tlsrpt version\nPrints the program version.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "tlsrpt version: %s \"%s\"\nusage: tlsrpt version\n",
			argv[1][0] == '-' ? "unrecognized option" : "unexpected argument", argv[1]);
		return EXIT_USAGE;
	}
	printf("tlsrpt %s\n", TLSRPT_PROGRAM_VERSION);
	return EXIT_OK;
}
