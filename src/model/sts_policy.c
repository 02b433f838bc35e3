/*
 * sts_policy: RFC 8461 §3.2 policy file parser and §4.1 MX matcher.
 * Lines are "key:" *WSP value; version, mode and max_age are required once
 * (a repeated one: the first wins), mx one or more unless mode is none,
 * unknown keys ignored.  Line ends are LF or CRLF (erratum 6253).
 */
#include "model/sts_policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/xalloc.h"

#define MAX_LINES 10000

static void
warn(struct strlist *warnings, char *msg)
{
	if (warnings != NULL)
		strlist_add_owned(warnings, msg);
	else
		free(msg);
}

const char *
sts_mode_name(enum sts_mode m)
{
	switch (m) {
	case STS_MODE_NONE: return "none";
	case STS_MODE_TESTING: return "testing";
	case STS_MODE_ENFORCE: return "enforce";
	}
	return "?";
}

void
sts_policy_clear(struct sts_policy *p)
{
	strlist_clear(&p->mx);
	strlist_clear(&p->lines);
	memset(p, 0, sizeof(*p));
}

/* mx value: ["*."] Domain, letters/digits/hyphens, dots between labels. */
static int
valid_mx_pattern(const char *s)
{
	size_t lab = 0;

	if (strncmp(s, "*.", 2) == 0)
		s += 2;
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (lab == 0 && s[1] != '\0')
				return 0;
			lab = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '-' || *s == '_'))
			return 0;
		if (++lab > 63)
			return 0;
	}
	return 1;
}

/* One "key: value" line (n bytes, no line end).  seen: bit 0 version,
 * 1 mode, 2 max_age. */
static int
parse_line(struct sts_policy *p, const char *s, size_t n, size_t lineno, unsigned *seen,
    int cap, struct strlist *warnings, struct err *err)
{
	const char *colon = memchr(s, ':', n);
	size_t klen, vlen, i;
	const char *v;
	char *val;
	int rc = 0;

	if (colon == NULL) {
		err_set(err, "line %zu \"%.*s\": not \"key: value\"", lineno, (int)n, s);
		return -1;
	}
	klen = (size_t)(colon - s);
	v = colon + 1;
	vlen = n - klen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	val = xstrndup(v, vlen);
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
#define ONCE(bit, k) do { if (*seen & (bit)) { \
		warn(warnings, xasprintf("line %zu: repeated \"%s\": the first one is used", lineno, k)); \
		goto out; } *seen |= (bit); } while (0)
	if (KEY("version")) {
		ONCE(1u, "version");
		if (strcmp(val, "STSv1") != 0) {
			err_set(err, "line %zu: version \"%s\" is not \"STSv1\"", lineno, val);
			rc = -1;
		}
	} else if (KEY("mode")) {
		ONCE(2u, "mode");
		if (strcmp(val, "enforce") == 0)
			p->mode = STS_MODE_ENFORCE;
		else if (strcmp(val, "testing") == 0)
			p->mode = STS_MODE_TESTING;
		else if (strcmp(val, "none") == 0)
			p->mode = STS_MODE_NONE;
		else {
			err_set(err, "line %zu: mode \"%s\" is not one of enforce, testing, none", lineno, val);
			rc = -1;
		}
	} else if (KEY("max_age")) {
		ONCE(4u, "max_age");
		p->max_age = 0;
		for (i = 0; val[i] != '\0'; i++) {
			if (val[i] < '0' || val[i] > '9' || i >= 10) {
				err_set(err, "line %zu: max_age \"%s\" is not 1 to 10 digits of seconds", lineno, val);
				rc = -1;
				goto out;
			}
			p->max_age = p->max_age * 10 + (val[i] - '0');
		}
		if (i == 0) {
			err_set(err, "line %zu: max_age is empty", lineno);
			rc = -1;
		} else if (p->max_age > STS_POLICY_MAX_AGE && cap) {
			warn(warnings, xasprintf("line %zu: max_age %ld is more than %d (one year): capped",
			    lineno, p->max_age, STS_POLICY_MAX_AGE));
			p->max_age = STS_POLICY_MAX_AGE;
		} else if (p->max_age > STS_POLICY_MAX_AGE) {
			err_set(err, "line %zu: max_age %ld is more than %d (one year)", lineno, p->max_age,
			    STS_POLICY_MAX_AGE);
			rc = -1;
		}
	} else if (KEY("mx")) {
		if (!valid_mx_pattern(val)) {
			err_set(err, "line %zu: mx \"%s\" is not a host name or \"*.\" pattern (A-labels)", lineno, val);
			rc = -1;
		} else {
			strlist_add(&p->mx, val);
		}
	} else {
		warn(warnings, xasprintf("line %zu: unknown key \"%.*s\" ignored", lineno, (int)klen, s));
	}
#undef KEY
#undef ONCE
out:
	free(val);
	return rc;
}

static int
parse_body(const char *body, size_t len, struct sts_policy *p, int cap,
    struct strlist *warnings, struct err *err)
{
	size_t i = 0, start, end, lineno = 0, blank = 0;
	unsigned seen = 0;
	int rc = -1, failed = 0;

	memset(p, 0, sizeof(*p));
	if (len > STS_POLICY_MAX) {
		err_set(err, "policy is %zu bytes, more than %d", len, STS_POLICY_MAX);
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		err_set(err, "policy holds a NUL byte: it must be text");
		return -1;
	}
	while (i < len) {
		start = i;
		while (i < len && body[i] != '\n')
			i++;
		end = i;
		if (i < len)
			i++;
		if (end > start && body[end - 1] == '\r')
			end--;
		if (++lineno > MAX_LINES) {
			err_set(err, "policy has more than %d lines", MAX_LINES);
			goto out;
		}
		strlist_add_owned(&p->lines, xstrndup(body + start, end - start));
		if (end == start) {
			blank++;
			continue;
		}
		if (blank > 0)
			warn(warnings, xasprintf("line %zu: blank line inside the policy", lineno - 1));
		blank = 0;
		if (!failed && parse_line(p, body + start, end - start, lineno, &seen, cap, warnings, err) < 0)
			failed = 1;
	}
	/* trailing blank lines are not part of the policy-string */
	while (p->lines.n > 0 && p->lines.v[p->lines.n - 1][0] == '\0')
		free(p->lines.v[--p->lines.n]);
	if (failed)
		goto out;
	if (!(seen & 1u)) {
		err_set(err, "no \"version: STSv1\" line");
		goto out;
	}
	if (!(seen & 2u)) {
		err_set(err, "no \"mode:\" line (enforce, testing or none)");
		goto out;
	}
	if (!(seen & 4u)) {
		err_set(err, "no \"max_age:\" line (seconds, e.g. 604800)");
		goto out;
	}
	if (p->mx.n == 0 && p->mode != STS_MODE_NONE) {
		err_set(err, "no \"mx:\" line: mode %s needs at least one mx pattern", sts_mode_name(p->mode));
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		strlist_clear(&p->mx);
		p->mode = STS_MODE_NONE;
		p->max_age = 0;
	}
	return rc;
}

int
sts_policy_parse(const char *body, size_t len, struct sts_policy *p,
    struct strlist *warnings, struct err *err)
{
	return parse_body(body, len, p, 0, warnings, err);
}

int
sts_policy_parse_capped(const char *body, size_t len, struct sts_policy *p,
    struct strlist *warnings, struct err *err)
{
	return parse_body(body, len, p, 1, warnings, err);
}

/* Length of s without one trailing dot. */
static size_t
len_nodot(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

int
sts_mx_match(const char *pattern, const char *host)
{
	size_t pl = len_nodot(pattern), hl = len_nodot(host);
	const char *dot;

	if (pl == 0 || hl == 0)
		return 0;
	if (pl >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* the host's first label is replaced by "*" */
		dot = memchr(host, '.', hl);
		if (dot == NULL || dot == host)
			return 0;
		return hl - (size_t)(dot - host) == pl - 1 && strncasecmp(dot, pattern + 1, pl - 1) == 0;
	}
	return pl == hl && strncasecmp(pattern, host, pl) == 0;
}

int
sts_policy_allows_mx(const struct sts_policy *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->mx.n; i++)
		if (sts_mx_match(p->mx.v[i], host))
			return 1;
	return 0;
}
