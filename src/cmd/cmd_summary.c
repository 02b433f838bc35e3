/*
 * cmd_summary: `tlsrpt summary`: per policy domain and day, sessions that
 * succeeded and failed, the failure rate, totals per reporting
 * organization and the top failures with what they mean and how to fix
 * them.  Opens the store read-only.  Default period: the last 7 days (UTC).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/summary.h"
#include "model/datetime.h"
#include "model/report.h"

int cmd_summary(int argc, char **argv);
extern const char cmd_summary_summary[];
const char cmd_summary_summary[] = "summarise stored reports per domain and day";

#define DEFAULT_DAYS 7

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt summary [--since DATE] [--until DATE] [--domain DOMAIN]\n"
		"                      [--json | --csv] [--db URL]\n"
		"Sessions ok/failed per policy domain and day, per reporting organization,\n"
		"and the top failures with their meaning and fix.  DATE is YYYY-MM-DD (UTC;\n"
		"--until includes that day) or an RFC 3339 date-time.  Default: the last %d days.\n"
		"--domain - shows only the policies that name no policy-domain.\n"
		"Exit status: 0 ok, %d usage, %d store failed.\n",
		DEFAULT_DAYS, EXIT_USAGE, EXIT_FAILURE_);
}

/* Parses DATE; a date without time names the whole day, so --until moves
 * to the end of it. */
static int
parse_date(const char *opt, const char *s, int is_until, int64_t *t)
{
	struct err err = { { 0 } };
	unsigned flags = 0;

	if (datetime_parse(s, t, &flags, &err) < 0) {
		fprintf(stderr, "tlsrpt summary: %s %s: %s\n", opt, s, err.msg);
		return -1;
	}
	if (is_until && (flags & DATETIME_DATE_ONLY))
		*t += 86400;
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
	int64_t since = -1, until = 0;
	int json = 0, csv = 0, c, rc = EXIT_FAILURE_;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_date("--since", optarg, 0, &since) < 0)
				return EXIT_USAGE;
			break;
		case 'u':
			if (parse_date("--until", optarg, 1, &until) < 0)
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
		usage(stderr);
		return EXIT_USAGE;
	}
	if (since < 0)
		since = datetime_day_start((int64_t)time(NULL)) - (DEFAULT_DAYS - 1) * 86400;
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
