/*
 * sts_record: parser for the _mta-sts TXT record (RFC 8461 §3.1):
 * sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim],
 * fields "id" (required, 1*32 ALPHA/DIGIT) and extensions.  Input is at
 * most STS_RECORD_MAX bytes.
 */
#include "model/sts_record.h"

#include <stdlib.h>
#include <string.h>

#include "model/record_kv.h"
#include "util/xalloc.h"

#define PREFIX "v=STSv1"

static int
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

#define warn record_kv_warn

void
record_sts_clear(struct sts_record *rec)
{
	free(rec->id);
	strlist_clear(&rec->extensions);
	memset(rec, 0, sizeof(*rec));
}

int
record_sts_is_candidate(const char *txt)
{
	return record_kv_is_candidate(txt, PREFIX);
}

static int
parse_field(struct sts_record *rec, const char *s, size_t n, struct strlist *warnings, struct err *err)
{
	const char *eq = memchr(s, '=', n);
	size_t nlen, vlen, i;

	if (eq == NULL) {
		err_set(err, "field \"%.*s\" is not name=value", (int)n, s);
		return -1;
	}
	nlen = (size_t)(eq - s);
	vlen = n - nlen - 1;
	if (nlen == 2 && memcmp(s, "id", 2) == 0) {
		if (rec->id != NULL) {
			warn(warnings, xstrdup("repeated id= field: the first is used; publish one id"));
			return 0;
		}
		if (vlen == 0 || vlen > STS_ID_MAX) {
			err_set(err, "id \"%.*s\" must be 1 to %d letters or digits", (int)vlen, eq + 1, STS_ID_MAX);
			return -1;
		}
		for (i = 0; i < vlen; i++) {
			if (!is_alnum(eq[1 + i])) {
				err_set(err, "id \"%.*s\": character '%c' is not allowed, only letters and digits "
				    "(e.g. id=20240101T000000)", (int)vlen, eq + 1, eq[1 + i]);
				return -1;
			}
		}
		rec->id = xstrndup(eq + 1, vlen);
		return 0;
	}
	if (nlen == 0) {
		err_set(err, "field \"%.*s\" has no name", (int)n, s);
		return -1;
	}
	if (nlen > 32 || !is_alnum(s[0]))
		warn(warnings, xasprintf("extension name \"%.*s\" does not follow RFC 8461 §3.1", (int)nlen, s));
	strlist_add_owned(&rec->extensions, xstrndup(s, n));
	return 0;
}

struct field_ctx {
	struct sts_record *rec;
	struct strlist *warnings;
	struct err *err;
};

static int
parse_field_cb(void *ctx, const char *s, size_t n, size_t offset)
{
	struct field_ctx *fc = ctx;

	(void)offset;
	return n > 0 && parse_field(fc->rec, s, n, fc->warnings, fc->err) < 0 ? -1 : 0;
}

int
record_sts_parse(const char *txt, struct sts_record *rec, struct strlist *warnings, struct err *err)
{
	size_t len = strlen(txt), i;
	struct field_ctx fc = { rec, warnings, err };
	int sawspace = 0, rc;

	memset(rec, 0, sizeof(*rec));
	if (len > STS_RECORD_MAX) {
		err_set(err, "record is %zu bytes, more than %d", len, STS_RECORD_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (((unsigned char)txt[i] < 0x20 && txt[i] != '\t') || (unsigned char)txt[i] >= 0x7f) {
			err_set(err, "byte 0x%02x at offset %zu: an MTA-STS record is printable US-ASCII",
			    (unsigned char)txt[i], i);
			return -1;
		}
	}
	if (!record_sts_is_candidate(txt)) {
		err_set(err, "not an MTA-STS record: it must start with \"v=STSv1;\" (case-sensitive, first)");
		return -1;
	}
	rc = record_kv_fields(txt, PREFIX, parse_field_cb, &fc, &sawspace);
	if (sawspace)
		warn(warnings, xstrdup("space before ';' after v=STSv1: senders applying the literal "
		    "'v=STSv1;' prefix discard the record: write \"v=STSv1;\""));
	if (rc != 0)
		goto fail;
	if (rec->id == NULL) {
		err_set(err, "no id= field: add id=<1-32 letters/digits>, changed whenever the policy changes");
		goto fail;
	}
	return 0;
fail:
	record_sts_clear(rec);
	return -1;
}

int
record_sts_select(const char *const *txts, size_t n, struct sts_record *rec,
    struct strlist *warnings, int *chosen, struct err *err)
{
	size_t which = 0, count = record_kv_count(txts, n, PREFIX, &which);

	memset(rec, 0, sizeof(*rec));
	if (chosen != NULL)
		*chosen = -1;
	if (count != 1) {
		if (count == 0)
			err_set(err, "no MTA-STS record: none of the %zu TXT records starts with \"v=STSv1;\"", n);
		else
			err_set(err, "%zu MTA-STS records: there must be exactly one (RFC 8461 §3.1): "
			    "remove all but one", count);
		return -1;
	}
	if (chosen != NULL)
		*chosen = (int)which;
	return record_sts_parse(txts[which], rec, warnings, err);
}
