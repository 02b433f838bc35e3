/* Unit tests for store/store_outbox on SQLite and (TLSRPT_TEST_PG_URL)
 * PostgreSQL: a report is queued once, a delivery is claimed once (SCHED-02),
 * retries come due at next_try, lookups wait, suppression (SCHED-03). */
#include "store_test.h"

#include "model/strlist.h"
#include "store/store_outbox.h"

#define NOW 1795309200LL

static void
add(struct store *s, const char *id, const char *pd, const struct strlist *dests, int want)
{
	struct err err;

	assert_int_equal(store_outbox_add(s, id, 20778, pd, "{\"x\":1}", dests, NOW, NOW + 300,
					  &err), want);
}

static void
test_outbox_report_is_queued_once_with_one_delivery_per_destination(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;
	char *json;

	strlist_add(&d, "mailto:a@example.com");
	strlist_add(&d, "https://r.example.com/x");
	add(f->s, "20261121.example.com.1@s.example", "example.com", &d, 1);
	add(f->s, "20261121.example.com.1@s.example", "example.com", &d, 0);
	assert_int_equal(store_outbox_count(f->s, NULL, NULL, &err), 2);
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].report_id, "20261121.example.com.1@s.example");
	assert_string_equal(it[0].policy_domain, "example.com");
	assert_int_equal(it[0].day, 20778);
	assert_int_equal(it[0].attempts, 0);
	store_outbox_items_free(it, n);
	json = store_outbox_json(f->s, "20261121.example.com.1@s.example", &err);
	assert_string_equal(json, "{\"x\":1}");
	free(json);
	assert_null(store_outbox_json(f->s, "nope", &err));
	strlist_clear(&d);
}

/* store_outbox_due(): oldest next_try first, at most max items. */
static void
test_outbox_due_gives_oldest_first_and_at_most_max(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	size_t n;
	int64_t first_id;
	struct err err;

	strlist_add(&d, "mailto:a@example.com");
	add(f->s, "r1@s.example", "one.example", &d, 1);
	add(f->s, "r2@s.example", "two.example", &d, 1);
	/* r1 (added first) is retried later than r2 */
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	first_id = strcmp(it[0].report_id, "r1@s.example") == 0 ? it[0].id : it[1].id;
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_claim(f->s, first_id, NOW, &err), 1);
	assert_int_equal(store_outbox_finish(f->s, first_id, "pending", NOW + 600, "HTTP 503", &err), 1);
	assert_int_equal(store_outbox_due(f->s, NOW + 600, 10, &it, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].report_id, "r2@s.example");
	assert_string_equal(it[1].report_id, "r1@s.example");
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_due(f->s, NOW + 600, 1, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].report_id, "r2@s.example");
	store_outbox_items_free(it, n);
	strlist_clear(&d);
}

static void
test_outbox_claim_succeeds_once_and_retry_comes_due_later(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	size_t n;
	int64_t when;
	struct err err;

	strlist_add(&d, "mailto:a@example.com");
	add(f->s, "r1@s.example", "example.com", &d, 1);
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_outbox_claim(f->s, it[0].id, NOW, &err), 1);
	assert_int_equal(store_outbox_claim(f->s, it[0].id, NOW, &err), 0);
	assert_int_equal(store_outbox_count(f->s, "r1@s.example", "sending", &err), 1);
	assert_int_equal(store_outbox_finish(f->s, it[0].id, "pending", NOW + 300, "HTTP 503",
					     &err), 1);
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_due(f->s, NOW + 299, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_next_due(f->s, &when, &err), 1);
	assert_int_equal(when, NOW + 300);
	assert_int_equal(store_outbox_due(f->s, NOW + 300, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].attempts, 1);
	assert_int_equal(it[0].first_try, NOW);
	assert_int_equal(store_outbox_claim(f->s, it[0].id, NOW + 300, &err), 1);
	assert_int_equal(store_outbox_finish(f->s, it[0].id, "sent", NOW + 300, NULL, &err), 1);
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_next_due(f->s, &when, &err), 0);
	strlist_clear(&d);
}

static void
test_outbox_deferred_lookup_gets_destinations_later(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;

	add(f->s, "r2@s.example", "sf.example", NULL, 1);
	assert_int_equal(store_outbox_count(f->s, "r2@s.example", NULL, &err), 0);
	assert_int_equal(store_outbox_lookups_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_lookups_due(f->s, NOW + 300, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].policy_domain, "sf.example");
	assert_null(it[0].destination);
	store_outbox_items_free(it, n);
	strlist_add(&d, "mailto:b@sf.example");
	assert_int_equal(store_outbox_set_lookup(f->s, "r2@s.example", &d, NOW + 300, 0, NULL,
						 &err), 0);
	assert_int_equal(store_outbox_lookups_due(f->s, NOW + 9999, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_count(f->s, "r2@s.example", "pending", &err), 1);
	strlist_clear(&d);
}

static void
test_outbox_suppressed_destination_gets_no_delivery_until_expiry(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct err err;

	strlist_add(&d, "mailto:quiet@example.com");
	strlist_add(&d, "mailto:loud@example.com");
	assert_int_equal(store_outbox_suppress(f->s, "mailto:quiet@example.com", NOW + 86400,
					       "bounces", &err), 0);
	add(f->s, "r3@s.example", "example.com", &d, 1);
	assert_int_equal(store_outbox_count(f->s, "r3@s.example", "suppressed", &err), 1);
	assert_int_equal(store_outbox_count(f->s, "r3@s.example", "pending", &err), 1);
	/* after the expiry it is sent again */
	assert_int_equal(store_outbox_suppress(f->s, "mailto:quiet@example.com", NOW - 1, NULL,
					       &err), 0);
	add(f->s, "r4@s.example", "example.com", &d, 1);
	assert_int_equal(store_outbox_count(f->s, "r4@s.example", "pending", &err), 2);
	strlist_clear(&d);
}

static void
test_outbox_prune_keeps_unfinished_reports(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	size_t n;
	struct err err;

	strlist_add(&d, "mailto:a@example.com");
	add(f->s, "done@s.example", "example.com", &d, 1);
	add(f->s, "open@s.example", "example.net", &d, 1);
	add(f->s, "wait@s.example", "sf.example", NULL, 1);
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(it[i].report_id, "done@s.example") == 0) {
			assert_int_equal(store_outbox_claim(f->s, it[i].id, NOW, &err), 1);
			assert_int_equal(store_outbox_finish(f->s, it[i].id, "sent", NOW, NULL, &err), 1);
		}
	store_outbox_items_free(it, n);
	assert_int_equal(store_outbox_prune(f->s, NOW, &err), 0);        /* none older */
	assert_int_equal(store_outbox_prune(f->s, NOW + 1, &err), 1);
	assert_int_equal(store_outbox_count(f->s, "done@s.example", NULL, &err), 0);
	assert_int_equal(store_outbox_count(f->s, "open@s.example", NULL, &err), 1);
	add(f->s, "done@s.example", "example.com", &d, 1);                /* gone */
	strlist_clear(&d);
}

/* A claim whose attempt never ends (the process died): after the lease it
 * is interrupted, not due; requeued it is due again, once. */
static void
test_outbox_interrupted_delivery_is_found_after_the_lease_and_requeued(void **state)
{
	struct store_fixture *f = *state;
	struct strlist d = { 0 };
	struct outbox_item *it;
	int64_t id;
	size_t n;
	struct err err;

	strlist_add(&d, "mailto:a@example.com");
	add(f->s, "r9@s.example", "example.com", &d, 1);
	assert_int_equal(store_outbox_due(f->s, NOW, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	id = it[0].id;
	assert_int_equal(store_outbox_claim(f->s, id, NOW, &err), 1);
	store_outbox_items_free(it, n);
	/* in flight: within the lease it is neither interrupted nor due */
	assert_int_equal(store_outbox_interrupted(f->s, NOW + STORE_OUTBOX_LEASE - 1, 0, &err), 0);
	assert_int_equal(store_outbox_interrupted(f->s, NOW + STORE_OUTBOX_LEASE + 1, 0, &err), 1);
	assert_int_equal(store_outbox_due(f->s, NOW + 2 * STORE_OUTBOX_LEASE, 10, &it, &n, &err), 0);
	assert_int_equal(n, 0);
	/* counting changes nothing; requeueing makes it pending and due */
	assert_int_equal(store_outbox_count(f->s, "r9@s.example", "sending", &err), 1);
	assert_int_equal(store_outbox_interrupted(f->s, NOW + STORE_OUTBOX_LEASE + 1, 1, &err), 1);
	assert_int_equal(store_outbox_count(f->s, "r9@s.example", "pending", &err), 1);
	/* the old attempt ending late changes nothing: the requeued one wins */
	assert_int_equal(store_outbox_finish(f->s, id, "failed", 0, "late", &err), 0);
	assert_int_equal(store_outbox_count(f->s, "r9@s.example", "pending", &err), 1);
	assert_int_equal(store_outbox_interrupted(f->s, NOW + STORE_OUTBOX_LEASE + 1, 1, &err), 0);
	assert_int_equal(store_outbox_due(f->s, NOW + STORE_OUTBOX_LEASE + 1, 10, &it, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].attempts, 1);
	store_outbox_items_free(it, n);
	strlist_clear(&d);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_outbox_prune_keeps_unfinished_reports),
	STORE_TEST(test_outbox_report_is_queued_once_with_one_delivery_per_destination),
	STORE_TEST(test_outbox_due_gives_oldest_first_and_at_most_max),
	STORE_TEST(test_outbox_claim_succeeds_once_and_retry_comes_due_later),
	STORE_TEST(test_outbox_deferred_lookup_gets_destinations_later),
	STORE_TEST(test_outbox_suppressed_destination_gets_no_delivery_until_expiry),
	STORE_TEST(test_outbox_interrupted_delivery_is_found_after_the_lease_and_requeued),
};

STORE_TEST_MAIN(tests)
