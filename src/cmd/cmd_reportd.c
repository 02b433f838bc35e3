/*
 * cmd_reportd: `tlsrpt reportd` — the reporter daemon.  Once a UTC day has
 * ended it waits a random delay (--jitter, default up to 4 h, RFC 8460
 * §4.1), generates that day's reports (and any older day left over), and
 * between runs wakes for every retry that comes due.  SIGTERM or SIGINT
 * ends it cleanly between two steps.  It runs in the foreground (systemd).
 *
 * --fake-clock T0 --stop-at T1 run on a simulated clock from T0 that jumps
 * straight to each wake-up and stops after T1: a test runs days at once.
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
#include "model/when.h"
#include "report/schedule.h"
#include "store/store_outbox.h"
#include "store/store_results.h"
#include "util/log.h"
#include "util/privdrop.h"

int cmd_reportd(int argc, char **argv);
extern const char cmd_reportd_summary[];
const char cmd_reportd_summary[] = "reporter daemon: daily RFC 8460 reports and retries";

enum { O_JITTER = 1, O_FAKE_CLOCK, O_STOP_AT, O_USER, O_ALLOW_ROOT, O_HELP };

static const struct option own_options[] = {
	{ "jitter", required_argument, NULL, O_JITTER },
	{ "fake-clock", required_argument, NULL, O_FAKE_CLOCK },
	{ "stop-at", required_argument, NULL, O_STOP_AT },
	{ "user", required_argument, NULL, O_USER },
	{ "allow-root", no_argument, NULL, O_ALLOW_ROOT },
	{ "help", no_argument, NULL, O_HELP },
};

struct fake_clock {
	int64_t now, stop_at;
};

static int64_t
fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static int
fake_sleep_until(void *ctx, int64_t until)
{
	struct fake_clock *c = ctx;

	if (until > c->stop_at)
		return 0;
	if (until > c->now)
		c->now = until;
	return 1;
}

/* One pass: generate every finished day, then due deliveries.  Returns the
 * time of the next wake-up, or -1 on a store error. */
static int64_t
pass(struct reporter *r, struct store *s, int64_t now, int64_t jitter, struct err *err)
{
	struct reporter_stats st = { 0 };
	int64_t today = now / 86400, *days = NULL, due, next;
	int64_t before = now >= schedule_daily_run(today - 1, jitter) ? today : today - 1;
	size_t n = 0;
	int rc;

	if (store_result_days(s, before, &days, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (reporter_generate_day(r, s, days[i], now, &st, err) < 0) {
			free(days);
			return -1;
		}
	}
	free(days);
	if (reporter_run_due(r, s, now, &st, err) < 0)
		return -1;
	if (st.reports || st.sent || st.retry || st.failed)
		log_info("%zu reports generated (%zu queued, %zu without record, %zu deferred);"
			 " %zu delivered, %zu to retry, %zu failed", st.reports, st.stored,
			 st.no_record, st.deferred, st.sent, st.retry, st.failed);
	next = schedule_daily_run(before == today ? today : today - 1, jitter);
	if ((rc = store_outbox_next_due(s, &due, err)) < 0)
		return -1;
	if (rc == 1 && due < next)
		next = due > now ? due : now + 1;
	return next;
}

int
cmd_reportd(int argc, char **argv)
{
	struct send_options o = { 0 };
	struct option *opts =
		send_options_merge(own_options, sizeof(own_options) / sizeof(own_options[0]));
	struct fake_clock fc = { 0, 0 };
	struct schedule_clock clock = schedule_real_clock;
	struct reporter *r = NULL;
	struct store *s = NULL;
	struct dns *dns = NULL;
	struct err err;
	sigset_t set;
	int64_t jitter_max = -1, jitter, day, next;     /* -1: reportd_jitter */
	const char *user = NULL;
	char *end;
	int c, allow_root = 0, ret = EXIT_USAGE;

	if (opts == NULL)
		return EXIT_FAILURE_;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		int k = send_options_apply(&o, c, optarg);

		if (k < 0)
			goto out;
		if (k > 0)
			continue;
		switch (c) {
		case O_JITTER:
			jitter_max = strtoll(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || jitter_max > 86400) {
				fprintf(stderr, "tlsrpt reportd: --jitter %s: expected 0 to 86400 "
					"seconds\n", optarg);
				goto out;
			}
			break;
		case O_FAKE_CLOCK:
		case O_STOP_AT:
			if (when_parse(optarg, WHEN_START, (int64_t)time(NULL),
				       c == O_FAKE_CLOCK ? &fc.now : &fc.stop_at, &err) < 0) {
				fprintf(stderr, "tlsrpt reportd: --%s %s\n", c == O_FAKE_CLOCK ?
					"fake-clock" : "stop-at", err.msg);
				goto out;
			}
			if (c == O_FAKE_CLOCK)
				clock = (struct schedule_clock){ fake_now, fake_sleep_until, &fc };
			break;
		case O_USER: user = optarg; break;
		case O_ALLOW_ROOT: allow_root = 1; break;
		case 'v': o.verbose = 1; break;
		case O_HELP:
			printf("usage: tlsrpt reportd [--jitter SECONDS] [options]\n"
			       "  --jitter SECONDS         generate a finished day at 00:00 UTC plus a random\n"
			       "                           delay of up to SECONDS (default: reportd_jitter)\n"
			       "  --fake-clock WHEN        run on a simulated clock from WHEN that jumps\n"
			       "                           to each wake-up (testing; WHEN as in tlsrpt(1))\n"
			       "  --stop-at WHEN           with --fake-clock: exit instead of jumping past it\n"
			       "                           (testing; default: after the first pass)\n"
			       "  --user USER              started as root: become USER once the DKIM key is\n"
			       "                           read, before the store is opened (default:\n"
			       "                           daemon_user)\n"
			       "  --allow-root             run as root without --user (refused otherwise)\n"
			       "%s", send_options_usage);
			ret = EXIT_OK;
			goto out;
		default:
			fprintf(stderr, "usage: tlsrpt reportd [--jitter SECONDS] [options]\n");
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tlsrpt reportd: unexpected argument \"%s\"\n", argv[optind]);
		goto out;
	}
	if (send_options_finish(&o) < 0)
		goto out;
	if (jitter_max < 0)
		jitter_max = config_get_int(o.cfg, "reportd_jitter");
	if (user == NULL)
		user = config_get_string_or_null(o.cfg, "daemon_user");
	if (privdrop_check(user, allow_root, &err) < 0) {
		fprintf(stderr, "tlsrpt reportd: %s\n", err.msg);
		goto out;
	}
	log_init("tlsrpt reportd", o.verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, 0);
	ret = EXIT_FAILURE_;
	/* SIGTERM/SIGINT are taken synchronously by the clock's sleep */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	o.rc.clock = &clock;            /* each attempt at its own time (its lease) */
	if ((dns = dns_new(&o.dns, &err)) == NULL ||
	    (r = reporter_new(&o.rc, dns, &err)) == NULL ||
	    privdrop_to_user(user, &err) < 0 ||
	    (s = store_open(o.db, &err)) == NULL) {
		log_error("%s", err.msg);
		goto out;
	}
	send_dkim_check(o.rc.dkim_key, o.rc.dkim_selector,
			o.rc.dkim_domain ? o.rc.dkim_domain : o.rc.submitter, dns);
	day = -1;
	jitter = 0;
	for (;;) {
		int64_t now = clock.now(clock.ctx);

		if (now / 86400 != day) {       /* a new day: draw its delay */
			day = now / 86400;
			jitter = schedule_jitter(jitter_max);
		}
		if ((next = pass(r, s, now, jitter, &err)) < 0) {
			/* a store hiccup: say so and try again in a while */
			log_error("%s; trying again in 5 minutes", err.msg);
			next = now + 300;
		}
		log_debug("next wake-up at %lld", (long long)next);
		if (!clock.sleep_until(clock.ctx, next))
			break;
	}
	log_info("stopping");
	ret = EXIT_OK;
out:
	store_close(&s);
	reporter_free(&r);
	dns_free(dns);
	send_options_clear(&o);
	free(opts);
	return ret;
}
