/*
 * config_params: the tlsrpt.conf parameters (see config_params.h).
 * Add a parameter here only together with the code that reads it and its
 * entry in man/tlsrpt.conf.5.  Defaults are written as in the file.
 */
#include "cmd/config_params.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

const struct config_param config_params[] = {
	{ "database_url", CONFIG_STRING, "sqlite:/var/lib/tlsrpt/tlsrpt.db", 0, 0,
	  "report store: sqlite:PATH or postgresql://… (flag --db, env TLSRPT_DB)" },

	/* tlsrpt collectd */
	{ "collectd_socket", CONFIG_STRING, "", 0, 0,
	  "unix datagram socket the MTAs send results to (flag --socket, env TLSRPT_SOCKET)" },
	{ "collectd_socket_mode", CONFIG_STRING, "", 0, 0,
	  "octal permissions of the socket, e.g. 0660; empty: as the umask gives (--socket-mode)" },
	{ "collectd_socket_group", CONFIG_STRING, "", 0, 0,
	  "group of the socket; empty: unchanged (--socket-group)" },
	{ "collectd_batch_size", CONFIG_INT, "1000", 1, 1000000,
	  "results stored per transaction (--batch)" },
	{ "collectd_flush_ms", CONFIG_INT, "200", 1, 600000,
	  "milliseconds of quiet before a partial batch is stored (--flush-ms)" },
	{ "collectd_stats_interval", CONFIG_DURATION, "5m", 0, 86400,
	  "how often counters are logged; 0: only at exit (--stats-secs)" },
	{ "collectd_rcvbuf", CONFIG_SIZE, "8M", 0, 1 << 30,
	  "socket receive buffer asked for (--rcvbuf)" },
	{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
};

struct config *
config_params_load(const char *path, struct err *err)
{
	return config_load(config_params, path, environ, err);
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
