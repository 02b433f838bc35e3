/*
 * store_views_sql: how store_views.c turns a report_query into a statement:
 * the viewer scope and the domain filter written into the SQL, the period
 * bound as days or as 16/256-day blocks (store_rollup.h).
 */
#include <stdlib.h>
#include <string.h>

#include "model/domain_scope.h"
#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_views_private.h"
#include "util/buf.h"
#include "util/count.h"
#include "util/xalloc.h"

/* far past and far future (whole 256-day blocks), for an open end */
#define OPEN_SINCE (-((int64_t)1 << 40) * 86400)
#define OPEN_UNTIL (((int64_t)1 << 40) * 86400)

static int64_t
floor_div(int64_t x, int64_t n)
{
	return x >= 0 ? x / n : -((n - 1 - x) / n);
}

static int64_t
ceil_div(int64_t x, int64_t n)
{
	return -floor_div(-x, n);
}

/* Whether q selects whole UTC days (or is open): sets [*d0, *d1). */
int
store_views_period_days(const struct report_query *q, int64_t *d0, int64_t *d1)
{
	int64_t since = q != NULL ? q->since : 0, until = q != NULL ? q->until : 0;

	if (since % 86400 != 0 || until % 86400 != 0)
		return 0;
	*d0 = since != 0 ? since / 86400 : OPEN_SINCE / 86400;
	*d1 = until != 0 ? until / 86400 : OPEN_UNTIL / 86400;
	return 1;
}

/* Binds $1, $2, $5..$12 of B_FROM for q's period. */
void
store_views_period_blocks(struct db_stmt *st, const struct report_query *q)
{
	const int64_t s1 = (int64_t)STORE_ROLLUP_SPAN1 * 86400;
	const int64_t s2 = (int64_t)STORE_ROLLUP_SPAN2 * 86400;
	int64_t lo = q != NULL && q->since != 0 ? q->since : OPEN_SINCE;
	int64_t hi = q != NULL && q->until != 0 ? q->until : OPEN_UNTIL;
	int64_t a1 = ceil_div(lo, s1) * s1, b1 = floor_div(hi, s1) * s1;
	int64_t a2 = ceil_div(lo, s2) * s2, b2 = floor_div(hi, s2) * s2;
	int64_t v[12] = { 0 };

	v[0] = lo;
	v[1] = hi;
	if (a1 >= b1) {                 /* no whole block: report rows only */
		v[4] = hi;
		v[5] = hi;
	} else if (a2 >= b2) {          /* 16-day blocks only */
		v[4] = a1;
		v[5] = b1;
		v[6] = a1 / s1;
		v[7] = b1 / s1;
	} else {
		v[4] = a1;
		v[5] = b1;
		v[6] = a1 / s1;
		v[7] = a2 / s1;
		v[8] = b2 / s1;
		v[9] = b1 / s1;
		v[10] = a2 / s2;
		v[11] = b2 / s2;
	}
	for (int i = 0; i < 12; i++)
		if (i != 2 && i != 3)
			db_bind_int64(st, i + 1, v[i]);
}

void
store_views_period_edges(struct db_stmt *st, const struct report_query *q)
{
	int64_t since = q != NULL ? q->since : 0, until = q != NULL ? q->until : 0;
	int64_t d0 = since != 0 ? ceil_div(since, 86400) : OPEN_SINCE / 86400;
	int64_t d1 = until != 0 ? floor_div(until, 86400) : OPEN_UNTIL / 86400;
	/* report rows: [since, first whole day) and [end of whole days, until) */
	int64_t e0 = since != 0 ? d0 * 86400 : OPEN_SINCE;
	int64_t e1 = until != 0 ? d1 * 86400 : OPEN_UNTIL;

	if (d0 >= d1) {         /* no whole day: [since, until) from report rows */
		d1 = d0;
		e0 = until != 0 ? until : OPEN_UNTIL;
		e1 = e0;
	}
	db_bind_int64(st, 5, d0);
	db_bind_int64(st, 6, d1);
	db_bind_int64(st, 7, e0);
	db_bind_int64(st, 8, e1);
}

int
store_views_scoped_all(const struct store *s)
{
	return s->scope == NULL || domain_scope_is_all(s->scope);
}

uint64_t
store_views_count(struct db_stmt *st, int col)
{
	return count_from_int64(db_column_int64(st, col));
}

/*
 * The viewer scope (store_set_scope()) as SQL over the domain key column
 * col: "1 = 1" without one; else the patterns as literals (they hold only
 * letters, digits, '-', '.', '_': domain_scope.h), "*.name" as a LIKE
 * with '_' escaped.  A scope that allows nothing gives "1 = 0".  Returns a
 * new string.  The statement cache keys on the SQL text, so each scope
 * gets its own prepared statements.
 */
char *
store_scope_sql(const struct domain_scope *sc, const char *col)
{
	struct buf b;
	const char *p;
	size_t i;

	if (sc == NULL || domain_scope_is_all(sc))
		return xstrdup("1 = 1");
	buf_init(&b, 1u << 20);
	buf_append_str(&b, "(1 = 0");
	for (i = 0; (p = domain_scope_pattern(sc, i)) != NULL; i++) {
		if (strspn(p, "*.-_abcdefghijklmnopqrstuvwxyz0123456789") != strlen(p))
			continue;       /* never: normalized when added */
		buf_append_str(&b, " OR ");
		buf_append_str(&b, col);
		if (p[0] == '*' && p[1] == '.') {
			buf_append_str(&b, " LIKE '%");
			for (p++; *p != '\0'; p++)
				buf_append_str(&b, *p == '_' ? "\\_" : (char[2]){ *p, 0 });
			buf_append_str(&b, "' ESCAPE '\\'");
		} else {
			buf_append_str(&b, " = '");
			buf_append_str(&b, p);
			buf_append_str(&b, "'");
		}
	}
	buf_append_str(&b, ")");
	return buf_steal(&b, NULL);
}

/* Replaces each from[i] in text by to[i] (n pairs).  Returns a new string. */
static char *
replace_all(const char *text, const char *const *from, const char *const *to, size_t n)
{
	struct buf b;

	buf_init(&b, 4u << 20);
	while (*text != '\0') {
		size_t i;

		for (i = 0; i < n && strncmp(text, from[i], strlen(from[i])) != 0; i++)
			;
		if (i < n) {
			buf_append_str(&b, to[i]);
			text += strlen(from[i]);
		} else {
			buf_append(&b, text++, 1);
		}
	}
	return buf_steal(&b, NULL);
}

/* sql with each "@SCOPE_D@" / "@SCOPE_P@" replaced by the viewer scope
 * over d.domain_key / p.domain_key, and, when one domain is selected, its
 * filter written so that the database looks the domain up in an index
 * (an "$3 IS NULL OR" keeps it from that).  Returns a new string. */
static char *
scoped(const struct store *s, const char *sql, int one_domain)
{
	static const char *const from[] = { "@SCOPE_D@", "@SCOPE_P@",
		"(CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)",
		"(CAST($3 AS TEXT) IS NULL OR p.domain_key = $3)" };
	char *d = store_scope_sql(s->scope, "d.domain_key"),
	     *p = store_scope_sql(s->scope, "p.domain_key");
	const char *to[] = { d, p, "d.domain_key = $3", "p.domain_key = $3" };
	char *out = replace_all(sql, from, to, one_domain ? 4 : 2);

	free(d);
	free(p);
	return out;
}

int
store_views_all_time(const struct report_query *q)
{
	return q == NULL || (q->since == 0 && q->until == 0);
}

struct db_stmt *
store_views_start(struct store *s, const char *sql_in, const struct report_query *q,
		  struct err *err)
{
	/* all of a day table: read in table order, not looked up day by day */
	static const char *const from[] = { "d.day >= $1 AND d.day < $2" };
	static const char *const to[] = { "$1 < $2" };
	char *all = store_views_all_time(q) ? replace_all(sql_in, from, to, 1) : NULL;
	char *sql = scoped(s, all != NULL ? all : sql_in, q != NULL && q->domain != NULL);

	free(all);
	struct db_stmt *st = db_prepare(s->db, sql, err);

	free(sql);
	if (st == NULL)
		return NULL;
	store_bind_filter(st, q != NULL ? q->since : 0, q != NULL ? q->until : 0,
			  q != NULL ? q->domain : NULL);
	db_bind_text(st, 4, q != NULL && q->organization != NULL ? q->organization : "");
	return st;
}
