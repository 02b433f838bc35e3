/*
 * send_options: the command-line options `tlsrpt send` and `tlsrpt
 * reportd` share (store, resolver, identity, transports, DKIM, TLS), read
 * into a reporter_config.  Secrets are never taken from the command line:
 * the SMTP password comes from --smtp-password-file or TLSRPT_SMTP_PASSWORD.
 */
#ifndef TLSRPT_CMD_SEND_OPTIONS_H
#define TLSRPT_CMD_SEND_OPTIONS_H

#include <getopt.h>

#include "cmd/config_params.h"
#include "net/dns.h"
#include "report/reporter.h"
#include "util/config.h"

struct send_options {
	struct reporter_config rc;
	const char *db;               /* --db, or NULL */
	struct dns_options dns;
	char *password;               /* owned: read from the file or the env */
	int verbose;
	enum cmd_flag require_tls;    /* --[no-]smtp-require-tls; see config_params.h */
	enum cmd_flag only_failures;  /* --[no-]only-failures */
	enum cmd_flag auth_plaintext; /* --[no-]smtp-auth-plaintext */
	enum cmd_flag send_private_ip; /* --[no-]send-private-ip */
	const char *omit;             /* --omit, or NULL */
	const char *config_path;      /* --config, or NULL */
	struct config *cfg;           /* owned: tlsrpt.conf, loaded by send_options_finish() */
};

/* The long options both commands accept, for getopt_long; ends with a
 * zero entry.  Option values are SEND_OPT_BASE and up. */
#define SEND_OPT_BASE 1000
extern const struct option send_long_options[];
extern const char send_options_usage[];

/* Returns a new array (caller frees with free()) of a command's own
 * n_own long options followed by send_long_options and the zero entry,
 * for getopt_long; NULL when out of memory. */
struct option *send_options_merge(const struct option *own, size_t n_own);

/* Applies option `opt` with argument `arg`.  Returns 1 if it was one of
 * send_long_options, 0 if not, -1 (message printed) if its value is bad. */
int send_options_apply(struct send_options *o, int opt, const char *arg);

/* Loads tlsrpt.conf (--config, $TLSRPT_CONFIG or the default file) and
 * takes from it (report_* parameters) what the options left unset, so
 * options override the file; o->db becomes the store URL to use.  Then
 * fills defaults and checks the combination (submitter set, DKIM options
 * complete, password file readable).  Returns 0, or -1 with a message
 * printed. */
int send_options_finish(struct send_options *o);

/* Releases what o owns. */
void send_options_clear(struct send_options *o);

#endif
