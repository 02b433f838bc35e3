/*
 * entry: what policyd knows about one policy domain, and the RFC 8461
 * rules for it, as pure functions of the entry, a result and the time
 * (the unit tests drive them with a fake clock).
 *
 * RFC 8461 rules kept here:
 * - a policy is used until fetched + max_age (max_age capped at one year,
 *   §3.2); it is refetched when the _mta-sts TXT id changes (§3.3) or when
 *   it comes within `refresh_before` of its expiry (proactive refresh, §5.1);
 * - a failed refresh, a missing or broken TXT record, keep an unexpired
 *   cached policy (§5.1); only a successful HTTPS fetch extends it;
 * - no cached policy and a failed fetch: the domain is treated as having
 *   no policy (deliver without MTA-STS), the failure is remembered for
 *   `retry_interval` (so a dead policy host is not hammered) and reported;
 * - a fetched "mode: none" replaces the cached policy at once.
 * DANE first: a verdict on the MX set's TLSA records, kept for its TTL.
 */
#ifndef TLSRPT_POLICYD_ENTRY_H
#define TLSRPT_POLICYD_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "model/sts_policy.h"
#include "policyd/reply.h"

/* How the answers are shaped and how long things stand (tlsrpt.conf). */
struct policyd_rules {
	int64_t check_interval;         /* TXT id re-check of a cached policy */
	int64_t retry_interval;         /* a failed fetch stands this long */
	int64_t none_ttl;               /* "no policy" (no TXT record, mode none) stands this long */
	int64_t refresh_before;         /* refetch when this close to expiry (at most
	                                 * a quarter of max_age) */
	int dane_first;                 /* 1: answer dane when the MX set has DNSSEC TLSA */
	int testing_enforce;            /* 1: apply testing policies as enforce */
	int tlsrpt;                     /* 1: TLSRPT attributes in the answers */
	int defer_on_failure;           /* 1: no policy + failed fetch defers (not RFC 8461) */
};

enum policyd_state {
	POLICYD_UNKNOWN,        /* never resolved */
	POLICYD_NOPOLICY,       /* no (valid) TXT record, or mode none */
	POLICYD_POLICY,         /* a valid policy (enforce, testing or none) */
	POLICYD_FAILED,         /* TXT record, but no policy could be had */
};

enum policyd_dane {
	POLICYD_DANE_NO,        /* no DNSSEC MX set or no usable TLSA: MTA-STS decides */
	POLICYD_DANE_ALL,       /* every MX host has usable DNSSEC TLSA */
	POLICYD_DANE_SOME,      /* some do */
	POLICYD_DANE_TEMP,      /* the MX set is DNSSEC-signed but a TLSA lookup failed */
};

struct policyd_entry {
	char *domain;                   /* owned; A-labels, lower case */
	enum policyd_state state;
	char *id;                       /* TXT id of the cached policy, owned */
	char *body;                     /* the policy as fetched, owned */
	struct sts_policy policy;       /* parsed body (POLICYD_POLICY) */
	int64_t fetched, expires;       /* POLICYD_POLICY */
	int64_t next_check;             /* POLICYD_POLICY: TXT check due */
	int64_t retry_at;               /* POLICYD_POLICY: no refresh before (after a failed one) */
	int64_t negative_until;         /* NOPOLICY/FAILED: the answer stands until */
	enum policyd_failure failure;   /* FAILED: what to report */
	char *failure_msg;              /* FAILED: why, owned */
	char *reply;                    /* the "OK …" answer of the policy, or NULL (NOTFOUND); owned */
	enum policyd_dane dane;
	int64_t dane_until;             /* 0: never checked */
	int64_t last_used;
	int busy;                       /* a resolve job is queued or running */
	unsigned waiters;               /* requests waiting for that job (core.c): not to be freed */
};

/* What a lookup needs before (or after) it is answered. */
enum policyd_need {
	POLICYD_NEED_NOTHING,           /* answer from the entry */
	POLICYD_NEED_BACKGROUND,        /* answer from the entry, resolve again behind it */
	POLICYD_NEED_WAIT,              /* resolve first (bounded by the answer timeout) */
};

/* What one resolve job found (policyd/resolve.c fills it). */
enum policyd_txt { POLICYD_TXT_NONE, POLICYD_TXT_OK, POLICYD_TXT_TEMP };
struct policyd_result {
	enum policyd_txt txt;
	char *id;                       /* POLICYD_TXT_OK */
	int fetched;                    /* 1 if the policy was fetched (or tried) */
	enum policyd_failure failure;   /* fetched and failed */
	char *failure_msg;
	char *body;                     /* fetched and valid */
	struct sts_policy policy;
	int dane_checked;
	enum policyd_dane dane;
	int64_t dane_ttl;
};

/* A new entry for domain (copied), state POLICYD_UNKNOWN. */
struct policyd_entry *policyd_entry_new(const char *domain);

/* Releases *e and sets it to NULL. */
void policyd_entry_free(struct policyd_entry **e);

/* What a lookup of e (NULL: not cached) at time now needs. */
enum policyd_need policyd_entry_need(const struct policyd_entry *e, int64_t now,
    const struct policyd_rules *r);

/* 1 if, the TXT record holding id (NULL: none or lookup failed), the
 * policy must be fetched over HTTPS at time now. */
int policyd_entry_wants_fetch(const struct policyd_entry *e, const char *id, int64_t now,
    const struct policyd_rules *r);

/*
 * Applies a resolve result at time now (moves what it takes out of res,
 * which must still be cleared).  Returns 1 if e now holds a newly fetched
 * policy (to be written to the store), else 0.
 */
int policyd_entry_apply(struct policyd_entry *e, struct policyd_result *res, int64_t now,
    const struct policyd_rules *r);

/*
 * Installs a policy read from the store (body, its TXT id, fetch and
 * expiry times), unless e already holds a newer one or it has expired.
 * Returns 1 if installed, 0 if not, -1 if body does not parse.
 */
int policyd_entry_install(struct policyd_entry *e, const char *id, const char *body,
    int64_t fetched, int64_t expires, int64_t now, const struct policyd_rules *r);

/*
 * The answer for a lookup of e at time now (borrowed from e or static;
 * valid while e is unchanged).  *report receives the failure policyd
 * must report itself (POLICYD_FAIL_NONE if none: no failure, or Postfix
 * reports it through policy_failure=).
 */
const char *policyd_entry_answer(const struct policyd_entry *e, int64_t now,
    const struct policyd_rules *r, enum policyd_failure *report);

/* Releases what res owns and zeroes it. */
void policyd_result_clear(struct policyd_result *res);

/* "no", "all", "some", "temp". */
const char *policyd_dane_name(enum policyd_dane d);

#endif
