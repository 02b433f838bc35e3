/*
 * entry: RFC 8461 caching rules for one policy domain (see entry.h).
 */
#include "policyd/entry.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char NOTFOUND[] = "NOTFOUND ";

struct policyd_entry *
policyd_entry_new(const char *domain)
{
	struct policyd_entry *e = xcalloc(1, sizeof(*e));

	e->domain = xstrdup(domain);
	return e;
}

/* Forgets the cached policy (not the DANE verdict). */
static void
drop_policy(struct policyd_entry *e)
{
	free(e->id);
	free(e->body);
	free(e->reply);
	free(e->failure_msg);
	sts_policy_clear(&e->policy);
	e->id = e->body = e->reply = e->failure_msg = NULL;
	e->failure = POLICYD_FAIL_NONE;
	e->fetched = e->expires = e->next_check = e->retry_at = 0;
}

void
policyd_entry_free(struct policyd_entry **e)
{
	if (e == NULL || *e == NULL)
		return;
	drop_policy(*e);
	free((*e)->domain);
	free(*e);
	*e = NULL;
}

void
policyd_result_clear(struct policyd_result *res)
{
	free(res->id);
	free(res->failure_msg);
	free(res->body);
	sts_policy_clear(&res->policy);
	memset(res, 0, sizeof(*res));
}

const char *
policyd_dane_name(enum policyd_dane d)
{
	switch (d) {
	case POLICYD_DANE_NO: return "no";
	case POLICYD_DANE_ALL: return "all";
	case POLICYD_DANE_SOME: return "some";
	case POLICYD_DANE_TEMP: return "temp";
	}
	return "?";
}

/* When a proactive refresh of e's policy is due. */
static int64_t
refresh_at(const struct policyd_entry *e, const struct policyd_rules *r)
{
	int64_t before = (e->expires - e->fetched) / 4;

	if (r->refresh_before < before)
		before = r->refresh_before;
	return e->expires - before;
}

static int
has_policy(const struct policyd_entry *e, int64_t now)
{
	return e->state == POLICYD_POLICY && now < e->expires;
}

enum policyd_need
policyd_entry_need(const struct policyd_entry *e, int64_t now, const struct policyd_rules *r)
{
	if (e == NULL || e->state == POLICYD_UNKNOWN)
		return POLICYD_NEED_WAIT;
	if (r->dane_first && e->dane_until == 0)
		return POLICYD_NEED_WAIT;
	if (e->state == POLICYD_POLICY) {
		if (now >= e->expires)
			return POLICYD_NEED_WAIT;
		if (now >= e->next_check || (now >= refresh_at(e, r) && now >= e->retry_at))
			return POLICYD_NEED_BACKGROUND;
	} else if (now >= e->negative_until) {
		return POLICYD_NEED_WAIT;
	}
	if (r->dane_first && now >= e->dane_until)
		return POLICYD_NEED_BACKGROUND;
	return POLICYD_NEED_NOTHING;
}

int
policyd_entry_wants_fetch(const struct policyd_entry *e, const char *id, int64_t now,
    const struct policyd_rules *r)
{
	if (id == NULL)
		return 0;
	if (e == NULL || !has_policy(e, now) || e->id == NULL)
		return 1;
	if (strcmp(e->id, id) != 0)
		return 1;               /* RFC 8461 §3.3: a new id means a new policy */
	return now >= refresh_at(e, r) && now >= e->retry_at;
}

/* The answer of a policy in force (NULL: NOTFOUND). */
static char *
policy_reply(const struct policyd_entry *e, const struct policyd_rules *r)
{
	if (e->policy.mode == STS_MODE_ENFORCE ||
	    (e->policy.mode == STS_MODE_TESTING && r->testing_enforce))
		return policyd_reply_enforce(e->domain, &e->policy, r->tlsrpt);
	return NULL;
}

/* The answer for "TXT record, no policy" (NULL: NOTFOUND). */
static char *
failure_reply(const struct policyd_entry *e, const struct policyd_rules *r)
{
	if (!r->defer_on_failure)
		return NULL;
	if (r->tlsrpt)
		return policyd_reply_failure(e->domain, e->failure);
	return xasprintf("TEMP MTA-STS policy of %s: %s", e->domain, policyd_failure_name(e->failure));
}

static void
take_policy(struct policyd_entry *e, struct policyd_result *res, int64_t now,
    const struct policyd_rules *r)
{
	drop_policy(e);
	e->state = POLICYD_POLICY;
	e->id = res->id;
	res->id = NULL;
	e->body = res->body;
	res->body = NULL;
	e->policy = res->policy;
	memset(&res->policy, 0, sizeof(res->policy));
	e->fetched = now;
	e->expires = now + (e->policy.max_age < STS_POLICY_MAX_AGE ? e->policy.max_age : STS_POLICY_MAX_AGE);
	e->next_check = now + r->check_interval;
	e->reply = policy_reply(e, r);
}

int
policyd_entry_apply(struct policyd_entry *e, struct policyd_result *res, int64_t now,
    const struct policyd_rules *r)
{
	if (res->dane_checked) {
		e->dane = res->dane;
		e->dane_until = now + (res->dane_ttl > 0 ? res->dane_ttl : 1);
	}
	if (res->fetched && res->failure == POLICYD_FAIL_NONE) {
		take_policy(e, res, now, r);
		return 1;
	}
	if (has_policy(e, now)) {
		/* a cached policy outlives a missing TXT record, a DNS failure
		 * and a failed refresh (RFC 8461 §5.1); only the check is due
		 * again, after retry_interval */
		if (res->txt == POLICYD_TXT_OK && !res->fetched)
			e->next_check = now + r->check_interval;
		else
			e->next_check = now + r->retry_interval;
		if (res->fetched)
			e->retry_at = now + r->retry_interval;
		return 0;
	}
	drop_policy(e);
	if (res->txt == POLICYD_TXT_NONE) {
		e->state = POLICYD_NOPOLICY;
		e->negative_until = now + r->none_ttl;
	} else if (res->txt == POLICYD_TXT_TEMP) {
		e->state = POLICYD_NOPOLICY;
		e->negative_until = now + r->retry_interval;
	} else {
		e->state = POLICYD_FAILED;
		e->failure = res->failure != POLICYD_FAIL_NONE ? res->failure : POLICYD_FAIL_FETCH;
		e->failure_msg = res->failure_msg;
		res->failure_msg = NULL;
		e->negative_until = now + r->retry_interval;
		e->reply = failure_reply(e, r);
	}
	return 0;
}

int
policyd_entry_install(struct policyd_entry *e, const char *id, const char *body,
    int64_t fetched, int64_t expires, int64_t now, const struct policyd_rules *r)
{
	struct policyd_result res = { 0 };

	if (now >= expires || (has_policy(e, now) && e->fetched >= fetched))
		return 0;
	if (sts_policy_parse_capped(body, strlen(body), &res.policy, NULL, NULL) < 0) {
		policyd_result_clear(&res);
		return -1;
	}
	res.id = id != NULL ? xstrdup(id) : NULL;
	res.body = xstrdup(body);
	take_policy(e, &res, now, r);
	e->fetched = fetched;
	e->expires = expires;
	/* the TXT id is checked on the first use */
	e->next_check = now;
	policyd_result_clear(&res);
	return 1;
}

const char *
policyd_entry_answer(const struct policyd_entry *e, int64_t now,
    const struct policyd_rules *r, enum policyd_failure *report)
{
	int enforce;

	*report = POLICYD_FAIL_NONE;
	if (e == NULL)
		return NOTFOUND;
	enforce = has_policy(e, now) && e->reply != NULL;
	if (r->dane_first && e->dane_until != 0) {
		/* DANE wins; with TLSA on some MX hosts only, an enforced
		 * MTA-STS policy protects every host, `dane` would leave the
		 * others at opportunistic TLS */
		if (e->dane == POLICYD_DANE_ALL || e->dane == POLICYD_DANE_TEMP ||
		    (e->dane == POLICYD_DANE_SOME && !enforce))
			return "OK dane";
	}
	if (has_policy(e, now))
		return e->reply != NULL ? e->reply : NOTFOUND;
	if (e->state == POLICYD_FAILED && now < e->negative_until) {
		/* Postfix reports it only through policy_failure= */
		if (e->reply == NULL || !r->tlsrpt)
			*report = e->failure;
		return e->reply != NULL ? e->reply : NOTFOUND;
	}
	return NOTFOUND;
}
