/*
 * cmd_config: `tlsrpt config` prints the configuration as `name = value`
 * lines (postconf style): the values in effect (defaults, tlsrpt.conf,
 * TLSRPT_<NAME> environment) each under a "# from ORIGIN" comment line
 * saying where it came from (one line for a run of parameters of the same
 * origin, so that the output is still valid tlsrpt.conf), only the changed
 * ones (-n), or the built-in defaults (--defaults, no origins).  Documented in man/tlsrpt.1 and tlsrpt.conf.5.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"

int cmd_config(int argc, char **argv);
extern const char cmd_config_summary[];
const char cmd_config_summary[] = "print configuration parameters (tlsrpt.conf)";

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt config [-d | --defaults] [-n | --changed] [-v | --verbose]\n"
	    "                     [-c FILE | --config FILE] [NAME ...]\n"
	    "Prints 'name = value' for each parameter (or each NAME): the value in\n"
	    "effect after the built-in default, tlsrpt.conf and the TLSRPT_<NAME>\n"
	    "environment, below a comment '# from ORIGIN' saying where it came from\n"
	    "(default, FILE:LINE or environment VARIABLE).  --defaults prints the\n"
	    "built-in defaults, --changed only the parameters not at their default,\n"
	    "--verbose adds what each one means and its type.\n");
}

/* Prints parameter i; its origin on a comment line unless it is the same
 * as that of the parameter printed before (*last, updated; NULL: none). */
static void
print_one(const struct config *cfg, size_t i, int verbose, int origins, const char **last)
{
	const struct config_param *p = config_param_at(cfg, i);
	const char *text = config_text_at(cfg, i), *origin = config_origin_at(cfg, i);

	if (verbose)
		printf("# %s (%s; from %s)\n", p->doc, config_type_name(p->type), origin);
	else if (origins && (*last == NULL || strcmp(*last, origin) != 0))
		printf("# from %s\n", origin);
	*last = origin;
	printf("%s =%s%s\n", p->name, *text != '\0' ? " " : "", text);
}

int
cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "defaults", no_argument, NULL, 'd' },
		{ "changed", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct err err = { { 0 } };
	struct config *cfg = NULL;
	const char *path = NULL, *last = NULL;
	int defaults = 0, changed = 0, verbose = 0, c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "c:dnvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'd': defaults = 1; break;
		case 'n': changed = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (defaults && (changed || path != NULL)) {
		fprintf(stderr, "tlsrpt config: --defaults excludes --changed and --config\n");
		return EXIT_USAGE;
	}
	cfg = defaults ? config_new(config_params, &err) : config_params_load(path, &err);
	if (cfg == NULL) {
		fprintf(stderr, "tlsrpt config: %s\n", err.msg);
		return EXIT_FAILURE_;
	}
	for (int a = optind; a < argc; a++) {
		if (config_find(cfg, argv[a]) == NULL) {
			fprintf(stderr, "tlsrpt config: unknown parameter '%s'\n", argv[a]);
			rc = EXIT_USAGE;
		}
	}
	if (rc != EXIT_OK)
		goto out;
	for (size_t i = 0; i < config_count(cfg); i++) {
		const char *name = config_param_at(cfg, i)->name;
		int wanted = optind == argc;

		for (int a = optind; a < argc && !wanted; a++)
			wanted = strcmp(argv[a], name) == 0;
		if (changed && strcmp(config_origin_at(cfg, i), "default") == 0)
			wanted = 0;
		if (wanted)
			print_one(cfg, i, verbose, !defaults, &last);
	}
out:
	config_free(&cfg);
	return rc;
}
