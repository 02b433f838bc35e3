/*
 * log: one-line diagnostics to stderr (CLI) or syslog (daemons).
 *
 * The only process-wide setting in src/: main() calls log_init() once at
 * start-up, before any thread starts; everything else only reads it.
 * Lines about one report or domain start with its key, e.g.
 * "report-id=… org=…: …", so operators can grep them.
 */
#ifndef TLSRPT_UTIL_LOG_H
#define TLSRPT_UTIL_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Sets the program name, the highest level printed and whether to use syslog. */
void log_init(const char *progname, enum log_level level, int use_syslog);

/* Returns the level set by log_init() (LOG_LEVEL_WARN before it). */
enum log_level log_get_level(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Something expected that an operator may want to know (e.g. a mail that
 * holds no report, skipped): printed whenever warnings are, but named
 * "notice" (syslog LOG_NOTICE), so that it does not read as a fault. */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn() with ": " and strerror(errno) appended. */
void log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
