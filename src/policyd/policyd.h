/*
 * policyd: `tlsrpt policyd`, the MTA-STS (RFC 8461) policy server for
 * Postfix's smtp_tls_policy_maps, speaking the socketmap protocol
 * (netstrings) on a unix socket and, optionally, loopback TCP.
 *
 * Shape: the main thread accepts; one thread per client connection
 * (Postfix keeps one per smtp(8) process) reads requests and answers
 * from the in-memory cache under one mutex; a cache miss or a due check
 * is queued to a small pool of resolver threads (each with its own
 * libunbound context) that do DNS and HTTPS without the lock, apply the
 * RFC 8461 rules (entry.h) and wake the waiting clients.  A client waits
 * at most the answer timeout; then it gets the answer for "no policy"
 * while the resolver finishes behind it.  Policies are written to the
 * store (store_sts_cache.h) and read back at start and on a miss.
 */
#ifndef TLSRPT_POLICYD_POLICYD_H
#define TLSRPT_POLICYD_POLICYD_H

#include <stddef.h>
#include <stdio.h>

#include "net/dns.h"
#include "net/https_fetch.h"
#include "policyd/entry.h"
#include "util/buf.h"
#include "util/err.h"

/* Largest request netstring accepted ("name key"). */
#define POLICYD_REQUEST_MAX 2048

struct policyd_config {
	const char *socket_path;        /* unix socket; NULL or "": none */
	int socket_mode;                /* -1: as the umask gives */
	const char *listen;             /* "127.0.0.1:PORT" / "[::1]:PORT"; NULL: none */
	const char *db_url;             /* store for the policy cache; NULL: memory only */
	const char *collector_socket;   /* libtlsrpt datagrams; NULL: failures only logged */
	struct dns_options dns;
	struct https_options https;
	struct policyd_rules rules;
	int workers;                    /* resolver threads */
	int max_connections;
	int answer_timeout_ms;
	int idle_timeout_ms;            /* a client silent this long is closed */
	int stats_secs;                 /* 0: stats only on SIGUSR1 and at exit */
	size_t cache_size;              /* domains kept in memory */
	int daemonize;
};

/* Fills c with the built-in defaults (tlsrpt.conf(5)). */
void policyd_config_defaults(struct policyd_config *c);

/* Runs the server until SIGTERM/SIGINT.  SIGUSR1 logs the counters.
 * Returns 0, or -1 with err set when it could not start. */
int policyd_run(const struct policyd_config *c, struct err *err);

/* `--query DOMAIN`: resolves domain as the server would (store, DNS,
 * HTTPS, DANE), prints what was found and the socketmap answer on out.
 * Returns 0 when an answer was made, -1 with err set when domain is not
 * a policy domain or the store cannot be opened. */
int policyd_query(const struct policyd_config *c, const char *domain, FILE *out, struct err *err);

#endif
