/*
 * store_metrics: how store_metrics.h reads the roll-ups.
 *
 * All time is every 256-day block of rollup_domains (sessions) and every
 * row of rollup_failures (failures).  The rows are read in table order
 * and added up here in GLib hash tables (each label string kept once, the
 * sums keyed by the pair of label numbers): a GROUP
 * BY in the database sorts the same rows through a temporary B-tree, about
 * ten times the cost of reading them on SQLite (bench/README.md,
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
#include "util/xalloc.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char sql_sessions[] =
	"SELECT d.domain_key, d.organization, d.success, d.failure, d.first_start"
	" FROM rollup_domains d WHERE d.span = " XSTR(STORE_ROLLUP_SPAN2) " AND @SCOPE_D@";

static const char sql_failure_types[] =
	"SELECT d.domain_key, d.result_type, d.sessions, 0, 0"
	" FROM rollup_failures d WHERE @SCOPE_D@";

/* The distinct label strings read, each once (domains and organizations
 * repeat on every row). */
struct names {
	GHashTable *index;      /* string (owned by v) -> index + 1 */
	GPtrArray *v;           /* index -> string, owned */
};

/* The index of string x in n, added when new.  *last is the index this
 * column had on the row before (UINT32_MAX at first): rows often repeat it. */
static uint32_t
intern(struct names *n, const char *x, uint32_t *last)
{
	gpointer i;

	x = x != NULL ? x : "";
	if (*last != UINT32_MAX && strcmp(g_ptr_array_index(n->v, *last), x) == 0)
		return *last;
	i = g_hash_table_lookup(n->index, x);
	if (i == NULL) {
		char *copy = xstrdup(x);

		g_ptr_array_add(n->v, copy);
		i = GUINT_TO_POINTER(n->v->len);
		g_hash_table_insert(n->index, copy, i);
	}
	*last = GPOINTER_TO_UINT(i) - 1;
	return *last;
}

/* The sums of one (domain, key), the labels as indexes into names. */
struct sum {
	uint32_t domain, key;
	uint64_t a, b;
	int64_t first_start;
};

/* The pair (domain, key) as a hash table key. */
static gpointer
pair_key(uint32_t d, uint32_t k)
{
	return GSIZE_TO_POINTER(((gsize)d << 32) | k);
}

static guint
pair_hash(gconstpointer p)
{
	guint64 v = GPOINTER_TO_SIZE(p);

	return (guint)((v >> 32) * 2654435761u + (v & 0xffffffffu));
}

/* A sum with the byte-order ranks of its labels (qsort has no context
 * argument: the ranks travel in the element). */
struct ranked {
	uint32_t domain_rank, key_rank;
	size_t sum;             /* index into the sums */
};

static int
cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *x = pa, *y = pb;

	if (x->domain_rank != y->domain_rank)
		return x->domain_rank < y->domain_rank ? -1 : 1;
	return x->key_rank < y->key_rank ? -1 : x->key_rank > y->key_rank;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* rank[i]: the position of name i in byte order.  Returns a new array. */
static uint32_t *
name_ranks(const struct names *n)
{
	const char **sorted = xcalloc(n->v->len + 1, sizeof(*sorted));
	uint32_t *rank = xcalloc(n->v->len + 1, sizeof(*rank));
	guint i;

	for (i = 0; i < n->v->len; i++)
		sorted[i] = g_ptr_array_index(n->v, i);
	qsort(sorted, n->v->len, sizeof(*sorted), cmp_str);
	for (i = 0; i < n->v->len; i++)
		rank[GPOINTER_TO_UINT(g_hash_table_lookup(n->index, sorted[i])) - 1] = i;
	free(sorted);
	return rank;
}

/* Reads every row of sql (columns: domain, key, a, b, first start), sums
 * the rows of each (domain, key) and visits the sums ordered by domain and
 * key. */
static int
visit_summed(struct store *s, const char *sql, store_metrics_row_cb cb, void *ctx,
	     struct err *err)
{
	struct db_stmt *st = store_views_start(s, sql, NULL, err);
	struct names names = { 0 };
	GHashTable *pairs;
	struct sum *v = NULL;
	struct ranked *order = NULL;
	uint32_t *rank = NULL;
	size_t n = 0, cap = 0, i;
	uint32_t last_d = UINT32_MAX, last_k = UINT32_MAX;
	int rc;

	if (st == NULL)
		return -1;
	names.index = g_hash_table_new(g_str_hash, g_str_equal);
	names.v = g_ptr_array_new_with_free_func(free);
	pairs = g_hash_table_new(pair_hash, g_direct_equal);
	while ((rc = db_step(st, err)) == 1) {
		uint32_t d = intern(&names, db_column_text(st, 0), &last_d);
		uint32_t k = intern(&names, db_column_text(st, 1), &last_k);
		gpointer at = g_hash_table_lookup(pairs, pair_key(d, k));
		int64_t first = db_column_int64(st, 4);
		struct sum *x;

		if (at == NULL) {
			if (n == cap) {
				cap = cap != 0 ? 2 * cap : 4096;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n] = (struct sum){ .domain = d, .key = k, .first_start = first };
			g_hash_table_insert(pairs, pair_key(d, k), GSIZE_TO_POINTER(++n));
			x = &v[n - 1];
		} else {
			x = &v[GPOINTER_TO_SIZE(at) - 1];
		}
		x->a = count_add(x->a, store_views_count(st, 2));
		x->b = count_add(x->b, store_views_count(st, 3));
		if (first < x->first_start)
			x->first_start = first;
	}
	db_reset(st);
	if (rc < 0)
		goto out;
	rank = name_ranks(&names);
	order = xcalloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = (struct ranked){ rank[v[i].domain], rank[v[i].key], i };
	if (n > 0)
		qsort(order, n, sizeof(*order), cmp_ranked);
	for (i = 0; i < n && rc == 0; i++) {
		const struct sum *x = &v[order[i].sum];
		struct store_metrics_row row = {
			.domain = g_ptr_array_index(names.v, x->domain),
			.key = g_ptr_array_index(names.v, x->key),
			.a = x->a, .b = x->b, .first_start = x->first_start,
		};

		rc = cb(ctx, &row);
	}
out:
	free(order);
	free(rank);
	free(v);
	g_hash_table_destroy(pairs);
	g_hash_table_destroy(names.index);
	g_ptr_array_free(names.v, TRUE);
	return rc;
}

int
store_metrics_sessions(struct store *s, store_metrics_row_cb cb, void *ctx, struct err *err)
{
	return visit_summed(s, sql_sessions, cb, ctx, err);
}

int
store_metrics_failure_types(struct store *s, store_metrics_row_cb cb, void *ctx,
			    struct err *err)
{
	return visit_summed(s, sql_failure_types, cb, ctx, err);
}
