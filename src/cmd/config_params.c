/*
 * config_params: the tlsrpt.conf parameters (see config_params.h).
 * Add a parameter here only together with the code that reads it and its
 * entry in man/tlsrpt.conf.5.  Defaults are written as in the file.
 */
#include "cmd/config_params.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* One row per type; strings and booleans have no bounds. */
#define PARAM_STRING(name, def, doc) { name, CONFIG_STRING, def, 0, 0, doc }
#define PARAM_BOOL(name, def, doc) { name, CONFIG_BOOL, def, 0, 0, doc }
#define PARAM_INT(name, def, min, max, doc) { name, CONFIG_INT, def, min, max, doc }
#define PARAM_DURATION(name, def, min, max, doc) { name, CONFIG_DURATION, def, min, max, doc }
#define PARAM_SIZE(name, def, min, max, doc) { name, CONFIG_SIZE, def, min, max, doc }

const struct config_param config_params[] = {
	PARAM_STRING("database_url", "sqlite:/var/lib/tlsrpt/tlsrpt.db",
	  "report store: sqlite:PATH or postgresql://… (flag --db, env TLSRPT_DB)"),
	PARAM_STRING("daemon_user", "",
	  "collectd, reportd, serve started as root become this user after start-up (--user)"),
	PARAM_INT("retention_days", "0", 0, 36500,
	  "tlsrpt prune: delete data older than this many days; 0 keeps all (--older-than)"),

	/* tlsrpt collectd */
	PARAM_STRING("collectd_socket", "",
	  "unix datagram socket the MTAs send results to (flag --socket, env TLSRPT_SOCKET)"),
	PARAM_STRING("collectd_socket_mode", "",
	  "octal permissions of the socket, e.g. 0660; empty: as the umask gives (--socket-mode)"),
	PARAM_STRING("collectd_socket_group", "",
	  "group of the socket; empty: unchanged (--socket-group)"),
	PARAM_INT("collectd_batch_size", "10000", 1, 1000000,
	  "results stored per transaction (--batch)"),
	PARAM_INT("collectd_flush_ms", "200", 1, 600000,
	  "milliseconds of quiet before a partial batch is stored (--flush-ms)"),
	PARAM_INT("collectd_hold_ms", "0", 0, 600000,
	  "longest time datagrams are left in the socket's queue so that one wake-up "
	  "reads many; 0: read each at once (--hold-ms)"),
	PARAM_DURATION("collectd_stats_interval", "5m", 0, 86400,
	  "how often counters are logged; 0: only at exit (--stats-secs)"),
	PARAM_SIZE("collectd_rcvbuf", "8M", 0, 1 << 30,
	  "socket receive buffer asked for (--rcvbuf)"),
	PARAM_STRING("collectd_journal", "",
	  "directory of the journal of received datagrams; empty: the SQLite path + .collectd-journal, else the socket path + .journal (--journal)"),
	PARAM_SIZE("collectd_journal_max", "1G", 1 << 20, (int64_t)1 << 40,
	  "journal bytes not yet stored, at most; past it datagrams are dropped and counted (--journal-max)"),

	/* tlsrpt policyd (MTA-STS policy server for Postfix) */
	PARAM_STRING("policyd_socket", "/var/spool/postfix/tlsrpt/policyd.sock",
	  "unix socket Postfix's socketmap connects to; empty: none (--socket)"),
	PARAM_STRING("policyd_socket_mode", "0666",
	  "octal permissions of the socket (--socket-mode)"),
	PARAM_STRING("policyd_listen", "",
	  "also listen on loopback TCP, ADDR:PORT; empty: no (--listen)"),
	PARAM_STRING("policyd_collector_socket", "",
	  "report the failures only policyd sees to this collector socket; empty: collectd_socket (--collector-socket)"),
	PARAM_STRING("policyd_resolver", "",
	  "DNS resolver IP[@PORT]; empty: /etc/resolv.conf (--resolver)"),
	PARAM_STRING("policyd_trust_anchor", "/usr/share/dns/root.key",
	  "DNSSEC trust anchor file (DANE needs it); ignored if missing (--trust-anchor)"),
	PARAM_STRING("policyd_cacert", "",
	  "CA bundle for policy hosts; empty: the system one (--cacert)"),
	PARAM_DURATION("policyd_dns_timeout", "5s", 1, 60,
	  "time allowed for one DNS lookup (--dns-timeout)"),
	PARAM_DURATION("policyd_fetch_timeout", "10s", 1, 60,
	  "time allowed for one policy fetch over HTTPS (--fetch-timeout)"),
	PARAM_DURATION("policyd_answer_timeout", "10s", 1, 90,
	  "longest a lookup waits for DNS/HTTPS before answering as if no policy (--answer-timeout)"),
	PARAM_DURATION("policyd_check_interval", "1h", 1, 86400,
	  "how often the _mta-sts TXT id of a cached policy is checked (--check-interval)"),
	PARAM_DURATION("policyd_retry_interval", "5m", 1, 86400,
	  "a failed fetch or DNS lookup stands this long before it is tried again (--retry-interval)"),
	PARAM_DURATION("policyd_none_ttl", "1h", 1, 86400,
	  "how long \"no MTA-STS policy\" is remembered (--none-ttl)"),
	PARAM_DURATION("policyd_refresh_before", "1d", 0, 30 * 86400,
	  "refetch a policy in use this long before it expires, at most max_age/4 (--refresh-before)"),
	PARAM_BOOL("policyd_dane_first", "yes",
	  "answer dane when the MX hosts have DNSSEC-valid TLSA records (--dane-first / --no-dane-first)"),
	PARAM_BOOL("policyd_enforce_testing", "no",
	  "apply mode testing policies as enforce (--enforce-testing / --no-enforce-testing)"),
	PARAM_BOOL("policyd_tlsrpt_attributes", "yes",
	  "add the Postfix 3.10 TLSRPT attributes to answers (--tlsrpt-attributes / --no-tlsrpt-attributes)"),
	PARAM_STRING("policyd_fetch_failure", "deliver",
	  "no cached policy and the fetch failed: deliver (RFC 8461) or defer (--fetch-failure)"),
	PARAM_INT("policyd_workers", "4", 1, 64,
	  "resolver threads (--workers)"),
	PARAM_INT("policyd_max_connections", "256", 1, 10000,
	  "client connections served at once (--max-connections)"),
	PARAM_INT("policyd_cache_size", "100000", 100, 10000000,
	  "policy domains kept in memory (--cache-size)"),
	PARAM_DURATION("policyd_stats_interval", "5m", 0, 86400,
	  "how often counters are logged; 0: only on SIGUSR1 and at exit (--stats-interval)"),

	/* tlsrpt send and tlsrpt reportd (the reporter) */
	PARAM_STRING("report_submitter", "",
	  "our domain: in report-ids and TLS-Report-Submitter; required (--submitter)"),
	PARAM_STRING("report_organization", "",
	  "organization-name in reports; empty: the submitter (--org)"),
	PARAM_STRING("report_contact", "",
	  "contact-info in reports; empty: postmaster@SUBMITTER (--contact)"),
	PARAM_STRING("report_from", "",
	  "From: and envelope sender of report mail; empty: the contact (--from)"),
	PARAM_STRING("report_smtp_url", "",
	  "submit report mail over SMTP: smtp://host:587 or smtps://host:465 (--smtp)"),
	PARAM_STRING("report_smtp_user", "",
	  "SMTP AUTH user (--smtp-user)"),
	PARAM_STRING("report_smtp_password_file", "",
	  "file holding the SMTP AUTH password (--smtp-password-file, env TLSRPT_SMTP_PASSWORD)"),
	PARAM_BOOL("report_smtp_require_tls", "no",
	  "refuse to submit without STARTTLS (--smtp-require-tls / --no-smtp-require-tls)"),
	PARAM_BOOL("report_smtp_auth_plaintext", "no",
	  "allow the SMTP AUTH password in clear when the relay offers no STARTTLS "
	  "(--smtp-auth-plaintext)"),
	PARAM_STRING("report_sendmail", "",
	  "submit report mail through this command instead of SMTP (--sendmail)"),
	PARAM_STRING("report_dkim_key", "",
	  "PEM private key to DKIM-sign report mail; empty: unsigned (--dkim-key)"),
	PARAM_STRING("report_dkim_selector", "",
	  "DKIM selector (--dkim-selector)"),
	PARAM_STRING("report_dkim_domain", "",
	  "DKIM signing domain; empty: the submitter (--dkim-domain)"),
	PARAM_STRING("report_cacert", "",
	  "CA bundle for HTTPS and SMTP; empty: the system one (--cacert)"),
	PARAM_STRING("report_resolver", "",
	  "DNS resolver IP[@PORT] for _smtp._tls lookups; empty: the system one (--resolver)"),
	PARAM_BOOL("report_only_failures", "no",
	  "send no report for a day without failures (--only-failures / --no-only-failures)"),
	PARAM_STRING("report_omit", "",
	  "failure-detail fields never sent (RFC 8460 section 7): sending-mta-ip, "
	  "failure-reason-code, receiving-mx-helo, additional-information (--omit)"),
	PARAM_BOOL("report_send_private_ip", "no",
	  "send private, loopback and link-local sending-mta-ip too "
	  "(--send-private-ip / --no-send-private-ip)"),
	PARAM_INT("report_suppress_days", "30", 0, 3650,
	  "days a destination that refused a report for good (SMTP 5xx to RCPT TO, HTTPS 4xx but "
	  "408/429) is suppressed; 0: never"),
	PARAM_DURATION("reportd_jitter", "4h", 0, 86400,
	  "reportd waits a random delay up to this after midnight UTC (--jitter)"),

	/* tlsrpt serve */
	PARAM_STRING("serve_listen", "127.0.0.1:8460",
	  "ADDR:PORT the HTTP(S) server listens on (--listen)"),
	PARAM_STRING("serve_path", "/tlsrpt",
	  "path of the rua=https report endpoint (--path)"),
	PARAM_SIZE("serve_max_body", "10M", 1, INT64_C(1) << 32,
	  "largest report POST accepted; larger ones get 413 (--max-body)"),
	PARAM_INT("serve_threads", "4", 1, 256,
	  "worker threads (--threads)"),
	PARAM_INT("serve_max_connections", "512", 1, 100000,
	  "open connections at most; more wait in the listen queue (--max-connections)"),
	PARAM_INT("serve_per_ip_limit", "32", 1, 100000,
	  "requests in progress from one client address; more get 429 (--per-ip-limit)"),
	PARAM_INT("serve_intake_writers", "2", 1, 16,
	  "store writer threads on PostgreSQL, each with its own connection; SQLite"
	  " always has one (--intake-writers)"),
	PARAM_DURATION("serve_header_timeout", "10s", 1, 3600,
	  "request headers must be complete within this; else 408 (--header-timeout)"),
	PARAM_DURATION("serve_body_timeout", "60s", 1, 3600,
	  "a request body must be complete within this after its headers (--body-timeout)"),
	PARAM_STRING("serve_tls_cert", "",
	  "PEM certificate chain; with serve_tls_key the server speaks HTTPS (--tls-cert)"),
	PARAM_STRING("serve_tls_key", "",
	  "PEM private key for serve_tls_cert (--tls-key)"),
	PARAM_STRING("serve_dashboard_listen", "127.0.0.1:8461",
	  "ADDR:PORT of the dashboard, API and /metrics; \"intake\": on serve_listen; "
	  "\"none\": off (--dashboard-listen)"),
	PARAM_STRING("serve_read_only_listen", "127.0.0.1:8462",
	  "ADDR:PORT of the dashboard of serve --read-only, so it can run beside a "
	  "plain serve (--dashboard-listen)"),
	PARAM_BOOL("serve_auth", "yes",
	  "dashboard login required; \"no\" only for a loopback dashboard listener "
	  "(--no-auth)"),
	PARAM_STRING("serve_accept_domains", "",
	  "policy domains (name, *.name, or *) whose reports the intake stores, besides "
	  "those granted to users (--accept-domain)"),

	/* tlsrpt alert */
	PARAM_STRING("alert_to", "",
	  "who gets failure alerts and digests, an address list (--to)"),
	PARAM_STRING("alert_from", "tlsrpt@localhost",
	  "From: address of alert mail (--from)"),
	PARAM_STRING("alert_smtp_url", "",
	  "send alert mail over SMTP: smtp://host:587 or smtps://host:465 (--smtp)"),
	PARAM_STRING("alert_sendmail", "",
	  "send alert mail through this command instead (--sendmail)"),
	PARAM_STRING("alert_cacert", "",
	  "CA bundle for the SMTP server; empty: the system one (--cacert)"),
	PARAM_BOOL("alert_require_tls", "no",
	  "refuse to send without STARTTLS (--require-tls / --no-require-tls)"),
	PARAM_BOOL("alert_smtp_auth_plaintext", "no",
	  "allow the SMTP AUTH password in clear when the server offers no STARTTLS "
	  "(--smtp-auth-plaintext)"),
	PARAM_STRING("alert_threshold_rate", "0.01",
	  "alert only for domains whose failure rate is at least this, 0 to 1 (--threshold-rate)"),
	PARAM_INT("alert_min_failures", "1", 0, INT64_C(1000000000),
	  "alert only for failure kinds with at least this many failed sessions (--min-failures)"),
	PARAM_DURATION("alert_renotify", "7d", 0, 3650 * 86400,
	  "mail a failure kind again after this long if it recurs; 0: never (--renotify-days)"),

	/* tlsrpt fetch imap */
	PARAM_STRING("fetch_imap_url", "",
	  "mailbox for 'tlsrpt fetch imap' without URL: imaps://host[:port][/MAILBOX]"),
	PARAM_STRING("fetch_imap_user", "",
	  "IMAP login (--user)"),
	PARAM_STRING("fetch_imap_password_file", "",
	  "file holding the IMAP password (--password-file, env TLSRPT_IMAP_PASSWORD)"),
	PARAM_STRING("fetch_imap_cacert", "",
	  "CA bundle for the IMAP server; empty: the system one (--cacert)"),
	PARAM_STRING("fetch_imap_mailbox", "",
	  "mailbox to read; empty: the one in the URL, else INBOX (--mailbox)"),
	PARAM_STRING("fetch_imap_move_to", "",
	  "move mail whose reports were stored to this folder (--move-to)"),
	PARAM_BOOL("fetch_imap_seen", "no",
	  "flag mail whose reports were stored \\Seen (--seen / --no-seen)"),
	{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
};

/* The short environment names the commands read besides TLSRPT_<NAME>;
 * they win over it, as they do where the commands read them. */
static const struct {
	const char *env, *param;
} env_aliases[] = {
	{ "TLSRPT_DB", "database_url" },                /* common.c */
	{ "TLSRPT_SOCKET", "collectd_socket" },         /* cmd_collectd.c */
};

struct config *
config_params_load(const char *path, struct err *err)
{
	struct config *cfg = config_load(config_params, path, environ, err);
	char origin[64];

	for (size_t i = 0; cfg != NULL && i < sizeof(env_aliases) / sizeof(env_aliases[0]); i++) {
		const char *v = getenv(env_aliases[i].env);

		if (v == NULL || *v == '\0')
			continue;
		snprintf(origin, sizeof(origin), "environment %s", env_aliases[i].env);
		if (config_set(cfg, env_aliases[i].param, v, origin, err) < 0) {
			err_prefix(err, "environment %s", env_aliases[i].env);
			config_free(&cfg);
		}
	}
	return cfg;
}

const char *
cmd_config_path(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

struct config *
cmd_config_load(const char *who, const char *path)
{
	struct err err = { { 0 } };
	struct config *c = config_params_load(path, &err);

	if (c == NULL)
		fprintf(stderr, "tlsrpt %s: config: %s\n", who, err.msg);
	return c;
}

int
cmd_flag_bool(enum cmd_flag f, const struct config *cfg, const char *name)
{
	int v = config_get_bool(cfg, name);     /* checks name even when a flag decides */

	return f == CMD_FLAG_ON ? 1 : f == CMD_FLAG_OFF ? 0 : v;
}
