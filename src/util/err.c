/* err: fixed-size error messages with context prefixes (see err.h). */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
err_set(struct err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
err_prefix(struct err *err, const char *fmt, ...)
{
	char head[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncation is acceptable: the message is for people. */
	if (snprintf(err->msg, sizeof(err->msg), "%.*s: %s", (int)(sizeof(head) / 2), head,
		     old) < 0)
		err->msg[0] = '\0';
}

void
err_clear(struct err *err)
{
	if (err != NULL)
		err->msg[0] = '\0';
}
