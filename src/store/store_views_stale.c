/*
 * store_views_stale: the stale-reporter check of store_views.h.
 *
 * From rollup_reporters (store_rollup_reporters.h): one row per (domain,
 * organization) with its last day and, as bits, which of the 62 days up
 * to it had a report.  The rows whose last day lies in the window but
 * before the quiet days, or after the window, are read through an index
 * on the last day; the days of the window are counted from the bits.  A
 * pair whose bits do not reach back to the window's first day (its last
 * day is 62 or more days after it: a window far in the past) makes the
 * whole check read the report rows of the window instead, grouped by
 * (domain, organization, day): the same rule, so the same answer.
 */
#include "store/store_views.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_rollup_reporters.h"
#include "store/store_views_private.h"
#include "util/xalloc.h"

/* The rule's window as UTC day numbers. */
struct window {
	int64_t first, last;    /* the days whose midnight is in [end - N days, end) */
	int64_t stale_after;    /* a last day after it is not stale */
};

/* The stale pairs found, sorted before they are visited. */
struct found {
	struct store_view_stale *v;     /* strings owned */
	size_t n, cap;
};

/* A pair's days in the window, walked or counted. */
struct pair_days {
	char *domain, *org;     /* owned; NULL: none yet */
	int n;
	int64_t first, last;
};

static void
window_of(const struct store_stale_rule *rule, struct window *w)
{
	int64_t lo = rule->end - (int64_t)rule->window_days * 86400;

	w->first = -store_rollup_day(-lo);              /* ceil(lo / 86400) */
	w->last = -store_rollup_day(-rule->end) - 1;    /* ceil(end / 86400) - 1 */
	w->stale_after = store_rollup_day(rule->end) - rule->quiet_days - 1;
}

/* Adds the pair of p when its days in the window make it stale. */
static void
judge(const struct store_stale_rule *rule, const struct window *w, const struct pair_days *p,
      struct found *f)
{
	if (p->domain == NULL || p->n < rule->min_days || p->last > w->stale_after ||
	    (int64_t)p->n * 100 < (int64_t)rule->regular_pct * (p->last - p->first + 1))
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = xreallocarray(f->v, f->cap, sizeof(*f->v));
	}
	f->v[f->n++] = (struct store_view_stale){
		.domain = xstrdup(p->domain), .organization = xstrdup(p->org),
		.last_day = p->last,
	};
}

static void
found_clear(struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free((char *)f->v[i].domain);
		free((char *)f->v[i].organization);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static int
cmp_stale(const void *a, const void *b)
{
	const struct store_view_stale *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c != 0 ? c : strcmp(x->organization, y->organization);
}

/* Visits f sorted by domain, then organization; clears it. */
static int
visit(struct found *f, store_view_stale_cb cb, void *ctx)
{
	int rc = 0;

	if (f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_stale);
	for (size_t i = 0; rc == 0 && i < f->n; i++)
		rc = cb(ctx, &f->v[i]);
	found_clear(f);
	return rc;
}

/* ---- from the report rows ------------------------------------------------ */

struct walk {
	const struct store_stale_rule *rule;
	const struct window *w;
	struct pair_days cur;
	struct found *found;
};

static void
walk_flush(struct walk *k)
{
	judge(k->rule, k->w, &k->cur, k->found);
	free(k->cur.domain);
	free(k->cur.org);
	memset(&k->cur, 0, sizeof(k->cur));
}

static int
on_day(void *ctx, const struct store_view_row *row)
{
	struct walk *k = ctx;
	int64_t day = (int64_t)strtoll(row->k3, NULL, 10);

	if (k->cur.domain == NULL || strcmp(k->cur.domain, row->k1) != 0 ||
	    strcmp(k->cur.org, row->k2) != 0) {
		walk_flush(k);
		k->cur.domain = xstrdup(row->k1);
		k->cur.org = xstrdup(row->k2);
		k->cur.first = k->cur.last = day;
	}
	k->cur.n++;
	if (day < k->cur.first)
		k->cur.first = day;
	if (day > k->cur.last)
		k->cur.last = day;
	return 0;
}

static int
from_rows(struct store *s, const struct report_query *q, const struct store_stale_rule *rule,
	  struct found *f, struct err *err)
{
	struct report_query win = q != NULL ? *q : (struct report_query){ 0 };
	struct window w;
	struct walk k = { .rule = rule, .w = &w, .found = f };
	int rc;

	window_of(rule, &w);
	win.since = w.first * 86400;
	win.until = (w.last + 1) * 86400;
	rc = store_view_groups(s, &win, STORE_VIEW_DOMAIN_ORG_DAY, on_day, &k, err);
	walk_flush(&k);
	return rc;
}

int
store_view_stale_reporters_from_rows(struct store *s, const struct report_query *q,
				     const struct store_stale_rule *rule,
				     store_view_stale_cb cb, void *ctx, struct err *err)
{
	struct found f = { 0 };

	if (from_rows(s, q, rule, &f, err) != 0) {
		found_clear(&f);
		return -1;
	}
	return visit(&f, cb, ctx);
}

/* ---- from rollup_reporters ------------------------------------------------ */

/* $1 the window's first day, $2 the last day that can be stale, $5 the
 * window's last day; $3, $4 and the scope as in every view */
static const char sql_reporters[] =
	"SELECT d.domain_key, d.organization, d.last_day, d.days FROM rollup_reporters d"
	" WHERE ((d.last_day >= $1 AND d.last_day <= $2) OR d.last_day > $5)"
	" AND (CAST($3 AS TEXT) IS NULL OR d.domain_key = $3)"
	" AND ($4 = '' OR d.organization = $4) AND @SCOPE_D@";

/* Counts the days of the bit set (last, days) that lie in w into p. */
static void
count_days(const struct window *w, int64_t last, int64_t days, struct pair_days *p)
{
	int64_t i = last > w->last ? last - w->last : 0;

	for (; i < STORE_ROLLUP_REPORTER_DAYS && last - i >= w->first; i++) {
		if (((days >> i) & 1) == 0)
			continue;
		if (p->n++ == 0)
			p->last = last - i;
		p->first = last - i;
	}
}

int
store_view_stale_reporters(struct store *s, const struct report_query *q,
			   const struct store_stale_rule *rule, store_view_stale_cb cb, void *ctx,
			   struct err *err)
{
	struct report_query days = q != NULL ? *q : (struct report_query){ 0 };
	struct found f = { 0 };
	struct window w;
	struct db_stmt *st;
	int rc, uncovered = 0;

	window_of(rule, &w);
	days.since = w.first;
	days.until = w.stale_after;
	if ((st = store_views_start(s, sql_reporters, &days, err)) == NULL)
		return -1;
	db_bind_int64(st, 5, w.last);
	while ((rc = db_step(st, err)) == 1) {
		int64_t last = db_column_int64(st, 2);
		struct pair_days p = { .domain = (char *)db_column_text(st, 0),
				       .org = (char *)db_column_text(st, 1) };

		if (last - w.first >= STORE_ROLLUP_REPORTER_DAYS) {
			uncovered = 1;  /* its bits end after the window starts */
			break;
		}
		count_days(&w, last, db_column_int64(st, 3), &p);
		if (p.n > 0)
			judge(rule, &w, &p, &f);
	}
	db_reset(st);
	if (rc >= 0 && uncovered) {
		found_clear(&f);
		rc = from_rows(s, q, rule, &f, err);
	}
	if (rc < 0) {
		found_clear(&f);
		return -1;
	}
	return visit(&f, cb, ctx);
}
