/*
 * cmd_alert: `tlsrpt alert` mails the domain owner when stored reports
 * show new TLS failures (src/alert/), or a weekly digest.  Made for cron:
 * quiet unless -v, exit 0 when nothing was due or the mail was accepted,
 * 3 when the store or the mail server failed (nothing is remembered then,
 * so the next run tries again), 2 for a bad command line.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert.h"
#include "alert/alert_mail.h"
#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "model/datetime.h"
#include "model/when.h"
#include "model/report.h"
#include "report/deliver_sendmail.h"
#include "report/deliver_smtp.h"
#include "serve/dataset.h"
#include "store/store_state.h"
#include "util/log.h"
#include "util/xalloc.h"

int cmd_alert(int argc, char **argv);
extern const char cmd_alert_summary[];
const char cmd_alert_summary[] = "mail new TLS failures (or a weekly digest); for cron";

#define DAY 86400

struct opts {
	const char *db, *to, *from, *smtp, *sendmail, *cacert, *domain, *digest;
	int dry_run, require_tls, auth_plaintext, force;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tlsrpt alert --to ADDR... [--from ADDR] (--smtp URL | --sendmail CMD | --dry-run)\n"
"                    [--db URL] [--threshold-rate 0.01] [--min-failures N]\n"
"                    [--since WHEN] [--until WHEN] [--domain D] [--renotify-days N]\n"
"                    [--digest weekly [--force]] [--cacert FILE] [--[no-]require-tls]\n"
"                    [--[no-]smtp-auth-plaintext]\n"
"                    [--config FILE] [-v|--verbose] [-q|--quiet]\n"
"\n"
"Mails each NEW kind of failure (policy domain, result type, MX) found in the\n"
"reports of the window (default: since 00:00 UTC 7 days ago) whose domain\n"
"failure rate is at least --threshold-rate and that has at least\n"
"--min-failures failed sessions,\n"
"with what it means and how to fix it.  What was mailed is remembered in the\n"
"store; it is mailed again only after --renotify-days (default 7, 0 = never)\n"
"and only if it failed again.  --digest weekly mails a summary of the last 7\n"
"days instead (at most once in 6 days unless --force).  WHEN: YYYY-MM-DD (UTC;\n"
"--until includes that day), an RFC 3339 date-time with Z or an offset, Unix\n"
"seconds, or Nd / Nh (N days / hours ago).  --domain - looks only at the\n"
"policies that name no policy-domain.  SMTP AUTH: TLSRPT_SMTP_USER and\n"
"TLSRPT_SMTP_PASSWORD in the environment, sent only over TLS (STARTTLS or\n"
"smtps://) unless\n"
"--smtp-auth-plaintext allows it in clear.  --require-tls refuses to send\n"
"without STARTTLS; --no-require-tls uses it when offered, even if tlsrpt.conf\n"
"says alert_require_tls = yes (the last of the two wins).  --dry-run prints\n"
"the mail.\n"
"--to may be repeated or hold a list (\"a@x, b@y\"): one mail to all of them in\n"
"one SMTP transaction; if the server refuses some, the others get it, it counts\n"
"as sent and each refusal is a warning; one refused for now (4xx) gets that\n"
"mail alone at the next run.\n"
"-v logs what was done (-vv: debug); -q prints errors only, not warnings.\n"
"Options not given come from tlsrpt.conf (alert_*; --config FILE).\n");
}

/* Parses WHEN of --since/--until (when.h); prints what is wrong. */
static int
parse_when(const char *opt, const char *s, enum when_end end, int64_t now, int64_t *out)
{
	struct err err = { { 0 } };

	if (when_parse(s, end, now, out, &err) < 0) {
		fprintf(stderr, "tlsrpt alert: %s %s\n", opt, err.msg);
		return -1;
	}
	return 0;
}

/* Hands the composed mail to the configured channel (report/deliver_*.c),
 * or prints it.  Every recipient is in one SMTP transaction (or one
 * sendmail run, which takes them from To:), so a failure leaves none of
 * them mailed twice by the retry.  When the server refuses some recipients
 * but takes the mail for others, the mail counts as sent (else the others
 * would get it again at every run) and each refusal is a warning; a
 * recipient refused with a temporary 4xx is appended to retry (when not
 * NULL) as {to, subject, body}, to get this mail alone at the next run.
 * Returns DELIVER_OK, DELIVER_TEMPFAIL or DELIVER_PERMFAIL. */
static int
deliver(const struct opts *o, const char *subject, const char *body, int64_t now,
	json_t *retry, struct err *err)
{
	struct strlist from = { 0 }, rcpts = { 0 }, refused = { 0 };
	struct smtp_options smtp;
	char *msg;
	size_t len = 0, i;
	int rc = DELIVER_TEMPFAIL;

	msg = alert_mail_compose(o->from, o->to, subject, body, now, &len, err);
	if (msg == NULL)
		return DELIVER_PERMFAIL;
	if (o->dry_run) {
		fwrite(msg, 1, len, stdout);
		rc = DELIVER_OK;
	} else if (o->sendmail != NULL) {
		rc = deliver_sendmail(o->sendmail, msg, len, 0, err);
	} else if (alert_mail_addresses(o->from, &from, err) > 0 &&
		   alert_mail_addresses(o->to, &rcpts, err) > 0) {
		memset(&smtp, 0, sizeof(smtp));
		smtp.url = o->smtp;
		smtp.user = getenv("TLSRPT_SMTP_USER");
		smtp.password = getenv("TLSRPT_SMTP_PASSWORD");
		smtp.cacert = o->cacert;
		smtp.require_tls = o->require_tls;
		smtp.auth_plaintext = o->auth_plaintext;
		rc = deliver_smtp_many(&smtp, from.v[0], &rcpts, msg, len, &refused, err);
		for (i = 0; i < refused.n; i++) {
			const char *sep = strstr(refused.v[i], ": ");
			char *addr = sep ? xstrndup(refused.v[i], (size_t)(sep - refused.v[i])) : NULL;

			if (addr != NULL && retry != NULL && sep[2] == '4') {
				json_array_append_new(retry, json_pack("{s:s,s:s,s:s}", "to", addr,
								       "subject", subject,
								       "body", body));
				log_warn("alert: the SMTP server refused recipient %s for now; the "
					 "mail went to the other recipient(s), and is sent to this "
					 "one alone at the next run", refused.v[i]);
			} else {
				log_warn("alert: the SMTP server refused recipient %s; the mail "
					 "went to the other recipient(s) and counts as sent, so it "
					 "is not retried for this one", refused.v[i]);
			}
			free(addr);
		}
	}
	strlist_clear(&from);
	strlist_clear(&rcpts);
	strlist_clear(&refused);
	free(msg);
	return rc;
}

/* The alert memory's list of mails to retry for one recipient (refused
 * with a temporary 4xx while the others got it): a JSON array of
 * {to, subject, body} under ALERT_STATE_NS / ALERT_RETRY_KEY. */
#define ALERT_RETRY_KEY "retry"

static int
retry_save(struct store *st, json_t *list, struct err *err)
{
	char *val;
	int rc;

	if (json_array_size(list) == 0)
		return store_state_set(st, ALERT_STATE_NS, ALERT_RETRY_KEY, NULL, err);
	if ((val = json_dumps(list, JSON_COMPACT)) == NULL) {
		err_set(err, "alert: cannot encode the retry list");
		return -1;
	}
	rc = store_state_set(st, ALERT_STATE_NS, ALERT_RETRY_KEY, val, err);
	free(val);
	return rc;
}

/* Sends each mail waiting for a retry to its recipient alone; keeps those
 * refused again for now.  Returns the new list (to save again once this
 * run's refusals are appended; caller decrefs), or NULL with err set. */
static json_t *
retry_pending(struct store *st, const struct opts *o, int64_t now, struct err *err)
{
	json_t *list = NULL, *keep = json_array(), *e;
	char *val = NULL;
	size_t i;
	int got = store_state_get(st, ALERT_STATE_NS, ALERT_RETRY_KEY, &val, err);

	if (got < 0)
		goto fail;
	list = got == 1 ? json_loads(val, 0, NULL) : NULL;
	json_array_foreach(list, i, e) {
		struct opts one = *o;
		const char *subject = json_string_value(json_object_get(e, "subject"));
		const char *body = json_string_value(json_object_get(e, "body"));
		struct err why = { "" };
		int rc;

		one.to = json_string_value(json_object_get(e, "to"));
		if (one.to == NULL || subject == NULL || body == NULL)
			continue;
		rc = deliver(&one, subject, body, now, NULL, &why);
		if (rc == DELIVER_OK) {
			log_info("alert: the mail refused for now last time was sent to %s", one.to);
		} else if (rc == DELIVER_TEMPFAIL) {
			log_warn("alert: %s: still refused for now, retried at the next run: %s",
				 one.to, why.msg);
			json_array_append(keep, e);
		} else {
			log_warn("alert: %s: refused for good, not retried: %s", one.to, why.msg);
		}
	}
	if (got == 1 && retry_save(st, keep, err) != 0)
		goto fail;
	json_decref(list);
	free(val);
	return keep;
fail:
	json_decref(list);
	json_decref(keep);
	free(val);
	return NULL;
}

static int
run_digest(struct store *st, const struct opts *o, const struct alert_config *cfg)
{
	struct report_query q = { .since = cfg->since, .until = cfg->until, .domain = cfg->domain };
	struct err err;
	char *last = NULL, *subject = NULL, *body = NULL, val[32];
	json_t *ds = NULL, *retry = NULL;
	int rc = EXIT_FAILURE_, got;

	if (!o->dry_run && (retry = retry_pending(st, o, cfg->now, &err)) == NULL)
		goto fail;
	got = store_state_get(st, ALERT_STATE_NS, "digest:last", &last, &err);
	if (got < 0)
		goto fail;
	if (got == 1 && !o->force && !o->dry_run &&
	    cfg->now - strtoll(last, NULL, 10) < 6 * DAY) {
		log_info("digest: the last one was sent less than 6 days ago");
		rc = EXIT_OK;
		goto out;
	}
	ds = dataset_build(st, &q, &err);
	if (ds == NULL)
		goto fail;
	body = alert_mail_digest_body(ds, cfg->since, cfg->until);
	subject = xasprintf("TLSRPT weekly digest: %" JSON_INTEGER_FORMAT " failed of %"
			    JSON_INTEGER_FORMAT " TLS sessions",
			    json_integer_value(json_object_get(ds, "failure")),
			    json_integer_value(json_object_get(ds, "failure")) +
			    json_integer_value(json_object_get(ds, "success")));
	if (deliver(o, subject, body, cfg->now, retry, &err) != DELIVER_OK)
		goto fail;
	if (retry != NULL && retry_save(st, retry, &err) != 0)
		goto fail;
	snprintf(val, sizeof(val), "%" PRId64, cfg->now);
	if (!o->dry_run && store_state_set(st, ALERT_STATE_NS, "digest:last", val, &err) != 0)
		goto fail;
	log_info("digest sent to %s", o->to);
	rc = EXIT_OK;
	goto out;
fail:
	log_error("alert: %s", err.msg);
out:
	json_decref(ds);
	json_decref(retry);
	free(last);
	free(subject);
	free(body);
	return rc;
}

static int
run_alert(struct store *st, const struct opts *o, const struct alert_config *cfg)
{
	struct alert_list l = { 0 };
	struct err err;
	char *subject = NULL, *body = NULL;
	json_t *retry = NULL;
	int rc = EXIT_FAILURE_;

	if (!o->dry_run && (retry = retry_pending(st, o, cfg->now, &err)) == NULL)
		goto fail;
	if (alert_find(st, cfg, &l, &err) < 0)
		goto fail;
	if (l.n == 0) {
		log_info("no new failures above the thresholds");
		rc = EXIT_OK;
		goto out;
	}
	subject = alert_mail_subject(&l);
	body = alert_mail_body(&l, cfg);
	if (deliver(o, subject, body, cfg->now, retry, &err) != DELIVER_OK)
		goto fail;
	if (retry != NULL && retry_save(st, retry, &err) != 0)
		goto fail;
	if (!o->dry_run && alert_remember(st, cfg, &l, &err) != 0)
		goto fail;
	log_info("alert about %zu new failure kind(s) %s %s", l.n,
		 o->dry_run ? "printed for" : "sent to", o->to);
	rc = EXIT_OK;
	goto out;
fail:
	log_error("alert: %s", err.msg);
out:
	json_decref(retry);
	alert_list_free(&l);
	free(subject);
	free(body);
	return rc;
}

int
cmd_alert(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "threshold-rate", required_argument, NULL, 'r' },
		{ "min-failures", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "domain", required_argument, NULL, 'D' },
		{ "to", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "smtp", required_argument, NULL, 'S' },
		{ "sendmail", required_argument, NULL, 'M' },
		{ "cacert", required_argument, NULL, 'C' },
		{ "require-tls", no_argument, NULL, 'T' },
		{ "no-require-tls", no_argument, NULL, CMD_NO('T') },
		{ "smtp-auth-plaintext", no_argument, NULL, 'P' },
		{ "no-smtp-auth-plaintext", no_argument, NULL, CMD_NO('P') },
		{ "digest", required_argument, NULL, 'g' },
		{ "renotify-days", required_argument, NULL, 'R' },
		{ "force", no_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct config *conf;
	const char *rate;
	struct opts o;
	struct alert_config cfg;
	struct store *st = NULL;
	struct err err;
	const char *since = NULL, *until = NULL;
	char *end = NULL, *to_cli = NULL, *tmp;  /* to_cli: the --to options, owned */
	long long days = -1;    /* -1: alert_renotify */
	enum cmd_flag require_tls = CMD_FLAG_UNSET, auth_plaintext = CMD_FLAG_UNSET;
	int c, li = 0, verbose = 0, rc;

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	if ((conf = cmd_config_load("alert", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	/* tlsrpt.conf first; the options below override it */
	rate = config_get_string(conf, "alert_threshold_rate");
	cfg.threshold_rate = strtod(rate, &end);
	if (*rate == '\0' || *end != '\0' || !(cfg.threshold_rate >= 0 && cfg.threshold_rate <= 1)) {
		fprintf(stderr, "tlsrpt alert: %s: alert_threshold_rate: '%s' is not a number "
			"from 0 to 1\n", config_origin(conf, "alert_threshold_rate"), rate);
		rc = EXIT_FAILURE_;
		goto out;
	}
	cfg.min_failures = (uint64_t)config_get_int(conf, "alert_min_failures");
	cfg.now = (int64_t)time(NULL);
	o.from = config_get_string(conf, "alert_from");
	o.to = config_get_string_or_null(conf, "alert_to");
	o.cacert = config_get_string_or_null(conf, "alert_cacert");
	while ((c = getopt_long(argc, argv, "vqh", lopts, &li)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'D': o.domain = optarg; break;
		case 't':       /* repeated: one list; it replaces alert_to */
			tmp = to_cli == NULL ? xstrdup(optarg) : xasprintf("%s, %s", to_cli, optarg);
			free(to_cli);
			o.to = to_cli = tmp;
			break;
		case 'f': o.from = optarg; break;
		case 'S': o.smtp = optarg; break;
		case 'M': o.sendmail = optarg; break;
		case 'C': o.cacert = optarg; break;
		case 'T':
		case CMD_NO('T'): require_tls = CMD_FLAG(c); break;
		case 'P':
		case CMD_NO('P'): auth_plaintext = CMD_FLAG(c); break;
		case 'g': o.digest = optarg; break;
		case 'F': o.force = 1; break;
		case 'N': o.dry_run = 1; break;
		case 'v': verbose++; break;
		case 'q': verbose = -1; break;
		case 'c': break;        /* read by cmd_config_path() */
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		case 'r':
			cfg.threshold_rate = strtod(optarg, &end);
			if (*end != '\0' || !(cfg.threshold_rate >= 0 && cfg.threshold_rate <= 1))
				goto bad;
			break;
		case 'n':
			cfg.min_failures = strtoull(optarg, &end, 10);
			if (*optarg == '-' || *end != '\0')
				goto bad;
			break;
		case 'R':
			days = strtoll(optarg, &end, 10);
			if (*end != '\0' || days < 0 || days > 3650)
				goto bad;
			break;
		default: usage(stderr); rc = EXIT_USAGE; goto out;
		}
	}
	o.require_tls = cmd_flag_bool(require_tls, conf, "alert_require_tls");
	o.auth_plaintext = cmd_flag_bool(auth_plaintext, conf, "alert_smtp_auth_plaintext");
	cfg.renotify = days >= 0 ? (int64_t)days * DAY : config_get_int(conf, "alert_renotify");
	if (o.smtp == NULL && o.sendmail == NULL) {     /* --smtp or --sendmail wins */
		o.smtp = config_get_string_or_null(conf, "alert_smtp_url");
		o.sendmail = config_get_string_or_null(conf, "alert_sendmail");
	}
	cfg.domain = report_domain_filter(o.domain);    /* "-": no policy-domain */
	/* Reports are selected by the instant their range starts (store_summary.h),
	 * so the default window starts at 00:00 UTC 7 days ago: from now - 7 days
	 * the report of that day, which arrives the day after, would be in no
	 * weekly digest. */
	cfg.since = datetime_day_start(cfg.now) - 7 * DAY;
	if ((since != NULL && parse_when("--since", since, WHEN_START, cfg.now, &cfg.since) != 0) ||
	    (until != NULL && parse_when("--until", until, WHEN_END, cfg.now, &cfg.until) != 0)) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.digest != NULL && strcmp(o.digest, "weekly") != 0) {
		fprintf(stderr, "tlsrpt alert: --digest %s: expected weekly\n", o.digest);
		rc = EXIT_USAGE;
		goto out;
	}
	if (optind != argc) {
		fprintf(stderr, "tlsrpt alert: unexpected argument \"%s\" (recipients go with --to)\n",
			argv[optind]);
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (o.digest != NULL && cfg.until == 0)
		cfg.until = cfg.now;
	if (o.to == NULL ||
	    (!o.dry_run && (o.smtp == NULL) == (o.sendmail == NULL))) {
		fprintf(stderr, "tlsrpt alert: need --to and exactly one of --smtp, --sendmail "
			"(or --dry-run), or alert_to, alert_smtp_url, alert_sendmail\n");
		rc = EXIT_USAGE;
		goto out;
	}
	log_init("tlsrpt", verbose < 0 ? LOG_LEVEL_ERROR : verbose > 1 ? LOG_LEVEL_DEBUG :
		 verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, 0);
	signal(SIGPIPE, SIG_IGN);
	/* --dry-run remembers nothing: a user who may only read can run it */
	st = o.dry_run ? store_open_readonly(cmd_db_url_cfg(conf, o.db), &err)
		       : store_open(cmd_db_url_cfg(conf, o.db), &err);
	if (st == NULL) {
		log_error("alert: %s", err.msg);
		rc = EXIT_FAILURE_;
		goto out;
	}
	rc = o.digest != NULL ? run_digest(st, &o, &cfg) : run_alert(st, &o, &cfg);
	store_close(&st);
	goto out;
bad:
	fprintf(stderr, "tlsrpt alert: --%s %s: %s\n", lopts[li].name, optarg,
		c == 'r' ? "expected a number from 0 to 1" : c == 'n' ? "expected a whole number"
		: "expected 0 to 3650 days");
	usage(stderr);
	rc = EXIT_USAGE;
out:
	free(to_cli);
	config_free(&conf);
	return rc;
}
