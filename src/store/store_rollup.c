/*
 * store_rollup: the roll-up tables of store_rollup.h and how they are kept
 * equal to the report rows.
 *
 * Storing a report adds to them with upserts (sums, counts, MIN/MAX done
 * by the database so text compares as it does in a plain MIN()), summed
 * per transaction first (store_rollup_batch.h): one upsert per row the
 * transaction touches, at COMMIT.
 * Deleting reports (prune) cannot subtract a MIN or a MAX: the rows a
 * deleted report touched are computed again from the remaining report
 * rows instead, which is cheap because each covers at most one day (days,
 * failures) or one 16-day block of one (domain, organization); a 256-day
 * row is then the sum of its sixteen 16-day rows, an all-time row (span
 * 0) the sum of its 256-day rows.
 */
#include "store/store_rollup.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup_batch.h"
#include "store/store_rollup_policies.h"
#include "store/store_rollup_private.h"
#include "util/xalloc.h"

const char store_rollup_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS rollup_days ("
	" day BIGINT NOT NULL, organization TEXT NOT NULL,"
	" reports BIGINT NOT NULL, success BIGINT NOT NULL, failure BIGINT NOT NULL,"
	" first_start BIGINT NOT NULL, last_received BIGINT NOT NULL,"
	" PRIMARY KEY (day, organization))@CLUSTERED@;"
	"CREATE TABLE IF NOT EXISTS rollup_domains ("
	" span INTEGER NOT NULL, block BIGINT NOT NULL, domain_key TEXT NOT NULL,"
	" organization TEXT NOT NULL,"
	" reports BIGINT NOT NULL, success BIGINT NOT NULL, failure BIGINT NOT NULL,"
	" first_start BIGINT NOT NULL, last_received BIGINT NOT NULL,"
	" PRIMARY KEY (span, block, domain_key, organization))@CLUSTERED@;"
	/* covering: a grouping of one domain reads index entries only (in
	 * SQLite the rows are in key order, @CLUSTERED@) */
	"CREATE INDEX IF NOT EXISTS rollup_domains_domain ON rollup_domains (domain_key, span,"
	" block, organization, reports, success, failure, first_start, last_received);"
	"CREATE TABLE IF NOT EXISTS rollup_failures ("
	" day BIGINT NOT NULL, digest BIGINT NOT NULL, domain_key TEXT NOT NULL,"
	" organization TEXT NOT NULL, result_type TEXT NOT NULL, mx TEXT NOT NULL,"
	" sessions BIGINT NOT NULL, reports BIGINT NOT NULL, first_start BIGINT NOT NULL,"
	" last_end BIGINT NOT NULL, additional_information TEXT,"
	" PRIMARY KEY (day, digest))@CLUSTERED@;"
	"CREATE INDEX IF NOT EXISTS rollup_failures_domain ON rollup_failures (domain_key, day);"
	"CREATE TABLE IF NOT EXISTS rollup_failure_values ("
	" day BIGINT NOT NULL, digest BIGINT NOT NULL, kind INTEGER NOT NULL,"
	" value_digest BIGINT NOT NULL, domain_key TEXT NOT NULL, organization TEXT NOT NULL,"
	" result_type TEXT NOT NULL, mx TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (day, digest, kind, value_digest))@CLUSTERED@;"
	"CREATE INDEX IF NOT EXISTS rollup_failure_values_domain ON rollup_failure_values"
	" (domain_key, day);"
	"CREATE TABLE IF NOT EXISTS rollup_day_types ("
	" day BIGINT NOT NULL, organization TEXT NOT NULL, type_digest BIGINT NOT NULL,"
	" result_type TEXT NOT NULL, sessions BIGINT NOT NULL,"
	" PRIMARY KEY (day, organization, type_digest))@CLUSTERED@;";

static const char sql_add_type[] =
	"INSERT INTO rollup_day_types AS t (day, organization, type_digest, result_type, sessions)"
	" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day, organization, type_digest) DO UPDATE SET"
	" sessions = " CLAMP_ADD("t.sessions", "excluded.sessions");

static const char sql_add_day[] =
	"INSERT INTO rollup_days AS t (day, organization, reports, success, failure,"
	" first_start, last_received) VALUES ($1, $2, $7, $3, $4, $5, $6)"
	" ON CONFLICT (day, organization) DO UPDATE SET" ROLLUP_ADD_SUMS;

static const char sql_add_domain[] =
	"INSERT INTO rollup_domains AS t (span, block, domain_key, organization, reports,"
	" success, failure, first_start, last_received) VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8)"
	" ON CONFLICT (span, block, domain_key, organization) DO UPDATE SET"
	ROLLUP_ADD_SUMS;

static const char sql_add_failure[] =
	"INSERT INTO rollup_failures AS t (day, digest, domain_key, organization, result_type,"
	" mx, sessions, reports, first_start, last_end, additional_information)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
	" ON CONFLICT (day, digest) DO UPDATE SET"
	" sessions = " CLAMP_ADD("t.sessions", "excluded.sessions") ","
	" reports = t.reports + excluded.reports,"
	" first_start = " LEAST("t.first_start", "excluded.first_start") ","
	" last_end = " GREATEST("t.last_end", "excluded.last_end") ","
	" additional_information = CASE WHEN t.additional_information IS NULL"
	" OR excluded.additional_information < t.additional_information"
	" THEN COALESCE(excluded.additional_information, t.additional_information)"
	" ELSE t.additional_information END";

static const char sql_add_value[] =
	"INSERT INTO rollup_failure_values (day, digest, kind, value_digest, domain_key,"
	" organization, result_type, mx, value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	" ON CONFLICT (day, digest, kind, value_digest) DO NOTHING";

int
store_rollup_block_index(struct store *s, struct err *err)
{
	if (db_dialect(s->db) != DB_DIALECT_PG)
		return 0;
	return db_exec(s->db, "CREATE INDEX IF NOT EXISTS rollup_domains_block ON rollup_domains"
		       " (span, block) INCLUDE (domain_key, organization, reports, success,"
		       " failure, first_start, last_received)", err);
}

int64_t
store_rollup_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((86399 - t) / 86400);
}

static int64_t
floor_div(int64_t x, int64_t n)
{
	return x >= 0 ? x / n : -((n - 1 - x) / n);
}

static uint64_t
clamp_add(uint64_t a, uint64_t b)
{
	const uint64_t max = 9007199254740991u;

	return a >= max || b >= max - a ? max : a + b;
}

const char *
store_rollup_nz(const char *s)
{
	return s != NULL ? s : "";
}

/* The digest that keys a failure group of one day. */
int64_t
store_rollup_group_digest(const char *domain, const char *org, const char *type,
			  const char *mx)
{
	char *k = xasprintf("%s\x1f%s\x1f%s\x1f%s", domain, org, type, mx);
	int64_t d = store_digest64(k, strlen(k));

	free(k);
	return d;
}

int
store_rollup_run(struct db_stmt *st, struct err *err)
{
	return db_run(st, err);
}

int
store_rollup_add_day(struct store *s, int64_t day, const char *org, uint64_t reports,
		     uint64_t ok, uint64_t bad, int64_t start, int64_t received, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_day, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, day);
	db_bind_text(st, 2, org);
	db_bind_int64(st, 3, (int64_t)ok);
	db_bind_int64(st, 4, (int64_t)bad);
	db_bind_int64(st, 5, start);
	db_bind_int64(st, 6, received);
	db_bind_int64(st, 7, (int64_t)reports);
	return store_rollup_run(st, err);
}

int
store_rollup_add_domain(struct store *s, int span, int64_t day, const char *key,
			const char *org, uint64_t reports, uint64_t ok, uint64_t bad,
			int64_t start, int64_t received, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_domain, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, span);
	db_bind_int64(st, 2, span != STORE_ROLLUP_SPAN_ALL ? floor_div(day, span) : 0);
	db_bind_text(st, 3, key);
	db_bind_text(st, 4, org);
	db_bind_int64(st, 5, (int64_t)ok);
	db_bind_int64(st, 6, (int64_t)bad);
	db_bind_int64(st, 7, start);
	db_bind_int64(st, 8, received);
	db_bind_int64(st, 9, (int64_t)reports);
	return store_rollup_run(st, err);
}

int
store_rollup_add_failure(struct store *s, const struct failure_add *a, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_failure, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_int64(st, 2, a->digest);
	db_bind_text(st, 3, a->domain);
	db_bind_text(st, 4, a->org);
	db_bind_text(st, 5, a->type);
	db_bind_text(st, 6, a->mx);
	db_bind_int64(st, 7, (int64_t)a->sessions);
	db_bind_int64(st, 8, (int64_t)a->reports);
	db_bind_int64(st, 9, a->first_start);
	db_bind_int64(st, 10, a->last_end);
	db_bind_text(st, 11, a->info != NULL && *a->info != '\0' ? a->info : NULL);
	return store_rollup_run(st, err);
}

/* Adds a->sessions to (a->day, a->org, a->type) of rollup_day_types. */
int
store_rollup_add_type(struct store *s, const struct failure_add *a, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_add_type, err);

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_text(st, 2, a->org);
	db_bind_int64(st, 3, store_digest64(a->type, strlen(a->type)));
	db_bind_text(st, 4, a->type);
	db_bind_int64(st, 5, (int64_t)a->sessions);
	return store_rollup_run(st, err);
}

int
store_rollup_add_value(struct store *s, const struct failure_add *a, int kind,
		       const char *value, struct err *err)
{
	struct db_stmt *st;

	if (value == NULL || *value == '\0')
		return 0;
	if ((st = db_prepare(s->db, sql_add_value, err)) == NULL)
		return -1;
	db_bind_int64(st, 1, a->day);
	db_bind_int64(st, 2, a->digest);
	db_bind_int64(st, 3, kind);
	db_bind_int64(st, 4, store_digest64(value, strlen(value)));
	db_bind_text(st, 5, a->domain);
	db_bind_text(st, 6, a->org);
	db_bind_text(st, 7, a->type);
	db_bind_text(st, 8, a->mx);
	db_bind_text(st, 9, value);
	return store_rollup_run(st, err);
}

/* Whether failure detail (pi, fi) of r is the first of its group (domain
 * key, result type, MX) in r: the report counts once per group. */
static int
first_of_group(const struct report *r, char *const *keys, size_t pi, size_t fi)
{
	const struct failure_detail *f = &r->policies[pi].failure_details[fi];

	for (size_t i = 0; i <= pi; i++) {
		const struct policy *p = &r->policies[i];

		if (strcmp(keys[i], keys[pi]) != 0)
			continue;
		for (size_t k = 0; k < (i == pi ? fi : p->n_failure_details); k++) {
			const struct failure_detail *g = &p->failure_details[k];

			if (strcmp(store_rollup_nz(g->result_type),
				   store_rollup_nz(f->result_type)) == 0 &&
			    strcmp(store_rollup_nz(g->receiving_mx_hostname),
				   store_rollup_nz(f->receiving_mx_hostname)) == 0)
				return 0;
		}
	}
	return 1;
}

static void
put_failures(struct rollup_batch *b, const struct report *r, char *const *keys, int64_t day,
	     const char *org)
{
	for (size_t i = 0; i < r->n_policies; i++) {
		const struct policy *p = &r->policies[i];

		for (size_t k = 0; k < p->n_failure_details; k++) {
			const struct failure_detail *f = &p->failure_details[k];
			struct failure_add a = {
				.day = day, .domain = keys[i], .org = org,
				.type = store_rollup_nz(f->result_type), .mx = store_rollup_nz(f->receiving_mx_hostname),
				.sessions = clamp_add(f->failed_session_count, 0),
				.reports = (uint64_t)first_of_group(r, keys, i, k),
				.first_start = r->start, .last_end = r->end,
				.info = f->additional_information,
			};

			a.digest = rollup_batch_failure(b, &a);
			rollup_batch_type(b, &a);
			rollup_batch_value(b, &a, VALUE_SENDING_IP, f->sending_mta_ip);
			rollup_batch_value(b, &a, VALUE_REASON_CODE, f->failure_reason_code);
			rollup_batch_totals(b, &a, f->sending_mta_ip, f->failure_reason_code);
		}
	}
}

void
store_rollup_put_report(struct store *s, const struct report *r, char *const *keys,
			char *const *strings, int64_t received)
{
	const char *org = store_rollup_nz(r->organization_name);
	int64_t day = store_rollup_day(r->start);
	uint64_t ok = 0, bad = 0;
	struct rollup_batch *b;
	size_t i, k;

	if (r->n_policies == 0)
		return;         /* in no view (report_domains has no row for it) */
	if (s->rollup_batch == NULL)
		s->rollup_batch = rollup_batch_new();
	b = s->rollup_batch;
	for (i = 0; i < r->n_policies; i++) {
		ok = clamp_add(ok, r->policies[i].total_successful_session_count);
		bad = clamp_add(bad, r->policies[i].total_failure_session_count);
	}
	rollup_batch_day(b, day, org, 1, ok, bad, r->start, received);
	/* per domain key: its policies' sums, added once per key */
	for (i = 0; i < r->n_policies; i++) {
		uint64_t dok = 0, dbad = 0;

		for (k = 0; k < i && strcmp(keys[k], keys[i]) != 0; k++)
			;
		if (k < i)
			continue;       /* added with its first policy */
		for (k = i; k < r->n_policies; k++)
			if (strcmp(keys[k], keys[i]) == 0) {
				dok = clamp_add(dok, r->policies[k].total_successful_session_count);
				dbad = clamp_add(dbad, r->policies[k].total_failure_session_count);
			}
		rollup_batch_domain(b, STORE_ROLLUP_SPAN1, day, keys[i], org, 1, dok, dbad,
				    r->start, received);
		rollup_batch_domain(b, STORE_ROLLUP_SPAN2, day, keys[i], org, 1, dok, dbad,
				    r->start, received);
		rollup_batch_domain(b, STORE_ROLLUP_SPAN_ALL, day, keys[i], org, 1, dok, dbad,
				    r->start, received);
		rollup_batch_reporter(b, keys[i], org, day);
	}
	put_failures(b, r, keys, day, org);
	store_rollup_policies_put(b, r, keys, strings, org, day, received);
}

