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

const struct config_param config_params[] = {
	{ "database_url", CONFIG_STRING, "sqlite:/var/lib/tlsrpt/tlsrpt.db", 0, 0,
	  "report store: sqlite:PATH or postgresql://… (flag --db, env TLSRPT_DB)" },
	{ "daemon_user", CONFIG_STRING, "", 0, 0,
	  "collectd, reportd, serve started as root become this user after start-up (--user)" },
	{ "retention_days", CONFIG_INT, "0", 0, 36500,
	  "tlsrpt prune: delete data older than this many days; 0 keeps all (--older-than)" },

	/* tlsrpt collectd */
	{ "collectd_socket", CONFIG_STRING, "", 0, 0,
	  "unix datagram socket the MTAs send results to (flag --socket, env TLSRPT_SOCKET)" },
	{ "collectd_socket_mode", CONFIG_STRING, "", 0, 0,
	  "octal permissions of the socket, e.g. 0660; empty: as the umask gives (--socket-mode)" },
	{ "collectd_socket_group", CONFIG_STRING, "", 0, 0,
	  "group of the socket; empty: unchanged (--socket-group)" },
	{ "collectd_batch_size", CONFIG_INT, "10000", 1, 1000000,
	  "results stored per transaction (--batch)" },
	{ "collectd_flush_ms", CONFIG_INT, "200", 1, 600000,
	  "milliseconds of quiet before a partial batch is stored (--flush-ms)" },
	{ "collectd_stats_interval", CONFIG_DURATION, "5m", 0, 86400,
	  "how often counters are logged; 0: only at exit (--stats-secs)" },
	{ "collectd_rcvbuf", CONFIG_SIZE, "8M", 0, 1 << 30,
	  "socket receive buffer asked for (--rcvbuf)" },
	{ "collectd_journal", CONFIG_STRING, "", 0, 0,
	  "directory of the journal of received datagrams; empty: the SQLite path + .collectd-journal, else the socket path + .journal (--journal)" },
	{ "collectd_journal_max", CONFIG_SIZE, "1G", 1 << 20, (int64_t)1 << 40,
	  "journal bytes not yet stored, at most; past it datagrams are dropped and counted (--journal-max)" },

	/* tlsrpt policyd (MTA-STS policy server for Postfix) */
	{ "policyd_socket", CONFIG_STRING, "/var/spool/postfix/tlsrpt/policyd.sock", 0, 0,
	  "unix socket Postfix's socketmap connects to; empty: none (--socket)" },
	{ "policyd_socket_mode", CONFIG_STRING, "0666", 0, 0,
	  "octal permissions of the socket (--socket-mode)" },
	{ "policyd_listen", CONFIG_STRING, "", 0, 0,
	  "also listen on loopback TCP, ADDR:PORT; empty: no (--listen)" },
	{ "policyd_collector_socket", CONFIG_STRING, "", 0, 0,
	  "report the failures only policyd sees to this collector socket; empty: collectd_socket (--collector-socket)" },
	{ "policyd_resolver", CONFIG_STRING, "", 0, 0,
	  "DNS resolver IP[@PORT]; empty: /etc/resolv.conf (--resolver)" },
	{ "policyd_trust_anchor", CONFIG_STRING, "/usr/share/dns/root.key", 0, 0,
	  "DNSSEC trust anchor file (DANE needs it); ignored if missing (--trust-anchor)" },
	{ "policyd_cacert", CONFIG_STRING, "", 0, 0,
	  "CA bundle for policy hosts; empty: the system one (--cacert)" },
	{ "policyd_dns_timeout", CONFIG_DURATION, "5s", 1, 60,
	  "time allowed for one DNS lookup (--dns-timeout)" },
	{ "policyd_fetch_timeout", CONFIG_DURATION, "10s", 1, 60,
	  "time allowed for one policy fetch over HTTPS (--fetch-timeout)" },
	{ "policyd_answer_timeout", CONFIG_DURATION, "10s", 1, 90,
	  "longest a lookup waits for DNS/HTTPS before answering as if no policy (--answer-timeout)" },
	{ "policyd_check_interval", CONFIG_DURATION, "1h", 1, 86400,
	  "how often the _mta-sts TXT id of a cached policy is checked (--check-interval)" },
	{ "policyd_retry_interval", CONFIG_DURATION, "5m", 1, 86400,
	  "a failed fetch or DNS lookup stands this long before it is tried again (--retry-interval)" },
	{ "policyd_none_ttl", CONFIG_DURATION, "1h", 1, 86400,
	  "how long \"no MTA-STS policy\" is remembered (--none-ttl)" },
	{ "policyd_refresh_before", CONFIG_DURATION, "1d", 0, 30 * 86400,
	  "refetch a policy in use this long before it expires, at most max_age/4 (--refresh-before)" },
	{ "policyd_dane_first", CONFIG_BOOL, "yes", 0, 0,
	  "answer dane when the MX hosts have DNSSEC-valid TLSA records (--dane-first / --no-dane-first)" },
	{ "policyd_enforce_testing", CONFIG_BOOL, "no", 0, 0,
	  "apply mode testing policies as enforce (--enforce-testing / --no-enforce-testing)" },
	{ "policyd_tlsrpt_attributes", CONFIG_BOOL, "yes", 0, 0,
	  "add the Postfix 3.10 TLSRPT attributes to answers (--tlsrpt-attributes / --no-tlsrpt-attributes)" },
	{ "policyd_fetch_failure", CONFIG_STRING, "deliver", 0, 0,
	  "no cached policy and the fetch failed: deliver (RFC 8461) or defer (--fetch-failure)" },
	{ "policyd_workers", CONFIG_INT, "4", 1, 64,
	  "resolver threads (--workers)" },
	{ "policyd_max_connections", CONFIG_INT, "256", 1, 10000,
	  "client connections served at once (--max-connections)" },
	{ "policyd_cache_size", CONFIG_INT, "100000", 100, 10000000,
	  "policy domains kept in memory (--cache-size)" },
	{ "policyd_stats_interval", CONFIG_DURATION, "5m", 0, 86400,
	  "how often counters are logged; 0: only on SIGUSR1 and at exit (--stats-interval)" },

	/* tlsrpt send and tlsrpt reportd (the reporter) */
	{ "report_submitter", CONFIG_STRING, "", 0, 0,
	  "our domain: in report-ids and TLS-Report-Submitter; required (--submitter)" },
	{ "report_organization", CONFIG_STRING, "", 0, 0,
	  "organization-name in reports; empty: the submitter (--org)" },
	{ "report_contact", CONFIG_STRING, "", 0, 0,
	  "contact-info in reports; empty: postmaster@SUBMITTER (--contact)" },
	{ "report_from", CONFIG_STRING, "", 0, 0,
	  "From: and envelope sender of report mail; empty: the contact (--from)" },
	{ "report_smtp_url", CONFIG_STRING, "", 0, 0,
	  "submit report mail over SMTP: smtp://host:587 or smtps://host:465 (--smtp)" },
	{ "report_smtp_user", CONFIG_STRING, "", 0, 0,
	  "SMTP AUTH user (--smtp-user)" },
	{ "report_smtp_password_file", CONFIG_STRING, "", 0, 0,
	  "file holding the SMTP AUTH password (--smtp-password-file, env TLSRPT_SMTP_PASSWORD)" },
	{ "report_smtp_require_tls", CONFIG_BOOL, "no", 0, 0,
	  "refuse to submit without STARTTLS (--smtp-require-tls / --no-smtp-require-tls)" },
	{ "report_smtp_auth_plaintext", CONFIG_BOOL, "no", 0, 0,
	  "allow the SMTP AUTH password in clear when the relay offers no STARTTLS "
	  "(--smtp-auth-plaintext)" },
	{ "report_sendmail", CONFIG_STRING, "", 0, 0,
	  "submit report mail through this command instead of SMTP (--sendmail)" },
	{ "report_dkim_key", CONFIG_STRING, "", 0, 0,
	  "PEM private key to DKIM-sign report mail; empty: unsigned (--dkim-key)" },
	{ "report_dkim_selector", CONFIG_STRING, "", 0, 0,
	  "DKIM selector (--dkim-selector)" },
	{ "report_dkim_domain", CONFIG_STRING, "", 0, 0,
	  "DKIM signing domain; empty: the submitter (--dkim-domain)" },
	{ "report_cacert", CONFIG_STRING, "", 0, 0,
	  "CA bundle for HTTPS and SMTP; empty: the system one (--cacert)" },
	{ "report_resolver", CONFIG_STRING, "", 0, 0,
	  "DNS resolver IP[@PORT] for _smtp._tls lookups; empty: the system one (--resolver)" },
	{ "report_only_failures", CONFIG_BOOL, "no", 0, 0,
	  "send no report for a day without failures (--only-failures / --no-only-failures)" },
	{ "report_omit", CONFIG_STRING, "", 0, 0,
	  "failure-detail fields never sent (RFC 8460 section 7): sending-mta-ip, "
	  "failure-reason-code, receiving-mx-helo, additional-information (--omit)" },
	{ "report_send_private_ip", CONFIG_BOOL, "no", 0, 0,
	  "send private, loopback and link-local sending-mta-ip too "
	  "(--send-private-ip / --no-send-private-ip)" },
	{ "report_suppress_days", CONFIG_INT, "30", 0, 3650,
	  "days a destination that refused a report for good (SMTP 5xx to RCPT TO, HTTPS 4xx but "
	  "408/429) is suppressed; 0: never" },
	{ "reportd_jitter", CONFIG_DURATION, "4h", 0, 86400,
	  "reportd waits a random delay up to this after midnight UTC (--jitter)" },

	/* tlsrpt serve */
	{ "serve_listen", CONFIG_STRING, "127.0.0.1:8460", 0, 0,
	  "ADDR:PORT the HTTP(S) server listens on (--listen)" },
	{ "serve_path", CONFIG_STRING, "/tlsrpt", 0, 0,
	  "path of the rua=https report endpoint (--path)" },
	{ "serve_max_body", CONFIG_SIZE, "10M", 1, INT64_C(1) << 32,
	  "largest report POST accepted; larger ones get 413 (--max-body)" },
	{ "serve_threads", CONFIG_INT, "4", 1, 256,
	  "worker threads (--threads)" },
	{ "serve_max_connections", CONFIG_INT, "512", 1, 100000,
	  "open connections at most; more wait in the listen queue (--max-connections)" },
	{ "serve_per_ip_limit", CONFIG_INT, "32", 1, 100000,
	  "requests in progress from one client address; more get 429 (--per-ip-limit)" },
	{ "serve_header_timeout", CONFIG_DURATION, "10s", 1, 3600,
	  "request headers must be complete within this; else 408 (--header-timeout)" },
	{ "serve_body_timeout", CONFIG_DURATION, "60s", 1, 3600,
	  "a request body must be complete within this after its headers (--body-timeout)" },
	{ "serve_tls_cert", CONFIG_STRING, "", 0, 0,
	  "PEM certificate chain; with serve_tls_key the server speaks HTTPS (--tls-cert)" },
	{ "serve_tls_key", CONFIG_STRING, "", 0, 0,
	  "PEM private key for serve_tls_cert (--tls-key)" },
	{ "serve_dashboard_listen", CONFIG_STRING, "127.0.0.1:8461", 0, 0,
	  "ADDR:PORT of the dashboard, API and /metrics; \"intake\": on serve_listen; "
	  "\"none\": off (--dashboard-listen)" },
	{ "serve_auth", CONFIG_BOOL, "yes", 0, 0,
	  "dashboard login required; \"no\" only for a loopback dashboard listener "
	  "(--no-auth)" },
	{ "serve_accept_domains", CONFIG_STRING, "", 0, 0,
	  "policy domains (name, *.name, or *) whose reports the intake stores, besides "
	  "those granted to users (--accept-domain)" },

	/* tlsrpt alert */
	{ "alert_to", CONFIG_STRING, "", 0, 0,
	  "who gets failure alerts and digests, an address list (--to)" },
	{ "alert_from", CONFIG_STRING, "tlsrpt@localhost", 0, 0,
	  "From: address of alert mail (--from)" },
	{ "alert_smtp_url", CONFIG_STRING, "", 0, 0,
	  "send alert mail over SMTP: smtp://host:587 or smtps://host:465 (--smtp)" },
	{ "alert_sendmail", CONFIG_STRING, "", 0, 0,
	  "send alert mail through this command instead (--sendmail)" },
	{ "alert_cacert", CONFIG_STRING, "", 0, 0,
	  "CA bundle for the SMTP server; empty: the system one (--cacert)" },
	{ "alert_require_tls", CONFIG_BOOL, "no", 0, 0,
	  "refuse to send without STARTTLS (--require-tls / --no-require-tls)" },
	{ "alert_smtp_auth_plaintext", CONFIG_BOOL, "no", 0, 0,
	  "allow the SMTP AUTH password in clear when the server offers no STARTTLS "
	  "(--smtp-auth-plaintext)" },
	{ "alert_threshold_rate", CONFIG_STRING, "0.01", 0, 0,
	  "alert only for domains whose failure rate is at least this, 0 to 1 (--threshold-rate)" },
	{ "alert_min_failures", CONFIG_INT, "1", 0, INT64_C(1000000000),
	  "alert only for failure kinds with at least this many failed sessions (--min-failures)" },
	{ "alert_renotify", CONFIG_DURATION, "7d", 0, 3650 * 86400,
	  "mail a failure kind again after this long if it recurs; 0: never (--renotify-days)" },

	/* tlsrpt fetch imap */
	{ "fetch_imap_url", CONFIG_STRING, "", 0, 0,
	  "mailbox for 'tlsrpt fetch imap' without URL: imaps://host[:port][/MAILBOX]" },
	{ "fetch_imap_user", CONFIG_STRING, "", 0, 0,
	  "IMAP login (--user)" },
	{ "fetch_imap_password_file", CONFIG_STRING, "", 0, 0,
	  "file holding the IMAP password (--password-file, env TLSRPT_IMAP_PASSWORD)" },
	{ "fetch_imap_cacert", CONFIG_STRING, "", 0, 0,
	  "CA bundle for the IMAP server; empty: the system one (--cacert)" },
	{ "fetch_imap_mailbox", CONFIG_STRING, "", 0, 0,
	  "mailbox to read; empty: the one in the URL, else INBOX (--mailbox)" },
	{ "fetch_imap_move_to", CONFIG_STRING, "", 0, 0,
	  "move mail whose reports were stored to this folder (--move-to)" },
	{ "fetch_imap_seen", CONFIG_BOOL, "no", 0, 0,
	  "flag mail whose reports were stored \\Seen (--seen / --no-seen)" },
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
