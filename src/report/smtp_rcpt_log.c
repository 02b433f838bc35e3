/*
 * smtp_rcpt_log: pairs each RCPT TO in libcurl's SMTP trace with its reply
 * (see smtp_rcpt_log.h).  SMTP replies: RFC 5321 §4.2, "NNN-text" for a
 * line that is continued, "NNN text" (or "NNN") for the last one.
 */
#include "report/smtp_rcpt_log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

/* A reply line of at most this many bytes is kept (longer ones are cut). */
#define LINE_MAX_KEPT 400
/* A reply longer than this keeps its first lines only. */
#define REPLY_MAX_KEPT 1000

/* Appends one reply line (no CR/LF) to the last reply. */
static void
add_line(struct smtp_rcpt_log *l, const char *s, size_t n)
{
	char **last = &l->reply.v[l->reply.n - 1];
	size_t have = strlen(*last);
	char *joined;

	if (n > LINE_MAX_KEPT)
		n = LINE_MAX_KEPT;
	/* RFC 5321 §4.2.1: the last line has a space (or nothing) after the code */
	if (n < 4 || s[3] == ' ')
		l->in_reply = 0;
	if (have > REPLY_MAX_KEPT)
		return;
	joined = xasprintf("%s%s%.*s", *last, have > 0 ? " " : "", (int)n, s);
	free(*last);
	*last = joined;
}

static void
feed_line(struct smtp_rcpt_log *l, int out, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (out) {
		l->in_reply = n >= 8 && strncasecmp(s, "RCPT TO:", 8) == 0;
		if (l->in_reply)
			strlist_add(&l->reply, "");
		return;
	}
	if (l->in_reply && n > 0)
		add_line(l, s, n);
}

void
smtp_rcpt_log_feed(struct smtp_rcpt_log *l, int out, const char *data, size_t len)
{
	const char *lf;
	size_t n;

	while (len > 0) {
		lf = memchr(data, '\n', len);
		n = lf != NULL ? (size_t)(lf - data) + 1 : len;
		feed_line(l, out, data, n);
		data += n;
		len -= n;
	}
}

int
smtp_rcpt_log_accepted(const char *reply)
{
	return reply[0] == '2' && reply[1] >= '0' && reply[1] <= '9' &&
	       reply[2] >= '0' && reply[2] <= '9';
}

void
smtp_rcpt_log_clear(struct smtp_rcpt_log *l)
{
	strlist_clear(&l->reply);
	l->in_reply = 0;
}
