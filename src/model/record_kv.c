/*
 * record_kv: the `v=…; key=value` TXT record syntax shared by the TLSRPT
 * and MTA-STS record parsers and the DKIM key record parser (see
 * record_kv.h).
 */
#include "model/record_kv.h"

#include <stdlib.h>
#include <string.h>

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

int
record_kv_is_candidate(const char *txt, const char *version)
{
	size_t vlen = strlen(version);
	const char *p;

	if (strncmp(txt, version, vlen) != 0)
		return 0;
	p = txt + vlen;
	while (is_wsp(*p))
		p++;
	return *p == ';' || *p == '\0';
}

size_t
record_kv_count(const char *const *txts, size_t n, const char *version, size_t *which)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (record_kv_is_candidate(txts[i], version)) {
			count++;
			*which = i;
		}
	}
	return count;
}

/* Gives fn each ';'-separated field from p (the start of a field) to the
 * end of txt, trimmed of WSP; a final ';' ends the list without an empty
 * field.  Offsets are from txt. */
static int
walk(const char *txt, const char *p, record_kv_field_fn fn, void *ctx)
{
	const char *end = txt + strlen(txt), *fend, *t;
	int rc;

	for (;;) {
		while (p < end && is_wsp(*p))
			p++;
		if (p >= end)
			return 0;
		fend = memchr(p, ';', (size_t)(end - p));
		if (fend == NULL)
			fend = end;
		for (t = fend; t > p && is_wsp(t[-1]); t--)
			;
		if ((rc = fn(ctx, p, (size_t)(t - p), (size_t)(p - txt))) != 0)
			return rc;
		if (fend == end)
			return 0;
		p = fend + 1;
	}
}

int
record_kv_fields(const char *txt, const char *version, record_kv_field_fn fn, void *ctx,
		 int *space_before_semicolon)
{
	const char *p = txt + strlen(version);

	*space_before_semicolon = 0;
	while (is_wsp(*p)) {
		p++;
		*space_before_semicolon = *p == ';';
	}
	if (*p == '\0')
		return 0;
	return walk(txt, p + 1, fn, ctx);   /* past the ';' */
}

int
record_kv_walk(const char *txt, record_kv_field_fn fn, void *ctx)
{
	return walk(txt, txt, fn, ctx);
}

void
record_kv_warn(struct strlist *warnings, char *msg)
{
	if (warnings != NULL)
		strlist_add_owned(warnings, msg);
	else
		free(msg);
}
