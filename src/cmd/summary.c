/*
 * summary: groups the store's summary rows per policy domain (see
 * summary.h).  The sums themselves are done in SQL; this only folds the
 * (day, organization, policy type) rows into per-day and per-organization
 * totals of each domain.
 */
#include "cmd/summary.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_conflicts.h"
#include "store/store_summary.h"
#include "util/count.h"
#include "util/xalloc.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* What summary_load() fills while the rows come: the summary, an index of
 * its domains by name (name, borrowed from the entry -> position + 1) and
 * the capacity of sum->domains, so that a store with many domains is not
 * scanned once per row. */
struct loader {
	struct summary *sum;
	GHashTable *index;
	size_t cap;
};

/* Returns the domain entry for name, adding it when it is new.  Entries
 * are addressed by position (the array moves when it grows). */
static struct summary_domain *
domain_for(struct loader *l, const char *name)
{
	struct summary *sum = l->sum;
	struct summary_domain *d;
	size_t pos;

	if (name == NULL)
		name = "";
	pos = (size_t)GPOINTER_TO_SIZE(g_hash_table_lookup(l->index, name));
	if (pos > 0)
		return &sum->domains[pos - 1];
	if (sum->n_domains == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		sum->domains = xreallocarray(sum->domains, l->cap, sizeof(*sum->domains));
	}
	d = &sum->domains[sum->n_domains++];
	memset(d, 0, sizeof(*d));
	d->name = xstrdup(name);
	g_hash_table_insert(l->index, d->name, GSIZE_TO_POINTER(sum->n_domains));
	return d;
}

static struct summary_count *
count_for(struct summary_count **v, size_t *n, const char *key, int64_t day)
{
	struct summary_count *c;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].day == day &&
		    ((key == NULL && (*v)[i].key == NULL) ||
		     (key != NULL && (*v)[i].key != NULL && strcmp((*v)[i].key, key) == 0)))
			return &(*v)[i];
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	c = &(*v)[(*n)++];
	memset(c, 0, sizeof(*c));
	c->key = dup_or_null(key);
	c->day = day;
	return c;
}

static int
on_row(void *ctx, const struct store_summary_row *row)
{
	struct summary_domain *d = domain_for(ctx, row->domain);
	struct summary_count *c;

	d->ok = count_add(d->ok, row->success);
	d->failed = count_add(d->failed, row->failure);
	d->reports = count_add(d->reports, row->reports);     /* a report is on one day only */
	c = count_for(&d->days, &d->n_days, NULL, row->day);
	c->ok = count_add(c->ok, row->success);
	c->failed = count_add(c->failed, row->failure);
	c->reports = count_add(c->reports, row->reports);
	c = count_for(&d->orgs, &d->n_orgs, row->organization ? row->organization : "", 0);
	c->ok = count_add(c->ok, row->success);
	c->failed = count_add(c->failed, row->failure);
	c->reports = count_add(c->reports, row->reports);
	return 0;
}

static int
on_failure(void *ctx, const struct store_summary_failure *f)
{
	struct summary_domain *d = domain_for(ctx, f->domain);
	struct summary_failure *x;

	d->failures = xreallocarray(d->failures, d->n_failures + 1, sizeof(*d->failures));
	x = &d->failures[d->n_failures++];
	x->result_type = dup_or_null(f->result_type);
	x->mx = dup_or_null(f->receiving_mx_hostname);
	x->ip = dup_or_null(f->receiving_ip);
	x->reason = dup_or_null(f->failure_reason_code);
	x->sessions = f->sessions;
	x->reports = f->reports;
	return 0;
}

static int
by_sessions(const void *pa, const void *pb)
{
	const struct summary_count *a = pa, *b = pb;
	uint64_t ta = count_add(a->ok, a->failed), tb = count_add(b->ok, b->failed);

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int
by_day(const void *pa, const void *pb)
{
	const struct summary_count *a = pa, *b = pb;

	return a->day < b->day ? -1 : a->day > b->day;
}

static int
by_name(const void *pa, const void *pb)
{
	return strcmp(((const struct summary_domain *)pa)->name,
		      ((const struct summary_domain *)pb)->name);
}

int
summary_load(struct store *s, int64_t since, int64_t until, const char *domain,
	     struct summary *out, struct err *err)
{
	struct loader l = { out, NULL, 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	out->since = since;
	out->until = until;
	l.index = g_hash_table_new(g_str_hash, g_str_equal);
	rc = store_summary_days(s, since, until, domain, on_row, &l, err) < 0 ||
	     store_summary_failures(s, since, until, domain, on_failure, &l, err) < 0 ||
	     store_summary_reports(s, since, until, domain, &out->reports, err) < 0 ||
	     store_count_conflicts(s, since, until, domain, &out->conflicts, err) < 0 ? -1 : 0;
	g_hash_table_destroy(l.index);  /* keys are the entries' names */
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < out->n_domains; i++) {
		struct summary_domain *d = &out->domains[i];

		out->ok = count_add(out->ok, d->ok);
		out->failed = count_add(out->failed, d->failed);
		if (d->n_days > 1)
			qsort(d->days, d->n_days, sizeof(*d->days), by_day);
		if (d->n_orgs > 1)
			qsort(d->orgs, d->n_orgs, sizeof(*d->orgs), by_sessions);
	}
	if (out->n_domains > 1)
		qsort(out->domains, out->n_domains, sizeof(*out->domains), by_name);
	return 0;
}

void
summary_clear(struct summary *sum)
{
	for (size_t i = 0; i < sum->n_domains; i++) {
		struct summary_domain *d = &sum->domains[i];

		free(d->name);
		free(d->days);
		for (size_t k = 0; k < d->n_orgs; k++)
			free(d->orgs[k].key);
		free(d->orgs);
		for (size_t k = 0; k < d->n_failures; k++) {
			free(d->failures[k].result_type);
			free(d->failures[k].mx);
			free(d->failures[k].ip);
			free(d->failures[k].reason);
		}
		free(d->failures);
	}
	free(sum->domains);
	memset(sum, 0, sizeof(*sum));
}
