/*
 * store_metrics: how store_metrics.h reads the roll-ups.
 *
 * All time is the all-time level of the roll-ups (schema step 11,
 * store_rollup_totals.c): rollup_domains span 0, one row per (domain,
 * organization), and rollup_failure_groups, one row per (domain,
 * result-type, receiving MX), whose rows of one (domain, result-type) are
 * added up here.  The rows are read in table order into one array (the
 * strings in a GStringChunk), sorted in byte order unless they came so
 * (SQLite reads them in primary-key order; PostgreSQL's collation need not
 * be byte order) and the neighbours with the same labels summed: a GROUP
 * BY in the database sorts the same rows through a temporary B-tree, and a
 * hash table per label costs more than the sort (bench/README.md,
 * bench_dashboard /metrics).
 */
#include "store/store_metrics.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_views_private.h"
#include "util/count.h"
#include "util/str_prefix.h"
#include "util/xalloc.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char sql_sessions[] =
	"SELECT d.domain_key, d.organization, d.success, d.failure, d.first_start"
	" FROM rollup_domains d WHERE d.span = " XSTR(STORE_ROLLUP_SPAN_ALL)
	" AND d.block = 0 AND @SCOPE_D@";

static const char sql_failure_types[] =
	"SELECT d.domain_key, d.result_type, d.sessions, 0, 0"
	" FROM rollup_failure_groups d WHERE @SCOPE_D@";

/* One row read: its labels (in the chunk; equal domains share one string)
 * and figures; dpre and kpre are the labels' first 8 bytes as big-endian
 * numbers, so most comparisons need no strcmp(). */
struct sum {
	const char *domain, *key;
	uint64_t dpre, kpre;
	uint64_t a, b;
	int64_t first_start;
	size_t dom;             /* the domain's index in sums.dom */
};

/* The rows read, with the strings they point to. */
struct sums {
	struct sum *v;
	size_t n, cap;
	GStringChunk *text;     /* the label strings */
	GHashTable *dom_index;  /* domain string -> its index in dom, plus 1 */
	const char **dom;       /* the distinct domains, in the order first read */
	size_t n_dom, cap_dom;
};

/* Byte order of (domain, key); prefixes first (equal prefixes of strings
 * shorter than 8 bytes mean equal strings, and strcmp() says so too). */
static int
cmp_sum(const void *pa, const void *pb)
{
	const struct sum *x = pa, *y = pb;
	int c;

	if (x->domain != y->domain) {
		if (x->dpre != y->dpre)
			return x->dpre < y->dpre ? -1 : 1;
		if ((c = strcmp(x->domain, y->domain)) != 0)
			return c;
	}
	if (x->key == y->key)
		return 0;
	if (x->kpre != y->kpre)
		return x->kpre < y->kpre ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The index of domain d in m->dom, added when new. */
static size_t
domain_index(struct sums *m, const char *d)
{
	gpointer v = g_hash_table_lookup(m->dom_index, d);
	char *copy;

	if (v != NULL)
		return GPOINTER_TO_SIZE(v) - 1;
	if (m->n_dom == m->cap_dom) {
		m->cap_dom = m->cap_dom != 0 ? 2 * m->cap_dom : 1024;
		m->dom = xreallocarray(m->dom, m->cap_dom, sizeof(*m->dom));
	}
	copy = g_string_chunk_insert(m->text, d);
	m->dom[m->n_dom] = copy;
	g_hash_table_insert(m->dom_index, copy, GSIZE_TO_POINTER(m->n_dom + 1));
	return m->n_dom++;
}

/* A domain and where it was read, for ranking the domains. */
struct dom_rank {
	const char *s;
	uint64_t pre;
	size_t dom;
};

static int
cmp_dom_rank(const void *pa, const void *pb)
{
	const struct dom_rank *x = pa, *y = pb;

	if (x->pre != y->pre)
		return x->pre < y->pre ? -1 : 1;
	return strcmp(x->s, y->s);
}

/* Orders m's rows as cmp_sum() does, for rows in no useful order
 * (PostgreSQL's heap order): the distinct domains are sorted (~10 rows
 * each), the rows placed by their domain's rank (a counting sort), then
 * each domain's few rows sorted by key.  One qsort() of every row cost a
 * third of /metrics' serve CPU on a 1M store (bench/README.md). */
static void
sums_sort(struct sums *m)
{
	struct dom_rank *r = xreallocarray(NULL, m->n_dom + 1, sizeof(*r));
	size_t *start = xcalloc(m->n_dom + 1, sizeof(*start)), *rank, i;
	struct sum *out = xreallocarray(NULL, m->n + 1, sizeof(*out));

	for (i = 0; i < m->n_dom; i++)
		r[i] = (struct dom_rank){ m->dom[i], str_prefix8(m->dom[i]), i };
	qsort(r, m->n_dom, sizeof(*r), cmp_dom_rank);
	rank = xreallocarray(NULL, m->n_dom + 1, sizeof(*rank));
	for (i = 0; i < m->n_dom; i++)
		rank[r[i].dom] = i;
	for (i = 0; i < m->n; i++)
		start[rank[m->v[i].dom] + 1]++;
	for (i = 1; i <= m->n_dom; i++)
		start[i] += start[i - 1];
	for (i = 0; i < m->n; i++)
		out[start[rank[m->v[i].dom]]++] = m->v[i];
	/* start[k] is now the end of rank k's rows */
	for (i = 0; i < m->n_dom; i++) {
		size_t from = i == 0 ? 0 : start[i - 1];

		if (start[i] - from > 1)
			qsort(&out[from], start[i] - from, sizeof(*out), cmp_sum);
	}
	free(m->v);
	m->v = out;
	m->cap = m->n + 1;
	free(rank);
	free(start);
	free(r);
}

/* Appends the row of st (columns: domain, key, a, b, first start).  A
 * label equal to the row before's shares its string. */
static void
sums_add(struct sums *m, struct db_stmt *st)
{
	const char *d = db_column_text(st, 0), *k = db_column_text(st, 1);
	const struct sum *prev = m->n > 0 ? &m->v[m->n - 1] : NULL;
	struct sum *x;

	d = d != NULL ? d : "";
	k = k != NULL ? k : "";
	if (m->n == m->cap) {
		m->cap = m->cap != 0 ? 2 * m->cap : 4096;
		m->v = xreallocarray(m->v, m->cap, sizeof(*m->v));
		prev = m->n > 0 ? &m->v[m->n - 1] : NULL;
	}
	x = &m->v[m->n++];
	if (prev != NULL && strcmp(prev->domain, d) == 0)
		x->dom = prev->dom;
	else
		x->dom = domain_index(m, d);
	x->domain = m->dom[x->dom];
	x->key = g_string_chunk_insert_const(m->text, k);
	x->dpre = str_prefix8(x->domain);
	x->kpre = str_prefix8(x->key);
	x->a = store_views_count(st, 2);
	x->b = store_views_count(st, 3);
	x->first_start = db_column_int64(st, 4);
}

/* Whether the rows are in cmp_sum order already. */
static int
sums_sorted(const struct sums *m)
{
	for (size_t i = 1; i < m->n; i++)
		if (cmp_sum(&m->v[i - 1], &m->v[i]) > 0)
			return 0;
	return 1;
}

/* Reads every row of sql (columns: domain, key, a, b, first start) into
 * t, summed per (domain, key) and ordered by domain and key. */
static int
read_summed(struct store *s, const char *sql, struct store_metrics_table *t,
	    struct err *err)
{
	struct db_stmt *st = store_views_start(s, sql, NULL, err);
	struct sums m = { 0 };
	size_t i, k;
	int rc;

	memset(t, 0, sizeof(*t));
	if (st == NULL)
		return -1;
	m.text = g_string_chunk_new(1 << 16);
	m.dom_index = g_hash_table_new(g_str_hash, g_str_equal);
	while ((rc = db_step(st, err)) == 1)
		sums_add(&m, st);
	db_reset(st);
	if (rc < 0) {
		g_string_chunk_free(m.text);
		goto out;
	}
	if (!sums_sorted(&m))
		sums_sort(&m);
	t->v = xreallocarray(NULL, m.n > 0 ? m.n : 1, sizeof(*t->v));
	t->text = m.text;
	for (i = 0; i < m.n; i = k) {
		struct store_metrics_row *row = &t->v[t->n++];

		row->domain = m.v[i].domain;
		row->key = m.v[i].key;
		row->a = m.v[i].a;
		row->b = m.v[i].b;
		row->first_start = m.v[i].first_start;
		for (k = i + 1; k < m.n && cmp_sum(&m.v[i], &m.v[k]) == 0; k++) {
			row->a = count_add(row->a, m.v[k].a);
			row->b = count_add(row->b, m.v[k].b);
			if (m.v[k].first_start < row->first_start)
				row->first_start = m.v[k].first_start;
		}
	}
	rc = 0;
out:
	free(m.v);
	free(m.dom);
	g_hash_table_destroy(m.dom_index);
	return rc;
}

void
store_metrics_table_free(struct store_metrics_table *t)
{
	free(t->v);
	if (t->text != NULL)
		g_string_chunk_free(t->text);
	memset(t, 0, sizeof(*t));
}

int
store_metrics_sessions_table(struct store *s, struct store_metrics_table *t,
			     struct err *err)
{
	return read_summed(s, sql_sessions, t, err);
}

int
store_metrics_failure_types_table(struct store *s, struct store_metrics_table *t,
				  struct err *err)
{
	return read_summed(s, sql_failure_types, t, err);
}
