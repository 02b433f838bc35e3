/* Unit tests for store/store_views over periods that are not whole days
 * (an API client's since=30d): totals, days, organizations and every
 * failure view read their whole days from the roll-ups and the part of a
 * day at each end from the report rows, and give what the report rows
 * alone give, on SQLite and PostgreSQL. */
#include "unit/store/rollup_test.h"

/* ---- periods that are not whole days ---- */

/* The same from the report rows (the definition: a report counts once over
 * all its domains through first_domain), for [since, until) (0: open). */
static char *
rows_text(struct store *s, int64_t since, int64_t until, const char *key)
{
	char *sql = xasprintf("SELECT %s, SUM(first_domain), SUM(success), SUM(failure),"
			      " MIN(start_time), MAX(received) FROM report_domains"
			      " WHERE (start_time >= %lld OR %lld = 0) AND (start_time < %lld"
			      " OR %lld = 0) GROUP BY 1, 2", key, (long long)since,
			      (long long)since, (long long)until, (long long)until);

	return sql_rows_text(s, sql, 2, 5);
}

/* The failure views compared in test_mid_day_periods(): which store view,
 * and the same from the report rows (the definition). */
enum fail_view { FV_GROUPS, FV_COUNT, FV_DAYS, FV_IP, FV_REPORTER, FV_CODE };

#define FV_FROM " FROM reports r JOIN report_policies p ON p.report = r.id" \
	" JOIN report_failures f ON f.policy = p.id WHERE (r.start_time >= $1 OR $1 = 0)" \
	" AND (r.start_time < $2 OR $2 = 0) AND (CAST($3 AS TEXT) IS NULL OR p.domain_key = $3)"
#define FV_KEYS "p.domain_key, COALESCE(f.result_type, ''), COALESCE(f.receiving_mx_hostname, '')"
#define FV_VALUE(v) "SELECT DISTINCT " FV_KEYS ", " v FV_FROM " AND COALESCE(" v ", '') <> ''"

static const char *const fail_view_sql[] = {
	[FV_GROUPS] = "SELECT " FV_KEYS ", SUM(f.failed_session_count), COUNT(DISTINCT r.id),"
		" MIN(r.start_time), MAX(r.end_time), MIN(NULLIF(f.additional_information, ''))"
		FV_FROM " GROUP BY 1, 2, 3",
	[FV_COUNT] = "SELECT COUNT(*) FROM (SELECT 1" FV_FROM " GROUP BY " FV_KEYS ") c",
	[FV_DAYS] = "SELECT r.start_time / 86400, COALESCE(f.result_type, ''),"
		" SUM(f.failed_session_count)" FV_FROM " GROUP BY 1, 2",
	[FV_IP] = FV_VALUE("f.sending_mta_ip"),
	[FV_REPORTER] = FV_VALUE("r.organization"),
	[FV_CODE] = FV_VALUE("f.failure_reason_code"),
};

/* What the store's failure view v gives for q, as sorted text. */
static char *
failures_text(struct store *s, const struct report_query *q, enum fail_view v)
{
	static const enum store_view_value values[] = {
		[FV_IP] = STORE_VIEW_SENDING_IP, [FV_REPORTER] = STORE_VIEW_REPORTER,
		[FV_CODE] = STORE_VIEW_REASON_CODE,
	};
	struct buf b, part;
	struct err err;
	uint64_t n = 0;
	int rc;

	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	if (v == FV_GROUPS)
		rc = store_view_failures(s, q, on_failure_text, &part, &err);
	else if (v == FV_COUNT)
		rc = store_view_failure_count(s, q, &n, &err);
	else if (v == FV_DAYS)
		rc = store_view_failure_days(s, q, on_failure_text, &part, &err);
	else
		rc = store_view_failure_values(s, q, values[v], on_failure_text, &part, &err);
	if (rc != 0)
		fail_msg("failure view %d: %s", (int)v, err.msg);
	if (v == FV_COUNT)
		buf_printf(&part, "%llu\n", (unsigned long long)n);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* The same from the report rows, in on_failure_text()'s form (domain: a
 * domain key, or NULL for all). */
static char *
failure_rows_text(struct store *s, int64_t since, int64_t until, const char *domain,
		  enum fail_view v)
{
	const char *sql = fail_view_sql[v];
	struct buf b, part;
	struct err err;
	struct db_stmt *st = db_prepare(s->db, sql, &err);
	int rc;

	if (st == NULL)
		fail_msg("%s: %s", sql, err.msg);
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, domain);
	buf_init(&b, 1u << 20);
	buf_init(&part, 1u << 20);
	while ((rc = db_step(st, &err)) == 1) {
		struct store_view_failure f = { .domain = "", .mx = "" };

		if (v == FV_COUNT) {
			buf_printf(&part, "%lld\n", (long long)db_column_int64(st, 0));
			continue;
		}
		if (v == FV_DAYS) {
			f.first_seen = db_column_int64(st, 0);
			f.result_type = db_column_text(st, 1);
			f.sessions = (uint64_t)db_column_int64(st, 2);
		} else {
			f.domain = db_column_text(st, 0);
			f.result_type = db_column_text(st, 1);
			f.mx = db_column_text(st, 2);
		}
		if (v == FV_GROUPS) {
			f.sessions = (uint64_t)db_column_int64(st, 3);
			f.reports = (uint64_t)db_column_int64(st, 4);
			f.first_seen = db_column_int64(st, 5);
			f.last_seen = db_column_int64(st, 6);
			f.additional_information = db_column_text(st, 7);
		} else if (v != FV_DAYS) {
			f.additional_information = db_column_text(st, 3);
		}
		on_failure_text(&part, &f);
	}
	db_reset(st);
	assert_int_equal(rc, 0);
	append_sorted(&b, &part);
	return buf_steal(&b, NULL);
}

/* Totals, days and organizations of every domain over a period that is not
 * whole days (whole days from rollup_days, the ends from report rows)
 * equal the report rows, and so do the failure views, over every domain
 * and one (whole days from rollup_failures / rollup_failure_values, the
 * ends from failure details).  Reports start at 00:00 or 01:00 (make()). */
static void
test_mid_day_periods(void **state)
{
	static const struct {
		int64_t since, until;   /* seconds from DAY0 00:00; -1: open */
	} periods[] = {
		{ 1800, -1 },                   /* mid-day since, open end */
		{ -1, 4 * 86400 + 1800 },       /* open start, mid-day until */
		{ 1800, 4 * 86400 + 1800 },     /* both mid-day */
		{ 1800, 7200 },                 /* within one day */
		{ 2 * 86400 + 3600, 2 * 86400 + 3601 },  /* one second */
		{ 86400 + 7200, 2 * 86400 },    /* mid-day to a whole day */
		{ 86400, 3 * 86400 },           /* whole days (the day path) */
		{ 3 * 86400 + 1, 3 * 86400 + 2 },  /* nothing */
	};
	static const struct {
		enum store_view_by by;
		const char *key;        /* the same keys over report_domains */
	} views[] = {
		{ STORE_VIEW_TOTAL, "'-', '-'" },
		{ STORE_VIEW_DAY, "CAST(start_time / 86400 AS TEXT), '-'" },
		{ STORE_VIEW_ORG, "organization, '-'" },
	};
	struct store_fixture *f = *state;
	int i, failure_lines = 0;

	for (i = 0; i < 40; i++)
		put(f->s, make(i, 0), (int64_t)(DAY0 + 7) * 86400 + i, 1);
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++) {
		int64_t since = periods[p].since < 0 ? 0 : (int64_t)DAY0 * 86400 + periods[p].since;
		int64_t until = periods[p].until < 0 ? 0 : (int64_t)DAY0 * 86400 + periods[p].until;
		struct report_query q = { .since = since, .until = until };

		for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
			char *got = groups_text(f->s, &q, views[v].by, on_row_text);
			char *want = rows_text(f->s, since, until, views[v].key);

			/* the total of nothing is one row of zeros */
			if (views[v].by == STORE_VIEW_TOTAL && want[0] == '\0') {
				free(want);
				want = xstrdup("-|-|0|0|0|0|0\n");
			}
			if (strcmp(got, want) != 0)
				fail_msg("period %zu view %d:\n%s\nwant:\n%s", p, (int)views[v].by,
					 got, want);
			free(got);
			free(want);
		}
		for (int v = FV_GROUPS; v <= FV_CODE * 2 + 1; v++) {
			/* every domain, then one */
			const char *domain = v > FV_CODE ? "d1.example" : NULL;
			struct report_query qd = { .since = since, .until = until, .domain = domain };
			enum fail_view fv = (enum fail_view)(v % (FV_CODE + 1));
			char *got = failures_text(f->s, &qd, fv);
			char *want = failure_rows_text(f->s, since, until, domain, fv);

			if (strcmp(got, want) != 0)
				fail_msg("period %zu failure view %d (%s):\n%s\nwant:\n%s", p, (int)fv,
					 domain != NULL ? domain : "every domain", got, want);
			failure_lines += fv == FV_GROUPS && want[0] != '\0';
			free(got);
			free(want);
		}
	}
	/* the comparison saw failure groups (make() gives them) */
	assert_true(failure_lines >= 5);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_mid_day_periods),
};

STORE_TEST_MAIN(tests)
