/*
 * privacy: filtering of failure details we send (see privacy.h).
 */
#include "report/privacy.h"

#include <arpa/inet.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int
v4_internal(const unsigned char *a)
{
	return a[0] == 0 || a[0] == 10 || a[0] == 127 ||
	       (a[0] == 100 && (a[1] & 0xc0) == 64) ||      /* 100.64/10 shared */
	       (a[0] == 169 && a[1] == 254) ||              /* link-local */
	       (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168);
}

int
privacy_ip_is_internal(const char *ip)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero[16] = { 0 };
	unsigned char a[16];

	if (ip == NULL)
		return 1;
	if (inet_pton(AF_INET, ip, a) == 1)
		return v4_internal(a);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return 1;
	if (memcmp(a, mapped, 12) == 0)
		return v4_internal(a + 12);
	return memcmp(a, zero, 15) == 0 ||                   /* :: and ::1 */
	       (a[0] & 0xfe) == 0xfc ||                      /* fc00::/7 unique-local */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||    /* fe80::/10 link-local */
	       (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0);      /* fec0::/10 site-local */
}

/* Characters of an addr-spec's local part or domain (dot-atom, loosely). */
static int
addr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80 || strchr("!#$%&'*+-/=?^_`{|}~.\"", c) != NULL;
}

char *
privacy_scrub_text(const char *s)
{
	GString *b;
	size_t n, i = 0, start, end;
	char *out;

	if (s == NULL)
		return NULL;
	b = g_string_new(NULL);
	n = strcspn(s, "\r\n");   /* the first line: what follows may be quoted mail */
	while (i < n) {
		if (s[i] != '@') {
			i++;
			continue;
		}
		start = i;
		while (start > 0 && addr_char((unsigned char)s[start - 1]))
			start--;
		end = i + 1;
		while (end < n && addr_char((unsigned char)s[end]))
			end++;
		if (start == i || end == i + 1) {    /* "@" alone, or "x@" / "@y" */
			i++;
			continue;
		}
		g_string_append_len(b, s, (gssize)start);
		g_string_append(b, PRIVACY_ADDRESS_REMOVED);
		s += end;
		n -= end;
		i = 0;
	}
	g_string_append_len(b, s, (gssize)n);
	out = xstrndup(b->str, b->len);
	g_string_free(b, TRUE);
	for (unsigned char *p = (unsigned char *)out; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	n = strlen(out);
	if (n > PRIVACY_TEXT_MAX) {
		n = PRIVACY_TEXT_MAX;
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;                              /* not inside a UTF-8 character */
		out[n] = '\0';
	}
	return out;
}

int
privacy_parse_omit(struct report_privacy *p, const char *list, struct err *err)
{
	struct report_privacy n = *p;
	char *copy = xstrdup(list ? list : ""), *rest = copy, *tok;
	int ret = -1;

	n.omit_sending_mta_ip = n.omit_failure_reason_code = 0;
	n.omit_receiving_mx_helo = n.omit_additional_information = 0;
	while ((tok = strsep(&rest, ", \t")) != NULL) {
		if (*tok == '\0' || strcmp(tok, "none") == 0)
			continue;
		if (strcmp(tok, "sending-mta-ip") == 0)
			n.omit_sending_mta_ip = 1;
		else if (strcmp(tok, "failure-reason-code") == 0)
			n.omit_failure_reason_code = 1;
		else if (strcmp(tok, "receiving-mx-helo") == 0)
			n.omit_receiving_mx_helo = 1;
		else if (strcmp(tok, "additional-information") == 0)
			n.omit_additional_information = 1;
		else {
			err_set(err, "\"%s\" is not a field that can be omitted (sending-mta-ip, "
				"failure-reason-code, receiving-mx-helo, additional-information, "
				"none)", tok);
			goto fail;
		}
	}
	*p = n;
	ret = 0;
fail:
	free(copy);
	return ret;
}

static void
drop(char **f)
{
	free(*f);
	*f = NULL;
}

static void
scrub(char **f)
{
	char *s;

	if (*f == NULL)
		return;
	s = privacy_scrub_text(*f);
	free(*f);
	*f = s;
}

void
privacy_apply(const struct report_privacy *p, struct failure_detail *d)
{
	static const struct report_privacy defaults;

	if (p == NULL)
		p = &defaults;
	if (d->sending_mta_ip != NULL &&
	    (p->omit_sending_mta_ip ||
	     (!p->send_private_ip && privacy_ip_is_internal(d->sending_mta_ip))))
		drop(&d->sending_mta_ip);
	if (p->omit_failure_reason_code)
		drop(&d->failure_reason_code);
	if (p->omit_receiving_mx_helo)
		drop(&d->receiving_mx_helo);
	if (p->omit_additional_information)
		drop(&d->additional_information);
	scrub(&d->failure_reason_code);
	scrub(&d->receiving_mx_helo);
	scrub(&d->additional_information);
}
