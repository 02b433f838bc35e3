/*
 * collectd: the collector daemon's receive loop.
 *
 * Binds the datagram socket, decodes every datagram into results (UTC day
 * of receipt), hands batches to the writer thread (collect_writer.h) when
 * a batch is full or the socket has been idle for flush_ms, and counts
 * what it saw.  SIGTERM/SIGINT: drain the socket queue (for at most 2 s),
 * store everything, exit.  SIGHUP: hand over the current batch now.  Counters are logged
 * every stats_secs and at exit.  Invalid datagrams are logged (rate
 * limited), counted by reason and dropped; nothing in them is fatal.
 */
#ifndef TLSRPT_COLLECTOR_COLLECTD_H
#define TLSRPT_COLLECTOR_COLLECTD_H

#include <stddef.h>

#include "util/err.h"

struct collectd_config {
	const char *socket_path;        /* required */
	const char *db_url;             /* store URL (store.h) */
	int socket_mode;                /* e.g. 0666; -1 keeps the umask's */
	const char *socket_group;       /* NULL keeps the group */
	size_t batch_max;               /* results per transaction (10000) */
	int flush_ms;                   /* idle time before a partial batch is stored (200) */
	int stats_secs;                 /* counters logged this often; 0: only at exit */
	size_t rcvbuf;                  /* SO_RCVBUF wanted (8 MiB) */
	size_t max_pending;             /* results queued for the writer before reading pauses (100000) */
	int daemonize;                  /* detach (daemon(3)) after the socket is bound */
	const char *user;               /* as root: become this user once the socket is
					 * bound (util/privdrop.h); NULL stays */
};

/* Fills cfg with the defaults above (socket_path and db_url NULL). */
void collectd_config_defaults(struct collectd_config *cfg);

/* Runs the collector until SIGTERM or SIGINT.  Returns 0 when everything
 * received was stored or dropped as invalid, 1 when results were lost
 * (the store kept failing at shutdown), -1 when it could not start (err
 * says why). */
int collectd_run(const struct collectd_config *cfg, struct err *err);

#endif
