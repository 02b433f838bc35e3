/*
 * cmd_summary: `tlsrpt summary`: per policy domain and day, sessions that
 * succeeded and failed, the failure rate, totals per reporting
 * organization and the top failures with what they mean and how to fix
 * them.  Opens the store read-only.  Default period: every stored report,
 * the default of the API too (serve_query.c); dates are parsed by when.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/summary.h"
#include "model/when.h"
#include "model/report.h"

int cmd_summary(int argc, char **argv);
extern const char cmd_summary_summary[];
const char cmd_summary_summary[] = "summarise stored reports per domain and day";

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt summary [--since WHEN] [--until WHEN] [--domain DOMAIN]\n"
		"                      [--json | --csv] [--db URL]\n"
		"Sessions ok/failed per policy domain and day, per reporting organization,\n"
		"and the top failures with their meaning and fix.  WHEN is YYYY-MM-DD (UTC;\n"
		"--until includes that day), an RFC 3339 date-time with Z or an offset, Unix\n"
		"seconds, or Nd / Nh (N days / hours ago: --since 7d is the last week).\n"
		"Default: every stored report, as /api/summary and /metrics of tlsrpt serve.\n"
		"--domain - shows only the policies that name no policy-domain.\n"
		"Exit status: 0 ok, %d usage, %d store failed.\n",
		EXIT_USAGE, EXIT_FAILURE_);
}

/* Parses WHEN of option opt (when.h); prints what is wrong. */
static int
parse_when(const char *opt, const char *s, enum when_end end, int64_t now, int64_t *t)
{
	struct err err = { { 0 } };

	if (when_parse(s, end, now, t, &err) < 0) {
		fprintf(stderr, "tlsrpt summary: %s %s\n", opt, err.msg);
		return -1;
	}
	return 0;
}

int
cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "domain", required_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct summary sum = { 0 };
	struct err err = { { 0 } };
	struct store *s = NULL;
	const char *db = NULL, *domain = NULL;
	int64_t since = 0, until = 0, now = (int64_t)time(NULL);
	int json = 0, csv = 0, c, rc = EXIT_FAILURE_;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_when("--since", optarg, WHEN_START, now, &since) < 0)
				return EXIT_USAGE;
			break;
		case 'u':
			if (parse_when("--until", optarg, WHEN_END, now, &until) < 0)
				return EXIT_USAGE;
			break;
		case 'D': domain = report_domain_filter(optarg); break;
		case 'j': json = 1; break;
		case 'c': csv = 1; break;
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc || (json && csv)) {
		if (optind != argc)
			fprintf(stderr, "tlsrpt summary: unexpected argument \"%s\" (a domain goes "
				"with --domain)\n", argv[optind]);
		else
			fprintf(stderr, "tlsrpt summary: --json and --csv exclude each other\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (until != 0 && until <= since) {
		fprintf(stderr, "tlsrpt summary: --until must be after --since\n");
		return EXIT_USAGE;
	}
	if ((s = cmd_store_open_readonly(db)) == NULL)
		return EXIT_FAILURE_;
	if (summary_load(s, since, until, domain, &sum, &err) < 0) {
		fprintf(stderr, "tlsrpt summary: %s\n", err.msg);
		goto out;
	}
	if ((json ? summary_print_json(stdout, &sum)
		  : csv ? summary_print_csv(stdout, &sum) : summary_print_text(stdout, &sum)) < 0 ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "tlsrpt summary: writing the output failed\n");
		goto out;
	}
	rc = EXIT_OK;
out:
	summary_clear(&sum);
	store_close(&s);
	return rc;
}
