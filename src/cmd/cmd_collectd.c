/*
 * cmd_collectd: `tlsrpt collectd`: the collector daemon.  Receives the
 * datagrams MTAs send through libtlsrpt (ours or sys4's) on a unix socket
 * and stores them as results (collector/collectd.h does the work).
 * Exit status: 0 after SIGTERM/SIGINT with everything stored, 1 if
 * results were lost, 2 usage, 3 could not start.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "collector/collectd.h"
#include "util/log.h"
#include "util/privdrop.h"

int cmd_collectd(int argc, char **argv);
extern const char cmd_collectd_summary[];
const char cmd_collectd_summary[] = "receive MTA results (libtlsrpt datagrams) and store them";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt collectd --socket PATH [--db URL] [--batch N] [--flush-ms MS]\n"
	    "                       [--hold-ms MS] [--socket-mode OCTAL] [--socket-group NAME]\n"
	    "                       [--rcvbuf BYTES] [--stats-secs S] [--journal DIR]\n"
	    "                       [--journal-max BYTES] [--foreground] [--config FILE]\n"
	    "                       [--user USER] [--allow-root] [-v|--verbose]\n"
	    "Binds the unix datagram socket PATH (or $TLSRPT_SOCKET, or collectd_socket in\n"
	    "tlsrpt.conf) and stores every result received in the database (--db, $TLSRPT_DB,\n"
	    "database_url).  Options not given come from tlsrpt.conf (collectd_*).\n"
	    "Every datagram is journaled (--journal DIR, collectd_journal) before it is\n"
	    "stored; what a crash, a stuck store or a full disk left there is stored at the\n"
	    "next start.  --journal-max BYTES (default 1G) bounds the journal.\n"
	    "SIGTERM/SIGINT remove the socket, store what was received and exit; SIGHUP\n"
	    "stores the current batch now.\n"
	    "  --user USER     started as root: become USER once the socket is bound, before\n"
	    "                  the store and the journal are opened (default: daemon_user)\n"
	    "  --allow-root    run as root without --user (refused otherwise)\n");
}

/* Parses a whole decimal (or, with base 8, octal) number in [min, max]. */
static int
parse_num(const char *s, int base, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, base);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cmd_collectd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "batch", required_argument, NULL, 'b' },
		{ "flush-ms", required_argument, NULL, 'f' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "socket-mode", required_argument, NULL, 'm' },
		{ "socket-group", required_argument, NULL, 'g' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "stats-secs", required_argument, NULL, 'S' },
		{ "journal", required_argument, NULL, 'j' },
		{ "journal-max", required_argument, NULL, 'J' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "user", required_argument, NULL, 'U' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct collectd_config cfg;
	struct config *conf;
	const char *db = NULL, *mode;
	int foreground = 0, verbose = 0, allow_root = 0, c, li = 0, rc;
	struct err err;
	long v;

	if ((conf = cmd_config_load("collectd", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	collectd_config_defaults(&cfg);
	/* tlsrpt.conf first; TLSRPT_SOCKET and the options below override it */
	cfg.socket_path = config_get_string(conf, "collectd_socket");
	if (getenv("TLSRPT_SOCKET") != NULL && *getenv("TLSRPT_SOCKET") != '\0')
		cfg.socket_path = getenv("TLSRPT_SOCKET");
	cfg.socket_group = config_get_string_or_null(conf, "collectd_socket_group");
	cfg.batch_max = (size_t)config_get_int(conf, "collectd_batch_size");
	cfg.flush_ms = (int)config_get_int(conf, "collectd_flush_ms");
	cfg.hold_ms = (int)config_get_int(conf, "collectd_hold_ms");
	cfg.stats_secs = (int)config_get_int(conf, "collectd_stats_interval");
	cfg.rcvbuf = (size_t)config_get_int(conf, "collectd_rcvbuf");
	cfg.user = config_get_string_or_null(conf, "daemon_user");
	cfg.journal_dir = config_get_string_or_null(conf, "collectd_journal");
	cfg.journal_max = (uint64_t)config_get_int(conf, "collectd_journal_max");
	mode = config_get_string_or_null(conf, "collectd_socket_mode");
	if (mode != NULL) {
		if (parse_num(mode, 8, 0, 07777, &v) < 0) {
			fprintf(stderr, "tlsrpt collectd: %s: collectd_socket_mode: '%s' is not "
				"an octal mode\n", config_origin(conf, "collectd_socket_mode"), mode);
			rc = EXIT_FAILURE_;
			goto out;
		}
		cfg.socket_mode = (int)v;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", opts, &li)) != -1) {
		switch (c) {
		case 's': cfg.socket_path = optarg; break;
		case 'd': db = optarg; break;
		case 'b':
			if (parse_num(optarg, 10, 1, 1000000, &v) < 0)
				goto bad;
			cfg.batch_max = (size_t)v;
			break;
		case 'f':
			if (parse_num(optarg, 10, 1, 600000, &v) < 0)
				goto bad;
			cfg.flush_ms = (int)v;
			break;
		case 'H':
			if (parse_num(optarg, 10, 0, 600000, &v) < 0)
				goto bad;
			cfg.hold_ms = (int)v;
			break;
		case 'm':
			if (parse_num(optarg, 8, 0, 07777, &v) < 0)
				goto bad;
			cfg.socket_mode = (int)v;
			break;
		case 'g': cfg.socket_group = optarg; break;
		case 'r':
			if (parse_num(optarg, 10, 0, 1L << 30, &v) < 0)
				goto bad;
			cfg.rcvbuf = (size_t)v;
			break;
		case 'S':
			if (parse_num(optarg, 10, 0, 86400, &v) < 0)
				goto bad;
			cfg.stats_secs = (int)v;
			break;
		case 'j': cfg.journal_dir = optarg; break;
		case 'J':
			if (config_set(conf, "collectd_journal_max", optarg, "--journal-max", &err) < 0) {
				fprintf(stderr, "tlsrpt collectd: %s\n", err.msg);
				usage(stderr);
				rc = EXIT_USAGE;
				goto out;
			}
			cfg.journal_max = (uint64_t)config_get_int(conf, "collectd_journal_max");
			break;
		case 'F': foreground = 1; break;
		case 'c': break;        /* read by cmd_config_path() */
		case 'v': verbose = 1; break;
		case 'U': cfg.user = optarg; break;
		case 'R': allow_root = 1; break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); rc = EXIT_USAGE; goto out;
		}
	}
	if (optind != argc || cfg.socket_path == NULL || *cfg.socket_path == '\0') {
		if (optind != argc)
			fprintf(stderr, "tlsrpt collectd: unexpected argument \"%s\"\n", argv[optind]);
		else
			fprintf(stderr, "tlsrpt collectd: no socket: give --socket PATH, set "
				"TLSRPT_SOCKET or collectd_socket\n");
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (privdrop_check(cfg.user, allow_root, &err) < 0) {
		fprintf(stderr, "tlsrpt collectd: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	cfg.db_url = cmd_db_url_cfg(conf, db);
	cfg.daemonize = !foreground;
	/* A daemon logs to syslog, at info (counters) unless -v asks for more. */
	log_init("tlsrpt-collectd", verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, !foreground);
	rc = collectd_run(&cfg, &err);
	if (rc < 0) {
		log_error("%s", err.msg);
		if (!foreground)
			fprintf(stderr, "tlsrpt collectd: %s\n", err.msg);
		rc = EXIT_FAILURE_;
	} else
		rc = rc == 0 ? EXIT_OK : EXIT_PARTIAL;
	goto out;
bad:
	fprintf(stderr, "tlsrpt collectd: --%s %s: %s\n", opts[li].name, optarg,
		c == 'm' ? "expected an octal mode (e.g. 0660)" : "expected a whole number in range"
		" (see --help)");
	usage(stderr);
	rc = EXIT_USAGE;
out:
	config_free(&conf);
	return rc;
}
