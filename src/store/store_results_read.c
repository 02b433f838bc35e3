/*
 * store_results_read: the reading side of store_results.h: one day's
 * aggregated policies (with their failure details) for the reporter, the
 * days that still hold results, and deleting a day once it is reported.
 * Counters still waiting in result_deltas are folded in before reading.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_results.h"
#include "util/xalloc.h"

static void
split(struct strlist *l, const char *s)
{
	const char *nl;

	if (s == NULL || *s == '\0')
		return;
	while ((nl = strchr(s, '\n')) != NULL) {
		strlist_add_owned(l, xstrndup(s, (size_t)(nl - s)));
		s = nl + 1;
	}
	strlist_add(l, s);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* One policy row as read, before its failures are added. */
struct row {
	int64_t key;
	char *domain;
	char *record;
	struct policy p;
};

static void
row_clear(struct row *r)
{
	free(r->domain);
	free(r->record);
	policy_clear(&r->p);
}

static int
cmp_row_key(const void *pa, const void *pb)
{
	const struct row *a = *(const struct row *const *)pa, *b = *(const struct row *const *)pb;

	return a->key < b->key ? -1 : a->key > b->key;
}

/* Domains handed to the callback per round: bounds the memory a day of
 * millions of policies needs (each round reads only its domains' rows). */
#define DOMAINS_PER_ROUND "1000"

/* Adds the failure rows of `day` whose policy domain lies in [lo, hi] to
 * their policies (rows, n). */
static int
read_failures(struct store *s, int64_t day, const char *lo, const char *hi, struct row *rows,
	      size_t n, struct err *err)
{
	struct row **by_key = xreallocarray(NULL, n + 1, sizeof(*by_key));
	struct db_stmt *st;
	int rc = -1;

	for (size_t i = 0; i < n; i++)
		by_key[i] = &rows[i];
	qsort(by_key, n, sizeof(*by_key), cmp_row_key);
	st = db_prepare(s->db,
			"SELECT f.policy, f.result_type, f.sending_mta_ip, f.receiving_mx_hostname,"
			" f.receiving_mx_helo, f.receiving_ip, f.additional_information,"
			" f.failure_reason_code, f.failed_count FROM result_failures f"
			" JOIN result_tuples p ON p.key = f.policy WHERE p.day = $1"
			" AND p.domain >= $2 AND p.domain <= $3"
			" ORDER BY f.policy, f.failed_count DESC, f.id", err);
	if (st == NULL)
		goto out;
	db_bind_int64(st, 1, day);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	while ((rc = db_step(st, err)) == 1) {
		struct row probe = { .key = db_column_int64(st, 0) }, *pp = &probe, **hit;
		struct failure_detail *d;
		const char *type = db_column_text(st, 1);

		hit = bsearch(&pp, by_key, n, sizeof(*by_key), cmp_row_key);
		if (hit == NULL)
			continue;
		d = policy_add_failure_detail(&(*hit)->p);
		d->type = type != NULL ? result_type_from_string(type) : RESULT_UNKNOWN;
		/* RFC 8460 §4.3.2.1: validation-failure is the catch-all for a
		 * failure no other type names (e.g. a sys4 code we do not know) */
		d->result_type = xstrdup(type != NULL ? type
					 : result_type_to_string(RESULT_VALIDATION_FAILURE));
		d->sending_mta_ip = dup_or_null(db_column_text(st, 2));
		d->receiving_mx_hostname = dup_or_null(db_column_text(st, 3));
		d->receiving_mx_helo = dup_or_null(db_column_text(st, 4));
		d->receiving_ip = dup_or_null(db_column_text(st, 5));
		d->additional_information = dup_or_null(db_column_text(st, 6));
		d->failure_reason_code = dup_or_null(db_column_text(st, 7));
		d->failed_session_count = (uint64_t)db_column_int64(st, 8);
		(*hit)->p.has_failure_details = 1;
	}
	db_reset(st);
out:
	free(by_key);
	return rc < 0 ? -1 : 0;
}

/* Sets *lo and *hi (new strings) to the first and last of the next
 * DOMAINS_PER_ROUND domains of `day` after `after` (from the start when
 * `first`).  Returns 1 if there are any, 0 if none are left, -1 on error. */
static int
next_domain_range(struct store *s, int64_t day, const char *after, int first, char **lo,
		  char **hi, struct err *err)
{
	struct db_stmt *st;
	int rc;

	*lo = *hi = NULL;
	/* Two statements, not "($3 = 1 OR domain > $2)": the OR kept the
	 * planner from a range search of result_tuples_day_domain, so every
	 * round walked the day's domains from the first one. */
	st = db_prepare(s->db, first ?
			"SELECT DISTINCT domain FROM result_tuples WHERE day = $1"
			" AND domain >= $2 ORDER BY domain LIMIT " DOMAINS_PER_ROUND :
			"SELECT DISTINCT domain FROM result_tuples WHERE day = $1"
			" AND domain > $2 ORDER BY domain LIMIT " DOMAINS_PER_ROUND,
			err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, day);
	db_bind_text(st, 2, first || after == NULL ? "" : after);
	while ((rc = db_step(st, err)) == 1) {
		const char *d = db_column_text(st, 0);

		if (*lo == NULL)
			*lo = xstrdup(d != NULL ? d : "");
		free(*hi);
		*hi = xstrdup(d != NULL ? d : "");
	}
	db_reset(st);
	if (rc < 0) {
		free(*lo);
		free(*hi);
		*lo = *hi = NULL;
		return -1;
	}
	return *lo != NULL;
}

/* Reads the policies of `day` whose domain lies in [lo, hi] into *rows
 * (new array of *n rows), by domain, then by key (on SQLite the order of
 * result_tuples_day_domain's entries, no sort).  Returns 0 or -1. */
static int
read_rows(struct store *s, int64_t day, const char *lo, const char *hi, struct row **rows,
	  size_t *n, struct err *err)
{
	struct db_stmt *st;
	size_t cap = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	st = db_prepare(s->db,
			"SELECT key, domain, tlsrpt_record, policy_type, policy_domain,"
			" policy_strings, mx_hosts, total_success, total_failure"
			" FROM result_tuples WHERE day = $1 AND domain >= $2 AND domain <= $3"
			" ORDER BY domain, key", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, day);
	db_bind_text(st, 2, lo);
	db_bind_text(st, 3, hi);
	while ((rc = db_step(st, err)) == 1) {
		struct row *r;
		const char *type = db_column_text(st, 3);

		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->key = db_column_int64(st, 0);
		r->domain = xstrdup(db_column_text(st, 1));
		r->record = dup_or_null(db_column_text(st, 2));
		r->p.policy_type = dup_or_null(type);
		r->p.type = type != NULL ? policy_type_from_string(type) : POLICY_TYPE_UNKNOWN;
		r->p.policy_domain = dup_or_null(db_column_text(st, 4));
		split(&r->p.policy_string, db_column_text(st, 5));
		r->p.has_policy_string = r->p.policy_string.n > 0;
		split(&r->p.mx_host, db_column_text(st, 6));
		r->p.has_mx_host = r->p.mx_host.n > 0;
		r->p.total_successful_session_count = (uint64_t)db_column_int64(st, 7);
		r->p.total_failure_session_count = (uint64_t)db_column_int64(st, 8);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

int
store_get_day_results(struct store *s, int64_t day, store_result_cb cb, void *ctx,
		      struct err *err)
{
	char *lo = NULL, *hi = NULL, *after = NULL;
	int first = 1, rc = 0;

	if (store_results_fold(s, err) < 0)
		return -1;
	/* Round by round, DOMAINS_PER_ROUND whole domains at a time, so
	 * memory does not grow with the day.  A round's rows are read
	 * completely before its callbacks run: the callback may use the store. */
	while (rc == 0) {
		struct row *rows = NULL;
		size_t n = 0;
		int more = next_domain_range(s, day, after, first, &lo, &hi, err);

		if (more <= 0) {
			rc = more;
			break;
		}
		first = 0;
		rc = read_rows(s, day, lo, hi, &rows, &n, err);
		if (rc == 0 && n > 0)
			rc = read_failures(s, day, lo, hi, rows, n, err);
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = cb(ctx, rows[i].domain, rows[i].record, &rows[i].p);
		for (size_t i = 0; i < n; i++)
			row_clear(&rows[i]);
		free(rows);
		free(lo);
		free(after);
		after = hi;
		lo = hi = NULL;
	}
	free(lo);
	free(hi);
	free(after);
	return rc;
}

int
store_result_days(struct store *s, int64_t before_day, int64_t **days, size_t *n,
		  struct err *err)
{
	struct db_stmt *st;
	size_t cap = 0;
	int rc;

	*days = NULL;
	*n = 0;
	st = db_prepare(s->db, "SELECT DISTINCT day FROM result_tuples WHERE day < $1"
			" ORDER BY day", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, before_day);
	while ((rc = db_step(st, err)) == 1) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*days = xreallocarray(*days, cap, sizeof(**days));
		}
		(*days)[(*n)++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc < 0) {
		free(*days);
		*days = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int
store_delete_day_results(struct store *s, int64_t day, const char *domain,
			 struct err *err)
{
#define DAY_POLICIES "(SELECT key FROM result_tuples WHERE day = $1 AND ($2 = '' OR domain = $2))"
	static const char *const sql[] = {
		"DELETE FROM result_deltas WHERE policy IN " DAY_POLICIES,
		"DELETE FROM result_failures WHERE policy IN " DAY_POLICIES,
		"DELETE FROM result_tuples WHERE day = $1 AND ($2 = '' OR domain = $2)",
	};
#undef DAY_POLICIES
	struct db_stmt *st;

	if (store_begin(s, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if ((st = db_prepare(s->db, sql[i], err)) == NULL)
			goto fail;
		db_bind_int64(st, 1, day);
		db_bind_text(st, 2, domain != NULL ? domain : "");
		if (db_step(st, err) < 0)
			goto fail;
		db_reset(st);
	}
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}
