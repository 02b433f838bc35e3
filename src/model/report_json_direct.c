/*
 * report_json_direct: the compact report writer without a jansson tree
 * (report_json_direct.h).  It follows report_json_write.c member by
 * member: the same order, the same optional members, the same strings
 * (type_text(), date_text(), U+FFFD for invalid UTF-8) and counts capped
 * as jcount() caps them; only the tree and jansson's dump are gone, which
 * cost more than hashing the text (the store writes this form for every
 * report it keeps, to digest it).
 */
#include "model/report_json_direct.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/datetime.h"
#include "model/json_fields.h"
#include "model/report_json.h"
#include "util/utf8_seq.h"

int
json_direct_append_string(struct buf *b, const char *s, int replace_invalid)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	int rc = buf_append(b, "\"", 1);

	while (i < n && rc == 0) {
		size_t start = i;

		/* a run that needs no escape: copied in one append */
		while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\') {
			if (p[i] < 0x80) {
				i++;
				continue;
			}
			if ((k = utf8_seq(p + i, n - i)) == 0)
				break;
			i += k;
		}
		rc = buf_append(b, s + start, i - start);
		if (i == n || rc != 0)
			break;
		if (p[i] >= 0x80) {     /* invalid UTF-8 */
			if (!replace_invalid)
				return -1;
			rc = buf_append(b, "\xEF\xBF\xBD", 3);
			i++;
			continue;
		}
		switch (p[i]) {
		case '"': rc = buf_append(b, "\\\"", 2); break;
		case '\\': rc = buf_append(b, "\\\\", 2); break;
		case '\b': rc = buf_append(b, "\\b", 2); break;
		case '\f': rc = buf_append(b, "\\f", 2); break;
		case '\n': rc = buf_append(b, "\\n", 2); break;
		case '\r': rc = buf_append(b, "\\r", 2); break;
		case '\t': rc = buf_append(b, "\\t", 2); break;
		default: rc = buf_printf(b, "\\u%04X", p[i]); break;
		}
		i++;
	}
	if (rc == 0)
		rc = buf_append(b, "\"", 1);
	return rc == 0 ? 0 : -1;
}

/* ,"key": (the comma unless first) */
static void
key(struct buf *b, const char *k, int *first)
{
	if (!*first)
		buf_append(b, ",", 1);
	*first = 0;
	buf_append(b, "\"", 1);
	buf_append_str(b, k);
	buf_append(b, "\":", 2);
}

static void
str(struct buf *b, const char *k, const char *s, int *first)
{
	key(b, k, first);
	json_direct_append_string(b, s != NULL ? s : "", 1);
}

/* set_opt() of report_json_write.c */
static void
opt(struct buf *b, const char *k, const char *s, unsigned flags, int *first)
{
	if (s != NULL && (s[0] != '\0' || (flags & REPORT_JSON_AS_RECEIVED)))
		str(b, k, s, first);
}

/* n in decimal, as "%" PRIu64 writes it (printf() cost more than the
 * rest of a count) */
static void
count(struct buf *b, const char *k, uint64_t n, int *first)
{
	char digits[20];
	size_t i = sizeof(digits);

	key(b, k, first);
	if (n > JSON_FIELDS_COUNT_MAX)
		n = JSON_FIELDS_COUNT_MAX;
	do {
		digits[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n != 0);
	buf_append(b, digits + i, sizeof(digits) - i);
}

static void
strings(struct buf *b, const char *k, const struct strlist *l, int *first)
{
	key(b, k, first);
	buf_append(b, "[", 1);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			buf_append(b, ",", 1);
		json_direct_append_string(b, l->v[i], 1);
	}
	buf_append(b, "]", 1);
}

static const char *
type_text(const char *raw, const char *registered, unsigned flags)
{
	if ((flags & REPORT_JSON_AS_RECEIVED) && raw != NULL)
		return raw;
	return registered != NULL ? registered : raw;
}

static void
write_detail(struct buf *b, const struct failure_detail *d, unsigned flags)
{
	int first = 1;

	buf_append(b, "{", 1);
	str(b, "result-type", type_text(d->result_type, result_type_to_string(d->type), flags),
	    &first);
	opt(b, "sending-mta-ip", d->sending_mta_ip, flags, &first);
	opt(b, "receiving-mx-hostname", d->receiving_mx_hostname, flags, &first);
	opt(b, "receiving-mx-helo", d->receiving_mx_helo, flags, &first);
	opt(b, "receiving-ip", d->receiving_ip, flags, &first);
	count(b, "failed-session-count", d->failed_session_count, &first);
	opt(b, "additional-information", d->additional_information, flags, &first);
	opt(b, "failure-reason-code", d->failure_reason_code, flags, &first);
	buf_append(b, "}", 1);
}

static void
write_policy(struct buf *b, const struct policy *p, unsigned flags)
{
	int all = !(flags & REPORT_JSON_AS_RECEIVED);
	int first = 1, pfirst = 1, sfirst = 1;

	buf_append(b, "{", 1);
	key(b, "policy", &first);
	buf_append(b, "{", 1);
	str(b, "policy-type", type_text(p->policy_type, policy_type_to_string(p->type), flags),
	    &pfirst);
	if (all || p->has_policy_string)
		strings(b, "policy-string", &p->policy_string, &pfirst);
	opt(b, "policy-domain", p->policy_domain, flags, &pfirst);
	if (all || p->has_mx_host)
		strings(b, "mx-host", &p->mx_host, &pfirst);
	buf_append(b, "}", 1);
	key(b, "summary", &first);
	buf_append(b, "{", 1);
	count(b, "total-successful-session-count", p->total_successful_session_count, &sfirst);
	count(b, "total-failure-session-count", p->total_failure_session_count, &sfirst);
	buf_append(b, "}", 1);
	if (all || p->has_failure_details || p->n_failure_details > 0) {
		key(b, "failure-details", &first);
		buf_append(b, "[", 1);
		for (size_t i = 0; i < p->n_failure_details; i++) {
			if (i > 0)
				buf_append(b, ",", 1);
			write_detail(b, &p->failure_details[i], flags);
		}
		buf_append(b, "]", 1);
	}
	buf_append(b, "}", 1);
}

/* Whether r holds unknown members that KEEP_EXTRA would merge back. */
static int
has_extra(const struct report *r)
{
	if (r->extra_json != NULL)
		return 1;
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		if (p->extra_json != NULL)
			return 1;
		for (size_t j = 0; j < p->n_failure_details; j++)
			if (p->failure_details[j].extra_json != NULL)
				return 1;
	}
	return 0;
}

static const char *
date_text(const char *raw, int64_t t, char buf[DATETIME_FMT_SIZE], unsigned flags)
{
	if ((flags & REPORT_JSON_AS_RECEIVED) && raw != NULL)
		return raw;
	return datetime_format(t, buf);
}

char *
report_write_json_direct(const struct report *r, unsigned flags)
{
	char b1[DATETIME_FMT_SIZE], b2[DATETIME_FMT_SIZE];
	struct buf b;
	size_t len;
	int first = 1, dfirst = 1;

	if ((flags & REPORT_JSON_PRETTY) || ((flags & REPORT_JSON_KEEP_EXTRA) && has_extra(r)))
		return NULL;
	/* no limit of its own: the text is bounded by the report in memory */
	buf_init(&b, SIZE_MAX / 2);
	buf_append(&b, "{", 1);
	str(&b, "organization-name", r->organization_name, &first);
	key(&b, "date-range", &first);
	buf_append(&b, "{", 1);
	str(&b, "start-datetime", date_text(r->start_datetime, r->start, b1, flags), &dfirst);
	str(&b, "end-datetime", date_text(r->end_datetime, r->end, b2, flags), &dfirst);
	buf_append(&b, "}", 1);
	opt(&b, "contact-info", r->contact_info, flags, &first);
	str(&b, "report-id", r->report_id, &first);
	key(&b, "policies", &first);
	buf_append(&b, "[", 1);
	for (size_t i = 0; i < r->n_policies; i++) {
		if (i > 0)
			buf_append(&b, ",", 1);
		write_policy(&b, &r->policies[i], flags);
	}
	buf_append(&b, "]}", 2);
	return buf_steal(&b, &len);
}
