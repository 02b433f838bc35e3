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

/* Boolean flags.  The flag --X of a boolean parameter comes with --no-X;
 * the last of the two on the command line wins over tlsrpt.conf and
 * TLSRPT_<NAME>.  A command lists both in its getopt_long table, --no-X
 * with the value CMD_NO(v) where v is the value of --X; for either it
 * keeps CMD_FLAG(c) in an enum cmd_flag, which starts at CMD_FLAG_UNSET
 * (zero, so a zeroed struct needs nothing more); once tlsrpt.conf is
 * loaded, cmd_flag_bool() gives the value in effect. */
enum cmd_flag { CMD_FLAG_UNSET = 0, CMD_FLAG_ON, CMD_FLAG_OFF };
#define CMD_NO_BIT 0x100000     /* above every option value (chars, enums) */
#define CMD_NO(v) ((v) | CMD_NO_BIT)
#define CMD_FLAG(c) (((c) & CMD_NO_BIT) ? CMD_FLAG_OFF : CMD_FLAG_ON)

/* The value in effect of the boolean parameter `name`: 1 for
 * CMD_FLAG_ON, 0 for CMD_FLAG_OFF, cfg's value (default, tlsrpt.conf,
 * TLSRPT_<NAME>) for CMD_FLAG_UNSET. */
int cmd_flag_bool(enum cmd_flag f, const struct config *cfg, const char *name);

#endif
