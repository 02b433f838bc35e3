/* Unit tests for policyd/entry: the RFC 8461 caching rules, driven by a
 * fake clock (times are plain numbers passed in). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policyd/entry.h"
#include "util/xalloc.h"

static const struct policyd_rules rules = {
	.check_interval = 100, .retry_interval = 10, .none_ttl = 50, .refresh_before = 86400,
	.dane_first = 0, .testing_enforce = 0, .tlsrpt = 1, .defer_on_failure = 0,
};

static const char ENFORCE[] = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 1000\n";

/* A result: TXT with id, and (body != NULL) a fetched policy, or (f) a
 * failed fetch. */
static void
result(struct policyd_result *r, enum policyd_txt txt, const char *id, const char *body,
    enum policyd_failure f)
{
	memset(r, 0, sizeof(*r));
	r->txt = txt;
	r->id = id ? xstrdup(id) : NULL;
	if (body != NULL) {
		r->fetched = 1;
		r->body = xstrdup(body);
		assert_int_equal(sts_policy_parse_capped(body, strlen(body), &r->policy, NULL, NULL), 0);
	} else if (f != POLICYD_FAIL_NONE) {
		r->fetched = 1;
		r->failure = f;
		r->failure_msg = xstrdup("HTTP 500");
	}
}

static int
apply(struct policyd_entry *e, enum policyd_txt txt, const char *id, const char *body,
    enum policyd_failure f, int64_t now, const struct policyd_rules *r)
{
	struct policyd_result res;
	int rc;

	result(&res, txt, id, body, f);
	rc = policyd_entry_apply(e, &res, now, r);
	policyd_result_clear(&res);
	return rc;
}

static const char *
answer(const struct policyd_entry *e, int64_t now, const struct policyd_rules *r, enum policyd_failure *rep)
{
	enum policyd_failure dummy;

	return policyd_entry_answer(e, now, r, rep ? rep : &dummy);
}

static void
test_entry_fresh_policy_is_served_until_max_age_and_checked_every_interval(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");
	enum policyd_failure rep;

	(void)state;
	assert_int_equal(policyd_entry_need(NULL, 0, &rules), POLICYD_NEED_WAIT);
	assert_int_equal(policyd_entry_need(e, 0, &rules), POLICYD_NEED_WAIT);
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 0, &rules), 1);
	assert_int_equal(apply(e, POLICYD_TXT_OK, "1", ENFORCE, 0, 0, &rules), 1);
	assert_int_equal(e->expires, 1000);
	assert_non_null(strstr(answer(e, 10, &rules, &rep), "OK secure match=mx.example.com "));
	assert_int_equal(rep, POLICYD_FAIL_NONE);
	assert_int_equal(policyd_entry_need(e, 99, &rules), POLICYD_NEED_NOTHING);
	assert_int_equal(policyd_entry_need(e, 100, &rules), POLICYD_NEED_BACKGROUND);
	/* same id: no fetch, and the expiry is NOT extended (only a fetch does) */
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 100, &rules), 0);
	assert_int_equal(apply(e, POLICYD_TXT_OK, "1", NULL, 0, 100, &rules), 0);
	assert_int_equal(e->expires, 1000);
	assert_int_equal(policyd_entry_need(e, 150, &rules), POLICYD_NEED_NOTHING);
	/* max_age over: resolve first, and meanwhile no policy */
	assert_int_equal(policyd_entry_need(e, 1000, &rules), POLICYD_NEED_WAIT);
	assert_string_equal(answer(e, 1000, &rules, &rep), "NOTFOUND ");
	policyd_entry_free(&e);
	assert_null(e);
}

static void
test_entry_id_change_refetches_and_a_failed_refetch_keeps_the_cached_policy(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");
	static const char OTHER[] = "version: STSv1\nmode: enforce\nmx: mx2.example.com\nmax_age: 1000\n";

	(void)state;
	apply(e, POLICYD_TXT_OK, "1", ENFORCE, 0, 0, &rules);
	assert_int_equal(policyd_entry_wants_fetch(e, "2", 100, &rules), 1);
	/* the fetch fails: cached policy kept, check again after retry_interval */
	assert_int_equal(apply(e, POLICYD_TXT_OK, "2", NULL, POLICYD_FAIL_FETCH, 100, &rules), 0);
	assert_non_null(strstr(answer(e, 101, &rules, NULL), "match=mx.example.com "));
	assert_int_equal(e->next_check, 110);
	/* a missing TXT record or a DNS failure keep it too */
	assert_int_equal(apply(e, POLICYD_TXT_NONE, NULL, NULL, 0, 110, &rules), 0);
	assert_int_equal(apply(e, POLICYD_TXT_TEMP, NULL, NULL, 0, 120, &rules), 0);
	assert_non_null(strstr(answer(e, 121, &rules, NULL), "match=mx.example.com "));
	/* the new policy arrives */
	assert_int_equal(apply(e, POLICYD_TXT_OK, "2", OTHER, 0, 130, &rules), 1);
	assert_non_null(strstr(answer(e, 131, &rules, NULL), "match=mx2.example.com "));
	assert_string_equal(e->id, "2");
	assert_int_equal(e->expires, 1130);
	policyd_entry_free(&e);
}

static void
test_entry_refreshes_proactively_in_the_last_quarter_and_not_after_a_failure(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");

	(void)state;
	apply(e, POLICYD_TXT_OK, "1", ENFORCE, 0, 0, &rules);
	/* refresh_before is a day, capped at max_age/4 = 250: due at 750 */
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 749, &rules), 0);
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 750, &rules), 1);
	assert_int_equal(apply(e, POLICYD_TXT_OK, "1", NULL, POLICYD_FAIL_FETCH, 750, &rules), 0);
	/* not hammered: the next try after retry_interval */
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 755, &rules), 0);
	assert_int_equal(policyd_entry_wants_fetch(e, "1", 760, &rules), 1);
	assert_int_equal(apply(e, POLICYD_TXT_OK, "1", ENFORCE, 0, 760, &rules), 1);
	assert_int_equal(e->expires, 1760);
	policyd_entry_free(&e);
}

static void
test_entry_failed_fetch_without_cache_delivers_and_reports(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");
	struct policyd_rules defer = rules, defer_plain = rules;
	enum policyd_failure rep;

	(void)state;
	defer.defer_on_failure = 1;
	defer_plain.defer_on_failure = 1;
	defer_plain.tlsrpt = 0;
	assert_int_equal(apply(e, POLICYD_TXT_OK, "1", NULL, POLICYD_FAIL_WEBPKI, 0, &rules), 0);
	assert_int_equal(e->state, POLICYD_FAILED);
	assert_string_equal(answer(e, 1, &rules, &rep), "NOTFOUND ");
	assert_int_equal(rep, POLICYD_FAIL_WEBPKI);
	assert_int_equal(policyd_entry_need(e, 9, &rules), POLICYD_NEED_NOTHING);
	assert_int_equal(policyd_entry_need(e, 10, &rules), POLICYD_NEED_WAIT);
	policyd_entry_free(&e);

	/* defer: Postfix defers and reports it through policy_failure= */
	e = policyd_entry_new("example.com");
	apply(e, POLICYD_TXT_OK, "1", NULL, POLICYD_FAIL_FETCH, 0, &defer);
	assert_string_equal(answer(e, 1, &defer, &rep), "OK secure match=hostname servername=hostname "
	    "policy_type=sts policy_domain=example.com policy_failure=sts-policy-fetch-error");
	assert_int_equal(rep, POLICYD_FAIL_NONE);
	policyd_entry_free(&e);

	/* defer without TLSRPT attributes: TEMP, and policyd reports */
	e = policyd_entry_new("example.com");
	apply(e, POLICYD_TXT_OK, "1", NULL, POLICYD_FAIL_INVALID, 0, &defer_plain);
	assert_string_equal(answer(e, 1, &defer_plain, &rep),
	    "TEMP MTA-STS policy of example.com: sts-policy-invalid");
	assert_int_equal(rep, POLICYD_FAIL_INVALID);
	policyd_entry_free(&e);
}

static void
test_entry_no_record_testing_and_none_are_notfound_without_report(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");
	struct policyd_rules strict = rules;
	enum policyd_failure rep;

	(void)state;
	strict.testing_enforce = 1;
	apply(e, POLICYD_TXT_NONE, NULL, NULL, 0, 0, &rules);
	assert_string_equal(answer(e, 1, &rules, &rep), "NOTFOUND ");
	assert_int_equal(rep, POLICYD_FAIL_NONE);
	assert_int_equal(policyd_entry_need(e, 49, &rules), POLICYD_NEED_NOTHING);
	assert_int_equal(policyd_entry_need(e, 50, &rules), POLICYD_NEED_WAIT);
	apply(e, POLICYD_TXT_OK, "1", "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 99\n", 0, 60,
	    &rules);
	assert_string_equal(answer(e, 61, &rules, &rep), "NOTFOUND ");
	apply(e, POLICYD_TXT_OK, "2", "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 99\n", 0,
	    70, &strict);
	assert_non_null(strstr(answer(e, 71, &strict, &rep), "OK secure match=mx.example.com "));
	/* a fetched mode none replaces the cached policy at once */
	apply(e, POLICYD_TXT_OK, "3", "version: STSv1\nmode: none\nmax_age: 99\n", 0, 80, &strict);
	assert_string_equal(answer(e, 81, &strict, &rep), "NOTFOUND ");
	policyd_entry_free(&e);
}

static void
test_entry_dane_first(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");
	struct policyd_rules dane = rules;
	struct policyd_result res;

	(void)state;
	dane.dane_first = 1;
	apply(e, POLICYD_TXT_OK, "1", ENFORCE, 0, 0, &rules);
	/* never checked for DANE: resolve first */
	assert_int_equal(policyd_entry_need(e, 1, &dane), POLICYD_NEED_WAIT);
	memset(&res, 0, sizeof(res));
	res.txt = POLICYD_TXT_OK;
	res.dane_checked = 1;
	res.dane = POLICYD_DANE_ALL;
	res.dane_ttl = 30;
	policyd_entry_apply(e, &res, 1, &dane);
	assert_string_equal(answer(e, 2, &dane, NULL), "OK dane");
	assert_int_equal(policyd_entry_need(e, 31, &dane), POLICYD_NEED_BACKGROUND);
	/* TLSA on some MX hosts only: the enforced MTA-STS policy covers all */
	e->dane = POLICYD_DANE_SOME;
	assert_non_null(strstr(answer(e, 2, &dane, NULL), "OK secure"));
	/* ... and without one, dane */
	e->state = POLICYD_NOPOLICY;
	e->negative_until = 100;
	assert_string_equal(answer(e, 2, &dane, NULL), "OK dane");
	/* a TLSA lookup failure on a signed MX set: dane, Postfix decides */
	e->dane = POLICYD_DANE_TEMP;
	assert_string_equal(answer(e, 2, &dane, NULL), "OK dane");
	e->dane = POLICYD_DANE_NO;
	assert_string_equal(answer(e, 2, &dane, NULL), "NOTFOUND ");
	policyd_entry_free(&e);
}

static void
test_entry_install_from_store_and_max_age_cap(void **state)
{
	struct policyd_entry *e = policyd_entry_new("example.com");

	(void)state;
	/* expired in the store: not used */
	assert_int_equal(policyd_entry_install(e, "1", ENFORCE, 0, 1000, 1000, &rules), 0);
	assert_int_equal(policyd_entry_install(e, "1", ENFORCE, 0, 1000, 500, &rules), 1);
	assert_int_equal(e->expires, 1000);
	assert_int_equal(policyd_entry_need(e, 500, &rules), POLICYD_NEED_BACKGROUND);  /* id check */
	/* an older stored copy does not replace a newer one */
	assert_int_equal(policyd_entry_install(e, "0", ENFORCE, -10, 990, 500, &rules), 0);
	assert_int_equal(policyd_entry_install(e, "1", "garbage", 10, 990, 500, &rules), -1);
	/* max_age over a year is capped (RFC 8461 §3.2), not refused */
	apply(e, POLICYD_TXT_OK, "2",
	    "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 9999999999\n", 0, 600, &rules);
	assert_int_equal(e->expires, 600 + STS_POLICY_MAX_AGE);
	policyd_entry_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_fresh_policy_is_served_until_max_age_and_checked_every_interval),
		cmocka_unit_test(test_entry_id_change_refetches_and_a_failed_refetch_keeps_the_cached_policy),
		cmocka_unit_test(test_entry_refreshes_proactively_in_the_last_quarter_and_not_after_a_failure),
		cmocka_unit_test(test_entry_failed_fetch_without_cache_delivers_and_reports),
		cmocka_unit_test(test_entry_no_record_testing_and_none_are_notfound_without_report),
		cmocka_unit_test(test_entry_dane_first),
		cmocka_unit_test(test_entry_install_from_store_and_max_age_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
