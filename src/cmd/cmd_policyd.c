/*
 * cmd_policyd: `tlsrpt policyd`: the MTA-STS policy server for Postfix's
 * smtp_tls_policy_maps (socketmap), and `--query DOMAIN` for operators
 * (policyd/policyd.h does the work).  Exit status: 0 after SIGTERM/SIGINT
 * or a query answered, 2 usage, 3 could not start.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "policyd/policyd.h"
#include "util/log.h"

int cmd_policyd(int argc, char **argv);
extern const char cmd_policyd_summary[];
const char cmd_policyd_summary[] = "MTA-STS policy server for Postfix (socketmap), with TLSRPT";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt policyd [--socket PATH] [--socket-mode OCTAL] [--listen ADDR:PORT]\n"
	    "                      [--db URL] [--collector-socket PATH] [--resolver IP[@PORT]]\n"
	    "                      [--trust-anchor FILE] [--cacert FILE]\n"
	    "                      [--connect-to HOST:PORT:CHOST:CPORT]...\n"
	    "                      [--dns-timeout S] [--fetch-timeout S] [--answer-timeout S]\n"
	    "                      [--check-interval S] [--retry-interval S] [--none-ttl S]\n"
	    "                      [--refresh-before S] [--[no-]dane-first] [--[no-]enforce-testing]\n"
	    "                      [--[no-]tlsrpt-attributes] [--fetch-failure deliver|defer]\n"
	    "                      [--workers N] [--max-connections N] [--cache-size N]\n"
	    "                      [--stats-interval S] [--foreground] [--config FILE] [-v|--verbose]\n"
	    "       tlsrpt policyd --query DOMAIN [same options]\n"
	    "Answers Postfix's smtp_tls_policy_maps = socketmap:unix:PATH:sts lookups with\n"
	    "the domain's MTA-STS policy (RFC 8461) and the TLSRPT attributes of Postfix 3.10,\n"
	    "or 'dane' when the MX hosts have DNSSEC-valid TLSA records.  Options not given\n"
	    "come from tlsrpt.conf (policyd_*).  --query prints what the server would answer.\n"
	    "SIGTERM/SIGINT stop the server; SIGUSR1 logs the counters.\n");
}

enum {
	O_SOCKET = 256, O_MODE, O_LISTEN, O_DB, O_COLLECTOR, O_RESOLVER, O_ANCHOR, O_CACERT,
	O_CONNECT_TO, O_DNS_TIMEOUT, O_FETCH_TIMEOUT, O_ANSWER_TIMEOUT, O_CHECK, O_RETRY, O_NONE_TTL,
	O_REFRESH, O_DANE, O_TESTING, O_TLSRPT, O_FAILURE, O_WORKERS, O_MAXCONN, O_CACHE, O_STATS,
	O_FOREGROUND, O_CONFIG, O_QUERY,
};

/* config_set() with the flag as origin; 0 or -1 after a message. */
static int
set(struct config *conf, const char *name, const char *value, const char *flag)
{
	struct err err = { { 0 } };

	if (config_set(conf, name, value, flag, &err) < 0) {
		fprintf(stderr, "tlsrpt policyd: %s: %s\n", flag, err.msg);
		return -1;
	}
	return 0;
}

static int
apply_flag(struct config *conf, int c, const char *arg, struct strlist *connect_to,
    const char **db, const char **query, int *foreground, int *verbose)
{
	static const struct { int c; const char *name, *flag; } map[] = {
		{ O_SOCKET, "policyd_socket", "--socket" },
		{ O_MODE, "policyd_socket_mode", "--socket-mode" },
		{ O_LISTEN, "policyd_listen", "--listen" },
		{ O_COLLECTOR, "policyd_collector_socket", "--collector-socket" },
		{ O_RESOLVER, "policyd_resolver", "--resolver" },
		{ O_ANCHOR, "policyd_trust_anchor", "--trust-anchor" },
		{ O_CACERT, "policyd_cacert", "--cacert" },
		{ O_DNS_TIMEOUT, "policyd_dns_timeout", "--dns-timeout" },
		{ O_FETCH_TIMEOUT, "policyd_fetch_timeout", "--fetch-timeout" },
		{ O_ANSWER_TIMEOUT, "policyd_answer_timeout", "--answer-timeout" },
		{ O_CHECK, "policyd_check_interval", "--check-interval" },
		{ O_RETRY, "policyd_retry_interval", "--retry-interval" },
		{ O_NONE_TTL, "policyd_none_ttl", "--none-ttl" },
		{ O_REFRESH, "policyd_refresh_before", "--refresh-before" },
		{ O_FAILURE, "policyd_fetch_failure", "--fetch-failure" },
		{ O_WORKERS, "policyd_workers", "--workers" },
		{ O_MAXCONN, "policyd_max_connections", "--max-connections" },
		{ O_CACHE, "policyd_cache_size", "--cache-size" },
		{ O_STATS, "policyd_stats_interval", "--stats-interval" },
		{ O_DANE, "policyd_dane_first", "--dane-first" },
		{ O_TESTING, "policyd_enforce_testing", "--enforce-testing" },
		{ O_TLSRPT, "policyd_tlsrpt_attributes", "--tlsrpt-attributes" },
	};
	size_t i;
	int base = c & ~CMD_NO_BIT;

	switch (c) {
	case O_CONNECT_TO: strlist_add(connect_to, arg); return 0;
	case O_DB: *db = arg; return 0;
	case O_QUERY: *query = arg; return 0;
	case O_FOREGROUND: *foreground = 1; return 0;
	case O_CONFIG: return 0;        /* read by cmd_config_path() */
	case 'v': *verbose = 1; return 0;
	default: break;
	}
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].c == base)
			return set(conf, map[i].name, base == c ? (arg ? arg : "yes") : "no", map[i].flag);
	return -1;
}

/* Octal mode text to int; -1 if not. */
static int
parse_mode(const char *s)
{
	char *end;
	long v = strtol(s, &end, 8);

	return (*s == '\0' || *end != '\0' || v < 0 || v > 07777) ? -1 : (int)v;
}

int
cmd_policyd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, O_SOCKET },
		{ "socket-mode", required_argument, NULL, O_MODE },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "db", required_argument, NULL, O_DB },
		{ "collector-socket", required_argument, NULL, O_COLLECTOR },
		{ "resolver", required_argument, NULL, O_RESOLVER },
		{ "trust-anchor", required_argument, NULL, O_ANCHOR },
		{ "cacert", required_argument, NULL, O_CACERT },
		{ "connect-to", required_argument, NULL, O_CONNECT_TO },
		{ "dns-timeout", required_argument, NULL, O_DNS_TIMEOUT },
		{ "fetch-timeout", required_argument, NULL, O_FETCH_TIMEOUT },
		{ "answer-timeout", required_argument, NULL, O_ANSWER_TIMEOUT },
		{ "check-interval", required_argument, NULL, O_CHECK },
		{ "retry-interval", required_argument, NULL, O_RETRY },
		{ "none-ttl", required_argument, NULL, O_NONE_TTL },
		{ "refresh-before", required_argument, NULL, O_REFRESH },
		{ "dane-first", no_argument, NULL, O_DANE },
		{ "no-dane-first", no_argument, NULL, CMD_NO(O_DANE) },
		{ "enforce-testing", no_argument, NULL, O_TESTING },
		{ "no-enforce-testing", no_argument, NULL, CMD_NO(O_TESTING) },
		{ "tlsrpt-attributes", no_argument, NULL, O_TLSRPT },
		{ "no-tlsrpt-attributes", no_argument, NULL, CMD_NO(O_TLSRPT) },
		{ "fetch-failure", required_argument, NULL, O_FAILURE },
		{ "workers", required_argument, NULL, O_WORKERS },
		{ "max-connections", required_argument, NULL, O_MAXCONN },
		{ "cache-size", required_argument, NULL, O_CACHE },
		{ "stats-interval", required_argument, NULL, O_STATS },
		{ "foreground", no_argument, NULL, O_FOREGROUND },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "query", required_argument, NULL, O_QUERY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policyd_config cfg;
	struct strlist connect_to = { 0 };
	struct config *conf;
	const char *db = NULL, *query = NULL, *failure, *anchor, *collector;
	int foreground = 0, verbose = 0, c, rc;
	struct err err = { { 0 } };

	if ((conf = cmd_config_load("policyd", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		}
		if (c == '?' || apply_flag(conf, c, optarg, &connect_to, &db, &query, &foreground, &verbose) < 0) {
			usage(stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tlsrpt policyd: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	policyd_config_defaults(&cfg);
	cfg.socket_path = config_get_string(conf, "policyd_socket");
	if ((cfg.socket_mode = parse_mode(config_get_string(conf, "policyd_socket_mode"))) < 0) {
		fprintf(stderr, "tlsrpt policyd: %s: policyd_socket_mode: \"%s\" is not an octal mode\n",
		    config_origin(conf, "policyd_socket_mode"), config_get_string(conf, "policyd_socket_mode"));
		rc = EXIT_USAGE;
		goto out;
	}
	cfg.listen = config_get_string_or_null(conf, "policyd_listen");
	cfg.db_url = cmd_db_url_cfg(conf, db);
	collector = config_get_string_or_null(conf, "policyd_collector_socket");
	cfg.collector_socket = collector ? collector : config_get_string_or_null(conf, "collectd_socket");
	cfg.dns.resolver = config_get_string_or_null(conf, "policyd_resolver");
	anchor = config_get_string_or_null(conf, "policyd_trust_anchor");
	cfg.dns.trust_anchor_file = anchor != NULL && access(anchor, R_OK) == 0 ? anchor : NULL;
	cfg.dns.timeout_ms = (int)config_get_int(conf, "policyd_dns_timeout") * 1000;
	cfg.https.cacert = config_get_string_or_null(conf, "policyd_cacert");
	cfg.https.connect_to = connect_to.n > 0 ? &connect_to : NULL;
	cfg.https.timeout_ms = (long)config_get_int(conf, "policyd_fetch_timeout") * 1000;
	cfg.answer_timeout_ms = (int)config_get_int(conf, "policyd_answer_timeout") * 1000;
	cfg.rules.check_interval = config_get_int(conf, "policyd_check_interval");
	cfg.rules.retry_interval = config_get_int(conf, "policyd_retry_interval");
	cfg.rules.none_ttl = config_get_int(conf, "policyd_none_ttl");
	cfg.rules.refresh_before = config_get_int(conf, "policyd_refresh_before");
	cfg.rules.dane_first = config_get_bool(conf, "policyd_dane_first");
	cfg.rules.testing_enforce = config_get_bool(conf, "policyd_enforce_testing");
	cfg.rules.tlsrpt = config_get_bool(conf, "policyd_tlsrpt_attributes");
	failure = config_get_string(conf, "policyd_fetch_failure");
	if (strcmp(failure, "deliver") != 0 && strcmp(failure, "defer") != 0) {
		fprintf(stderr, "tlsrpt policyd: %s: policyd_fetch_failure: \"%s\" is not deliver or defer\n",
		    config_origin(conf, "policyd_fetch_failure"), failure);
		rc = EXIT_USAGE;
		goto out;
	}
	cfg.rules.defer_on_failure = strcmp(failure, "defer") == 0;
	cfg.workers = (int)config_get_int(conf, "policyd_workers");
	cfg.max_connections = (int)config_get_int(conf, "policyd_max_connections");
	cfg.cache_size = (size_t)config_get_int(conf, "policyd_cache_size");
	cfg.stats_secs = (int)config_get_int(conf, "policyd_stats_interval");
	cfg.daemonize = !foreground && query == NULL;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (query != NULL) {
		log_init("tlsrpt policyd", verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARN, 0);
		if (policyd_query(&cfg, query, stdout, &err) < 0) {
			fprintf(stderr, "tlsrpt policyd: %s\n", err.msg);
			rc = EXIT_FAILURE_;
		} else
			rc = EXIT_OK;
		goto out;
	}
	log_init("tlsrpt-policyd", verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, !foreground);
	if (policyd_run(&cfg, &err) < 0) {
		log_error("%s", err.msg);
		if (!foreground)
			fprintf(stderr, "tlsrpt policyd: %s\n", err.msg);
		rc = EXIT_FAILURE_;
	} else
		rc = EXIT_OK;
out:
	strlist_clear(&connect_to);
	config_free(&conf);
	return rc;
}
