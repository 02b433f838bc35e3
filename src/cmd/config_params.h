/*
 * config_params: THE table of tlsrpt.conf parameters (config.h), one entry
 * per setting that some command really reads.  man/tlsrpt.conf.5 documents
 * each entry; tests/integration/test_lint.sh checks that it does.
 */
#ifndef TLSRPT_CMD_CONFIG_PARAMS_H
#define TLSRPT_CMD_CONFIG_PARAMS_H

#include "util/config.h"
#include "util/err.h"

/* The table, ended by an entry whose name is NULL. */
extern const struct config_param config_params[];

/* config_load(config_params, path, environ, err): defaults, then the file
 * (`path`, from --config; NULL: $TLSRPT_CONFIG, else /etc/tlsrpt/tlsrpt.conf
 * if it exists), then TLSRPT_<NAME> environment variables.  Returns a new
 * configuration (caller frees with config_free()) or NULL with err set. */
struct config *config_params_load(const char *path, struct err *err);

/* For commands: the value of --config FILE (or --config=FILE) in argv,
 * looked for before the command parses its options (which must accept
 * and ignore --config), or NULL.  Stops at "--".  Borrowed from argv. */
const char *cmd_config_path(int argc, char **argv);

/* config_params_load(path) for command `who`: on failure prints
 * "tlsrpt WHO: config: why" on stderr and returns NULL (the caller exits
 * EXIT_FAILURE_).  Caller frees the result with config_free(). */
struct config *cmd_config_load(const char *who, const char *path);

#endif
