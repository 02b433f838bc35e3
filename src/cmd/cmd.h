/*
 * cmd: what every subcommand of `tlsrpt` shares: exit codes and the
 * program version.  Documented in man/tlsrpt.1 (EXIT STATUS).
 */
#ifndef TLSRPT_CMD_CMD_H
#define TLSRPT_CMD_CMD_H

#define TLSRPT_PROGRAM_VERSION "0.1.0"

enum {
	EXIT_OK = 0,        /* everything done */
	EXIT_PARTIAL = 1,   /* done, but some inputs were bad (reported, skipped);
			     * `fetch`: mail holding no report at all is not
			     * bad input (a notice, status 0) */
	EXIT_USAGE = 2,     /* bad command line */
	EXIT_FAILURE_ = 3,  /* nothing could be done: store, config or system error */
	EXIT_WARNING = 4,   /* `check`: worst finding is a warning */
	EXIT_ERROR = 5,     /* `check`: worst finding is an error */
};


#include "store/store.h"
#include "util/err.h"

/* The store URL a command uses, with an explicitly loaded configuration
 * (config_params_load()): `flag` (from --db) if given, else $TLSRPT_DB, else
 * cfg's database_url (which already has tlsrpt.conf and
 * $TLSRPT_DATABASE_URL applied; default "sqlite:/var/lib/tlsrpt/tlsrpt.db").
 * Borrowed from flag, the environment or cfg. */
struct config;
const char *cmd_db_url_cfg(const struct config *cfg, const char *flag);

/* Opens the store at cmd_db_url_cfg(tlsrpt.conf, flag), the file being
 * $TLSRPT_CONFIG or /etc/tlsrpt/tlsrpt.conf.  Returns a new handle (caller
 * closes it with store_close()), or NULL after printing "tlsrpt: config:
 * why" or "tlsrpt: store: why" on stderr (the caller then exits
 * EXIT_FAILURE_). */
struct store *cmd_store_open(const char *flag);

/* cmd_store_open() for a command that only reads: store_open_readonly(). */
struct store *cmd_store_open_readonly(const char *flag);

#endif
