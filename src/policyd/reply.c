/*
 * reply: Postfix socketmap answers (see reply.h).
 */
#include "policyd/reply.h"

#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

const char *
policyd_failure_name(enum policyd_failure f)
{
	switch (f) {
	case POLICYD_FAIL_FETCH: return "sts-policy-fetch-error";
	case POLICYD_FAIL_INVALID: return "sts-policy-invalid";
	case POLICYD_FAIL_WEBPKI: return "sts-webpki-invalid";
	case POLICYD_FAIL_NONE: break;
	}
	return "";
}

/* Appends pattern in lower case without a trailing dot; as_match turns a
 * leading "*." into ".". */
static int
put_pattern(struct buf *b, const char *pat, int as_match)
{
	size_t n = strlen(pat), i;
	char c;

	if (n > 0 && pat[n - 1] == '.')
		n--;
	i = 0;
	if (as_match && n > 2 && pat[0] == '*' && pat[1] == '.')
		i = 1;
	for (; i < n; i++) {
		c = pat[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (buf_append(b, &c, 1) < 0)
			return -1;
	}
	return 0;
}

/* 1 if line can be a policy_string: not empty, no brace (Postfix has no
 * escape for them), and something besides blanks. */
static int
carriable(const char *line)
{
	const char *s;
	int seen = 0;

	for (s = line; *s; s++) {
		if (*s == '{' || *s == '}')
			return 0;
		if (*s != ' ' && *s != '\t')
			seen = 1;
	}
	return seen;
}

/* Appends "{ policy_string = LINE }" with control characters as spaces. */
static int
put_policy_string(struct buf *b, const char *line)
{
	size_t old = b->len;
	const char *s;
	char c;

	if (buf_append_str(b, " { policy_string = ") < 0)
		goto fail;
	for (s = line; *s; s++) {
		c = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
		if (buf_append(b, &c, 1) < 0)
			goto fail;
	}
	if (buf_append_str(b, " }") < 0)
		goto fail;
	return 0;
fail:
	b->len = old;
	b->data[old] = '\0';
	return -1;
}

char *
policyd_reply_enforce(const char *policy_domain, const struct sts_policy *p, int tlsrpt)
{
	struct buf b;
	size_t i, n_strings = 0;
	int over = 0;

	/* room for "OK " and one fallback policy_string */
	buf_init(&b, POLICYD_REPLY_MAX + 3);
	over |= buf_append_str(&b, "OK secure match=");
	for (i = 0; i < p->mx.n; i++) {
		if (i > 0)
			over |= buf_append_str(&b, ":");
		over |= put_pattern(&b, p->mx.v[i], 1);
	}
	over |= buf_append_str(&b, " servername=hostname");
	if (tlsrpt) {
		over |= buf_printf(&b, " policy_type=sts policy_domain=%s", policy_domain);
		for (i = 0; i < p->mx.n; i++) {
			over |= buf_append_str(&b, " mx_host_pattern=");
			over |= put_pattern(&b, p->mx.v[i], 0);
		}
		if (over || b.len + 64 > b.max) {
			/* the patterns alone fill the reply: answer without
			 * TLSRPT attributes rather than a cut one */
			buf_free(&b);
			return policyd_reply_enforce(policy_domain, p, 0);
		}
		b.max -= 40;    /* keep room for the fallback policy_string */
		/* Postfix 3.10.0-3.10.5 need at least one policy_string with
		 * policy_type=sts (research §1.3 crash guard) */
		for (i = 0; i < p->lines.n; i++) {
			if (!carriable(p->lines.v[i]))
				continue;
			if (put_policy_string(&b, p->lines.v[i]) < 0)
				break;
			n_strings++;
		}
		b.max += 40;
		if (n_strings == 0)
			(void)buf_append_str(&b, " { policy_string = version: STSv1 }");
	}
	return buf_steal(&b, NULL);
}

char *
policyd_reply_failure(const char *policy_domain, enum policyd_failure f)
{
	return xasprintf("OK secure match=hostname servername=hostname policy_type=sts"
	    " policy_domain=%s policy_failure=%s", policy_domain, policyd_failure_name(f));
}
