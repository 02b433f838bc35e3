/* log: leveled diagnostics to stderr or syslog (see log.h). */
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

/* Written once by log_init() from main() before threads start (log.h). */
static struct {
	const char *progname;
	enum log_level level;
	int use_syslog;
} log_config = { "tlsrpt", LOG_LEVEL_WARN, 0 };

void
log_init(const char *progname, enum log_level level, int use_syslog)
{
	log_config.progname = progname;
	log_config.level = level;
	log_config.use_syslog = use_syslog;
	if (use_syslog)
		openlog(progname, LOG_PID, LOG_MAIL);
}

enum log_level
log_get_level(void)
{
	return log_config.level;
}

/* notice: printed at level, but named "notice" (LOG_NOTICE); see log.h. */
static void
log_emit(enum log_level level, int notice, const char *suffix, const char *fmt,
	 va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[2048];

	if (level > log_config.level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_config.use_syslog)
		syslog(notice ? LOG_NOTICE : prio[level], "%s%s%s", line,
		       suffix ? ": " : "", suffix ? suffix : "");
	else
		fprintf(stderr, "%s: %s: %s%s%s\n", log_config.progname,
			notice ? "notice" : names[level], line,
			suffix ? ": " : "", suffix ? suffix : "");
}

#define LOG_FN(name, level, notice)                        \
	void name(const char *fmt, ...)                    \
	{                                                  \
		va_list ap;                                \
		va_start(ap, fmt);                         \
		log_emit(level, notice, NULL, fmt, ap);    \
		va_end(ap);                                \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 0)
LOG_FN(log_notice, LOG_LEVEL_WARN, 1)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
log_warn_errno(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_WARN, 0, e, fmt, ap);
	va_end(ap);
}
