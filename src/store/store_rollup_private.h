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
/* floor(x / n) for n > 0 in both dialects (their "/" truncates) */
#define FLOOR_DIV(x, n) "(CASE WHEN " x " >= 0 THEN " x " / " n \
	" ELSE -((" n " - 1 - " x ") / " n ") END)"
#define DAY_OF(t) FLOOR_DIV(t, "86400")

/* what rollup_failure_values.kind says */
enum { VALUE_SENDING_IP = 0, VALUE_REASON_CODE = 2 };

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

#endif
