/*
 * cmd_send: `tlsrpt send` — one reporter run, for cron or a systemd timer:
 * generate the reports of one day (--day) or of every finished day that
 * still has results, then make every delivery that is due.  Also manages
 * the suppression list (--suppress DEST --until DATE).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/send_dkim.h"
#include "cmd/send_options.h"
#include "report/naming.h"
#include "model/when.h"
#include "store/store_outbox.h"
#include "store/store_results.h"
#include "util/log.h"

int cmd_send(int argc, char **argv);
extern const char cmd_send_summary[];
const char cmd_send_summary[] = "aggregate stored results and deliver RFC 8460 reports once";

enum { O_DAY = 1, O_DRY_RUN, O_NO_DELIVER, O_NOW, O_SUPPRESS, O_UNTIL, O_COMMENT, O_LIST,
       O_RETRY_INTERRUPTED, O_FORCE, O_LIST_SUPPRESSED, O_UNSUPPRESS, O_HELP };

static const struct option own_options[] = {
	{ "day", required_argument, NULL, O_DAY },
	{ "dry-run", required_argument, NULL, O_DRY_RUN },
	{ "no-deliver", no_argument, NULL, O_NO_DELIVER },
	{ "now", required_argument, NULL, O_NOW },
	{ "suppress", required_argument, NULL, O_SUPPRESS },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "comment", required_argument, NULL, O_COMMENT },
	{ "list", no_argument, NULL, O_LIST },
	{ "retry-interrupted", no_argument, NULL, O_RETRY_INTERRUPTED },
	{ "force", no_argument, NULL, O_FORCE },
	{ "list-suppressed", no_argument, NULL, O_LIST_SUPPRESSED },
	{ "unsuppress", required_argument, NULL, O_UNSUPPRESS },
	{ "help", no_argument, NULL, O_HELP },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt send [--day WHEN] [options]\n"
		   "       tlsrpt send --suppress DEST --until WHEN [--comment TEXT] [--db URL]\n"
		   "       tlsrpt send --list | --list-suppressed | --unsuppress DEST [--db URL]\n"
		   "  --day WHEN               report the UTC day holding WHEN (default: every\n"
		   "                           finished day that still has results); today or\n"
		   "                           later is refused.  WHEN: YYYY-MM-DD, an RFC 3339\n"
		   "                           date-time with Z or an offset, Unix seconds, or\n"
		   "                           Nd / Nh (N days / hours ago: --day 1d is yesterday)\n"
		   "  --force                  with --day: report a day that is not over yet\n"
		   "  --dry-run DIR            write reports and mails into DIR; send and change nothing;\n"
		   "                           exit 0 unless it could not run (a lookup that failed\n"
		   "                           is printed, not an error)\n"
		   "  --no-deliver             only generate; leave deliveries for later\n"
		   "  --now WHEN               pretend the time is this (testing)\n"
		   "  --suppress DEST          send nothing to DEST (e.g. mailto:tls@example.com)\n"
		   "                           until --until WHEN (a day: its 00:00 UTC);\n"
		   "                           --comment TEXT: a note kept with it\n"
		   "  --list                   print the outbox: report-id, policy domain,\n"
		   "                           destination, state, attempts, next try, last error\n"
		   "  --list-suppressed        print the suppressed destinations: destination,\n"
		   "                           suppressed until (UTC), comment; a destination that\n"
		   "                           refuses a report for good (SMTP 5xx to RCPT TO,\n"
		   "                           not to MAIL FROM or DATA; HTTPS 4xx but 408/429)\n"
		   "                           is suppressed for report_suppress_days (30)\n"
		   "  --unsuppress DEST        take DEST off the suppression list\n"
		   "  --retry-interrupted      send again the deliveries interrupted while sending\n"
		   "                           (the process died mid-attempt; not retried by default\n"
		   "                           as the report may have arrived)\n"
		   "%s", send_options_usage);
}

static void
print_stats(const struct reporter_stats *st)
{
	fprintf(stderr,
		"tlsrpt send: %zu reports: %zu queued, %zu already queued, %zu without TLSRPT"
		" record, %zu lookup deferred, %zu lookup given up, %zu all-success skipped,"
		" %zu to suppressed destinations skipped; deliveries: %zu sent, %zu to retry,"
		" %zu failed\n",
		st->reports, st->stored, st->duplicates, st->no_record, st->deferred,
		st->lookup_given_up, st->only_success, st->suppressed, st->sent, st->retry,
		st->failed);
}

static int
suppress(const char *db, const char *dest, const char *until, const char *comment,
	 int64_t now)
{
	struct err err;
	struct store *s;
	int64_t t;
	int rc;

	if (until == NULL) {
		fprintf(stderr, "tlsrpt send: --suppress needs --until WHEN\n");
		return EXIT_USAGE;
	}
	if (when_parse(until, WHEN_START, now, &t, &err) < 0) {
		fprintf(stderr, "tlsrpt send: --until %s\n", err.msg);
		return EXIT_USAGE;
	}
	if ((s = cmd_store_open(db)) == NULL)
		return EXIT_FAILURE_;
	rc = store_outbox_suppress(s, dest, t, comment, &err);
	if (rc < 0)
		fprintf(stderr, "tlsrpt send: %s\n", err.msg);
	store_close(&s);
	return rc < 0 ? EXIT_FAILURE_ : EXIT_OK;
}

static int
print_row(void *ctx, const struct outbox_row *r)
{
	(void)ctx;
	printf("%s\t%s\t%s\t%s\t%lld\t%lld\t%s\n", r->report_id, r->policy_domain,
	       r->destination ? r->destination : "-", r->state, (long long)r->attempts,
	       (long long)r->next_try, r->last_error ? r->last_error : "-");
	return 0;
}

static int
list(const char *db)
{
	struct err err;
	struct store *s;
	int rc;

	if ((s = cmd_store_open(db)) == NULL)
		return EXIT_FAILURE_;
	rc = store_outbox_list(s, print_row, NULL, &err);
	if (rc < 0)
		fprintf(stderr, "tlsrpt send: %s\n", err.msg);
	store_close(&s);
	return rc < 0 ? EXIT_FAILURE_ : EXIT_OK;
}

static int
print_suppression(void *ctx, const struct outbox_suppression *e)
{
	char until[32];
	time_t t = (time_t)e->until;
	struct tm tm;

	(void)ctx;
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("%s\t%s\t%s\n", e->destination, until, e->comment ? e->comment : "-");
	return 0;
}

/* --list-suppressed (unsup NULL) or --unsuppress unsup. */
static int
suppressions(const char *db, const char *unsup, int64_t now)
{
	struct err err;
	struct store *s;
	int rc;

	if ((s = cmd_store_open(db)) == NULL)
		return EXIT_FAILURE_;
	if (unsup == NULL)
		rc = store_outbox_suppressions(s, now, print_suppression, NULL, &err);
	else if ((rc = store_outbox_unsuppress(s, unsup, &err)) == 0)
		fprintf(stderr, "tlsrpt send: %s is not suppressed\n", unsup);
	else if (rc > 0)
		fprintf(stderr, "tlsrpt send: %s is no longer suppressed\n", unsup);
	if (rc < 0)
		fprintf(stderr, "tlsrpt send: %s\n", err.msg);
	store_close(&s);
	return rc < 0 ? EXIT_FAILURE_ : rc == 0 && unsup != NULL ? EXIT_PARTIAL : EXIT_OK;
}

/* Generates `day`, or every day before today that has results. */
static int
generate(struct reporter *r, struct store *s, int have_day, int64_t day, int64_t now,
	 struct reporter_stats *st, struct err *err)
{
	int64_t *days = NULL;
	size_t n = 0;
	int rc = 0;

	if (have_day)
		return reporter_generate_day(r, s, day, now, st, err);
	if (store_result_days(s, now / 86400, &days, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = reporter_generate_day(r, s, days[i], now, st, err);
	free(days);
	return rc;
}

int
cmd_send(int argc, char **argv)
{
	struct send_options o = { 0 };
	struct reporter_stats st = { 0 };
	struct option *opts =
		send_options_merge(own_options, sizeof(own_options) / sizeof(own_options[0]));
	struct reporter *r = NULL;
	struct store *s = NULL;
	struct dns *dns = NULL;
	struct err err;
	const char *sup = NULL, *unsup = NULL, *until = NULL, *comment = NULL, *day_arg = NULL;
	int64_t day = 0, now = (int64_t)time(NULL);
	int c, have_day = 0, no_deliver = 0, do_list = 0, list_sup = 0, have_now = 0, force = 0;
	int ret = EXIT_USAGE;

	if (opts == NULL)
		return EXIT_FAILURE_;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		int k = send_options_apply(&o, c, optarg);

		if (k < 0)
			goto out;
		if (k > 0)
			continue;
		switch (c) {
		case O_DAY: have_day = 1; day_arg = optarg; break;
		case O_DRY_RUN: o.rc.dry_run_dir = optarg; break;
		case O_NO_DELIVER: no_deliver = 1; break;
		case O_NOW:
			if (when_parse(optarg, WHEN_START, now, &now, &err) < 0) {
				fprintf(stderr, "tlsrpt send: --now %s\n", err.msg);
				goto out;
			}
			have_now = 1;
			break;
		case O_SUPPRESS: sup = optarg; break;
		case O_UNTIL: until = optarg; break;
		case O_COMMENT: comment = optarg; break;
		case O_LIST: do_list = 1; break;
		case O_RETRY_INTERRUPTED: o.rc.retry_interrupted = 1; break;
		case O_FORCE: force = 1; break;
		case O_LIST_SUPPRESSED: list_sup = 1; break;
		case O_UNSUPPRESS: unsup = optarg; break;
		case 'v': o.verbose = 1; break;
		case O_HELP: usage(stdout); ret = EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tlsrpt send: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		goto out;
	}
	/* --day is read after --now: 1d is the day before --now's */
	if (have_day && when_parse_day(day_arg, now, &day, &err) < 0) {
		fprintf(stderr, "tlsrpt send: --day %s\n", err.msg);
		goto out;
	}
	/* A day that is not over would be reported with only part of its
	 * results, and its report-id could not be sent again when complete. */
	if (have_day && day >= now / 86400 && !force) {
		fprintf(stderr, "tlsrpt send: --day %s: the UTC day is not over yet;"
			" --force to report it anyway\n", day_arg);
		goto out;
	}
	if (o.verbose)
		log_init("tlsrpt send", LOG_LEVEL_INFO, 0);
	if (sup != NULL) {
		ret = suppress(o.db, sup, until, comment, now);
		goto out;
	}
	if (list_sup || unsup != NULL) {
		ret = suppressions(o.db, unsup, now);
		goto out;
	}
	if (do_list) {
		ret = list(o.db);
		goto out;
	}
	if (send_options_finish(&o) < 0)
		goto out;
	ret = EXIT_FAILURE_;
	signal(SIGPIPE, SIG_IGN);       /* a sendmail that exits early */
	if (!have_now)                  /* each attempt at its own time (its lease) */
		o.rc.clock = &schedule_real_clock;
	if ((dns = dns_new(&o.dns, &err)) == NULL ||
	    (r = reporter_new(&o.rc, dns, &err)) == NULL ||
	    (s = store_open(o.db, &err)) == NULL) {
		fprintf(stderr, "tlsrpt send: %s\n", err.msg);
		goto out;
	}
	send_dkim_check(o.rc.dkim_key, o.rc.dkim_selector,
			o.rc.dkim_domain ? o.rc.dkim_domain : o.rc.submitter, dns);
	if (generate(r, s, have_day, day, now, &st, &err) < 0 ||
	    (o.rc.dry_run_dir == NULL && !no_deliver && reporter_run_due(r, s, now, &st, &err) < 0)) {
		fprintf(stderr, "tlsrpt send: %s\n", err.msg);
		goto out;
	}
	if (o.verbose || o.rc.dry_run_dir != NULL)
		print_stats(&st);
	/* something failed or waits for a retry: a delivery or a TLSRPT lookup;
	 * a dry run did what it was asked (print what would be done) */
	if (o.rc.dry_run_dir != NULL)
		ret = EXIT_OK;
	else
		ret = st.failed || st.retry || st.deferred || st.lookup_given_up ? EXIT_PARTIAL
										  : EXIT_OK;
out:
	store_close(&s);
	reporter_free(&r);
	dns_free(dns);
	send_options_clear(&o);
	free(opts);
	return ret;
}
