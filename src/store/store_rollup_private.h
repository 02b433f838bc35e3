/*
 * store_rollup_private: what store_rollup.c (adding reports) shares with
 * store_rollup_rebuild.c (recomputing).  Never include from outside
 * src/store/.
 */
#ifndef TLSRPT_STORE_STORE_ROLLUP_PRIVATE_H
#define TLSRPT_STORE_STORE_ROLLUP_PRIVATE_H

#include <stdint.h>

#include "store/db.h"
#include "store/store.h"
#include "util/err.h"

/* 2^53-1: where every session sum stops (util/count.h) */
#define MAX_COUNT "9007199254740991"
#define CLAMP_ADD(a, b) "(CASE WHEN " a " + " b " >= " MAX_COUNT " THEN " MAX_COUNT \
	" ELSE " a " + " b " END)"
#define LEAST(a, b) "(CASE WHEN " b " < " a " THEN " b " ELSE " a " END)"
#define GREATEST(a, b) "(CASE WHEN " b " > " a " THEN " b " ELSE " a " END)"
/* The SET list of an upsert into t of a roll-up row with the columns
 * reports, success, failure, first_start and last_received: the counts
 * added (sessions capped), the earliest start and latest receipt kept. */
#define ROLLUP_ADD_SUMS \
	" reports = t.reports + excluded.reports," \
	" success = " CLAMP_ADD("t.success", "excluded.success") "," \
	" failure = " CLAMP_ADD("t.failure", "excluded.failure") "," \
	" first_start = " LEAST("t.first_start", "excluded.first_start") "," \
	" last_received = " GREATEST("t.last_received", "excluded.last_received")
/* floor(x / n) for n > 0 in both dialects (their "/" truncates) */
#define FLOOR_DIV(x, n) "(CASE WHEN " x " >= 0 THEN " x " / " n \
	" ELSE -((" n " - 1 - " x ") / " n ") END)"
#define DAY_OF(t) FLOOR_DIV(t, "86400")

/* what rollup_failure_values.kind and rollup_failure_group_values.kind
 * say (organizations only in the latter: the day rows have them as a key) */
enum { VALUE_SENDING_IP = 0, VALUE_REPORTER = 1, VALUE_REASON_CODE = 2 };

/* One failure group row (or part of one) and its values. */
struct failure_add {
	int64_t day, digest;
	const char *domain, *org, *type, *mx;
	uint64_t sessions, reports;
	int64_t first_start, last_end;
	const char *info;       /* NULL: none */
};

/* s, or "" for NULL. */
const char *store_rollup_nz(const char *s);

/* Steps st once and resets it.  Returns 0 or -1 (err set). */
int store_rollup_run(struct db_stmt *st, struct err *err);

/* The digest that keys a failure group of one day. */
int64_t store_rollup_group_digest(const char *domain, const char *org, const char *type,
				  const char *mx);

/* Adds reports, ok and bad to the (day, org) row of rollup_days, and to
 * the (span, block of day, key, org) row of rollup_domains; start and
 * received join the row's MIN / MAX.  Return 0 or -1. */
int store_rollup_add_day(struct store *s, int64_t day, const char *org, uint64_t reports,
			 uint64_t ok, uint64_t bad, int64_t start, int64_t received,
			 struct err *err);
int store_rollup_add_domain(struct store *s, int span, int64_t day, const char *key,
			    const char *org, uint64_t reports, uint64_t ok, uint64_t bad,
			    int64_t start, int64_t received, struct err *err);

/* Adds a to rollup_failures / to rollup_day_types.  Return 0 or -1. */
int store_rollup_add_failure(struct store *s, const struct failure_add *a, struct err *err);
int store_rollup_add_type(struct store *s, const struct failure_add *a, struct err *err);

/* Adds value (of kind VALUE_*; nothing when empty) to a's group in
 * rollup_failure_values.  Returns 0 or -1. */
int store_rollup_add_value(struct store *s, const struct failure_add *a, int kind,
			   const char *value, struct err *err);

/* ---- the all-time level (store_rollup_totals.c) ---- */

/* Adds a (one failure detail of a report being stored) to its all-time
 * group, with its sending-mta-ip, a->org and failure-reason-code as
 * values.  Returns 0 or -1. */
int store_rollup_totals_add_failure(struct store *s, const struct failure_add *a,
				    const char *sending_ip, const char *reason_code,
				    struct err *err);

/* Computes the all-time group (domain, type, MX) again from the day rows
 * (after prune recomputed those).  Returns 0 or -1. */
int store_rollup_totals_refresh_group(struct store *s, const char *domain, const char *type,
				      const char *mx, struct err *err);

/* The distinct (domain key, result-type, MX) named by the failure
 * details of the reports that reports_sql (a parenthesised SELECT of ids
 * with $1 and $2, bound to before and batch) selects. */
struct rollup_group_list;
struct rollup_group_list *store_rollup_totals_groups_named(struct store *s,
							   const char *reports_sql,
							   int64_t before, size_t batch,
							   struct err *err);

/* store_rollup_totals_refresh_group() for each group of l. */
int store_rollup_totals_refresh_groups(struct store *s, const struct rollup_group_list *l,
				       struct err *err);

void store_rollup_group_list_free(struct rollup_group_list *l);

/* The span 0 row of one (domain $2, organization $3) deleted / computed
 * again from its 256-day rows; $1 is bound (a block) but not used. */
extern const char store_rollup_totals_domain_delete_sql[];
extern const char store_rollup_totals_domain_fill_sql[];

#endif
