/*
 * report_validate: RFC 8460 conformance checks on struct report
 * (report_validate.h).  Each check cites the rule it enforces; the
 * requirement numbers R-x.y refer to research/sender.md §1.
 */
#include "model/report_validate.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/datetime.h"

struct check {
	struct strlist *out;
	int problems;
};

static void problem(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct check *c, const char *fmt, ...)
{
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	strlist_add(c->out, text);
	c->problems++;
}

static void
note(struct check *c, const char *fmt, ...)
{
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	strlist_addf(c->out, "note: %s", text);
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Returns NULL if s is an A-label domain name (LDH labels of 1-63 bytes,
 * at most 253 bytes; "*." first if wildcard is set), else why not. */
static const char *
domain_problem(const char *s, int wildcard)
{
	size_t label = 0, total = strlen(s);

	if (wildcard && strncmp(s, "*.", 2) == 0)
		s += 2;
	if (total > 253)
		return "longer than 253 characters";
	if (*s == '\0')
		return "is empty";
	for (const char *p = s;; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '.' || ch == '\0') {
			if (label == 0 && !(ch == '\0' && p > s && p[-1] == '.'))
				return "has an empty label";
			if (label > 63)
				return "has a label longer than 63 characters";
			if (p[-1] == '-')
				return "has a label ending in '-'";
			label = 0;
			if (ch == '\0')
				break;
			continue;
		}
		if (ch >= 0x80)
			return "is not an A-label (non-ASCII; RFC 8460 requires the xn-- form)";
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || (ch == '_' && label == 0)))
			return "contains a character not allowed in a host name";
		if (label == 0 && ch == '-')
			return "has a label starting with '-'";
		label++;
	}
	return NULL;
}

/* The checks of one member take its path as base, member name and index
 * (-1: none) and format it only for a message: they run for every member
 * of every report, the messages are rare. */
static void
member_path(char *out, size_t n, const char *base, const char *member, long idx)
{
	if (idx < 0)
		snprintf(out, n, "%s.%s", base, member);
	else
		snprintf(out, n, "%s.%s[%ld]", base, member, idx);
}

static void
check_domain(struct check *c, const char *base, const char *member, long idx, const char *s,
	     int wildcard)
{
	char path[128];
	const char *why;

	if (s == NULL)
		return;
	why = domain_problem(s, wildcard);
	if (why != NULL) {
		member_path(path, sizeof(path), base, member, idx);
		problem(c, "%s: \"%.80s\" %s", path, s, why);
	}
}

static void
check_ip(struct check *c, const char *base, const char *member, const char *s)
{
	unsigned char addr[16];
	char path[128];

	if (s == NULL ||
	    (*s != '\0' && (inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1)))
		return;
	member_path(path, sizeof(path), base, member, -1);
	if (*s == '\0')
		problem(c, "%s: empty string (omit the member when unknown)", path);
	else
		problem(c, "%s: \"%.80s\" is not an IPv4 or IPv6 address", path, s);
}

static void
check_date(struct check *c, const char *path, const char *raw)
{
	unsigned flags = 0;
	int64_t t;

	if (raw == NULL)
		return;
	if (datetime_parse(raw, &t, &flags, NULL) != 0)
		problem(c, "%s: \"%.60s\" is not an RFC 3339 date-time", path, raw);
	else if (flags & DATETIME_NO_ZONE)
		problem(c, "%s: \"%.60s\" has no time zone (RFC 3339 requires Z or an offset)",
			path, raw);
}

static void
check_header(struct check *c, const struct report *r)
{
	const char *at;

	if (empty(r->organization_name))
		problem(c, "organization-name: missing or empty");
	if (empty(r->report_id))
		problem(c, "report-id: missing or empty");
	if (empty(r->contact_info))
		problem(c, "contact-info: missing (RFC 8460 §4.4 lists it as required)");
	else if ((at = strrchr(r->contact_info, '@')) == NULL || at == r->contact_info ||
		 at[1] == '\0')
		problem(c, "contact-info: \"%.80s\" is not an e-mail address", r->contact_info);
	check_date(c, "date-range.start-datetime", r->start_datetime);
	check_date(c, "date-range.end-datetime", r->end_datetime);
	if (r->end < r->start)
		problem(c, "date-range: end-datetime is before start-datetime");
	else if (r->start % 86400 != 0 ||
		 (r->end != r->start + 86399 && r->end != r->start + 86400))
		problem(c, "date-range: not one full UTC day (RFC 8460 §4.1: 00:00-24:00 UTC)");
	if (r->n_policies == 0)
		problem(c, "policies: empty (a report covers at least one policy)");
}

static void
check_tlsa_rr(struct check *c, const char *path, size_t i, const char *rr)
{
	unsigned usage, selector, mtype;
	int n = 0;
	size_t hex;

	if (sscanf(rr, "%u %u %u %n", &usage, &selector, &mtype, &n) != 3 || n == 0) {
		problem(c, "%s[%zu]: \"%.60s\" is not \"usage selector type data\"", path, i, rr);
		return;
	}
	hex = strspn(rr + n, "0123456789abcdefABCDEF");
	if (usage > 3 || selector > 1 || mtype > 2)
		problem(c, "%s[%zu]: TLSA %u %u %u uses unassigned values", path, i, usage,
			selector, mtype);
	if (hex == 0 || rr[n + hex] != '\0' || hex % 2 != 0)
		problem(c, "%s[%zu]: TLSA data must be one even-length hex string with no "
			   "spaces (RFC 8460 §4.5)", path, i);
}

/* Returns 1 if a failure detail says the policy itself could not be had,
 * which explains an empty policy-string (Microsoft, Mail.ru). */
static int
policy_not_retrieved(const struct policy *p)
{
	for (size_t i = 0; i < p->n_failure_details; i++) {
		switch (p->failure_details[i].type) {
		case RESULT_STS_POLICY_FETCH_ERROR:
		case RESULT_STS_POLICY_INVALID:
		case RESULT_STS_WEBPKI_INVALID:
		case RESULT_TLSA_INVALID:
		case RESULT_DNSSEC_INVALID:
			return 1;
		default:
			break;
		}
	}
	return 0;
}

static void
check_policy_string(struct check *c, const char *base, const struct policy *p)
{
	char path[80];

	snprintf(path, sizeof(path), "%s.policy-string", base);
	if (p->type == POLICY_TYPE_NO_POLICY_FOUND || p->type == POLICY_TYPE_UNKNOWN)
		return;
	if (p->policy_string.n == 0) {
		if (policy_not_retrieved(p))
			note(c, "%s: %s (the policy could not be retrieved)", path,
			     p->has_policy_string ? "empty" : "missing");
		else
			problem(c, "%s: %s for a %s policy", path,
				p->has_policy_string ? "empty" : "missing", p->policy_type);
		return;
	}
	for (size_t i = 0; i < p->policy_string.n; i++) {
		if (p->type == POLICY_TYPE_TLSA)
			check_tlsa_rr(c, path, i, p->policy_string.v[i]);
	}
	if (p->type == POLICY_TYPE_STS && strcmp(p->policy_string.v[0], "version: STSv1") != 0)
		problem(c, "%s[0]: \"%.60s\" (an MTA-STS policy starts with \"version: STSv1\")",
			path, p->policy_string.v[0]);
}

static void
check_detail(struct check *c, const char *base, size_t i, const struct failure_detail *d)
{
	char path[96];

	snprintf(path, sizeof(path), "%s.failure-details[%zu]", base, i);
	if (d->type == RESULT_UNKNOWN)
		problem(c, "%s.result-type: unregistered value \"%.60s\"", path,
			d->result_type != NULL ? d->result_type : "");
	if (d->failed_session_count == 0)
		problem(c, "%s.failed-session-count: 0 (a detail describes failed sessions)", path);
	check_ip(c, path, "sending-mta-ip", d->sending_mta_ip);
	check_ip(c, path, "receiving-ip", d->receiving_ip);
	check_domain(c, path, "receiving-mx-hostname", -1, d->receiving_mx_hostname, 0);
	if ((d->type == RESULT_CERTIFICATE_NOT_TRUSTED || d->type == RESULT_VALIDATION_FAILURE) &&
	    empty(d->failure_reason_code))
		note(c, "%s.failure-reason-code: missing (RFC 8460 §4.3.1 says SHOULD for %s)",
		     path, d->result_type);
	if (!empty(d->additional_information) && strstr(d->additional_information, ":") == NULL)
		note(c, "%s.additional-information: \"%.60s\" is not a URI", path,
		     d->additional_information);
}

static void
check_policy(struct check *c, size_t n, const struct policy *p)
{
	char base[32], path[64];
	uint64_t sum = 0;

	snprintf(base, sizeof(base), "policies[%zu]", n);
	snprintf(path, sizeof(path), "%s.policy", base);
	if (p->type == POLICY_TYPE_UNKNOWN)
		problem(c, "%s.policy-type: unregistered value \"%.60s\"", path,
			p->policy_type != NULL ? p->policy_type : "");
	if (empty(p->policy_domain))
		problem(c, "%s.policy-domain: missing", path);
	else
		check_domain(c, path, "policy-domain", -1, p->policy_domain, 0);
	check_policy_string(c, path, p);
	for (size_t i = 0; i < p->mx_host.n; i++)
		check_domain(c, path, "mx-host", (long)i, p->mx_host.v[i], 1);
	for (size_t i = 0; i < p->n_failure_details; i++) {
		check_detail(c, base, i, &p->failure_details[i]);
		if (sum <= UINT64_MAX - p->failure_details[i].failed_session_count)
			sum += p->failure_details[i].failed_session_count;
	}
	if (p->total_failure_session_count > 0 && p->n_failure_details == 0)
		problem(c, "%s.failure-details: %llu failed sessions counted but none described",
			base, (unsigned long long)p->total_failure_session_count);
	if (sum > p->total_failure_session_count)
		note(c, "%s.failure-details: failed-session-count adds up to %llu, more than "
			"total-failure-session-count %llu (allowed: one session can fail in "
			"several ways, RFC 8460 §4)", base, (unsigned long long)sum,
		     (unsigned long long)p->total_failure_session_count);
	if (p->total_successful_session_count == 0 && p->total_failure_session_count == 0)
		note(c, "%s.summary: no sessions at all", base);
}

int
report_validate(const struct report *r, struct strlist *problems)
{
	struct check c = { problems, 0 };

	if (r == NULL) {
		problem(&c, "(top): no report");
		return c.problems;
	}
	check_header(&c, r);
	for (size_t i = 0; i < r->n_policies; i++)
		check_policy(&c, i, &r->policies[i]);
	return c.problems;
}
