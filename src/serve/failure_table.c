/*
 * failure_table: the failure rows of a query as plain structs (see
 * failure_table.h).  The groups come first (store_view_failures()), each
 * found again by its key "domain\x1ftype\x1fmx" in a GLib hash table while
 * the values of all sets arrive in one pass (store_view_failure_sets());
 * then each set is sorted and cut.  Every string is kept
 * once in a GStringChunk.
 */
#include "serve/failure_table.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/explain.h"
#include "model/report.h"
#include "serve/dataset.h"
#include "store/store_views.h"

/* What the two passes share while the table is read. */
struct reading {
	struct failure_table *t;
	GArray *rows;                   /* struct failure_row */
	GHashTable *by_key;             /* key (in t->strings) -> row index + 1 */
	GPtrArray *sets;                /* per row and set: GPtrArray of values, or NULL */
	GString *key;                   /* the key being looked up */
};

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

const char *
failure_text(const char *s)
{
	const unsigned char *p;
	json_t *v;

	if (s == NULL)
		return "";
	for (p = (const unsigned char *)s; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0')
		return s;
	v = json_string(s);     /* NULL when s is not UTF-8 as jansson sees it */
	json_decref(v);
	return v != NULL ? s : "\xef\xbf\xbd";
}

const char *
failure_set_name(enum failure_set k)
{
	static const char *const names[FAILURE_SETS] = { "sending_ips", "organizations",
		"failure_reason_codes" };

	return (unsigned)k < FAILURE_SETS ? names[k] : "";
}

static const char *
key_of(struct reading *r, const char *domain, const char *type, const char *mx)
{
	g_string_assign(r->key, nz(domain));
	g_string_append_c(r->key, '\x1f');
	g_string_append(r->key, nz(type));
	g_string_append_c(r->key, '\x1f');
	g_string_append(r->key, nz(mx));
	return r->key->str;
}

static int
on_group(void *ctx, const struct store_view_failure *f)
{
	struct reading *r = ctx;
	GStringChunk *c = r->t->strings;
	char *fix = explain_fix(result_type_from_string(nz(f->result_type)), nz(f->mx),
				nz(f->domain));
	struct failure_row row = {
		.domain = g_string_chunk_insert_const(c, nz(f->domain)),
		.result_type = g_string_chunk_insert_const(c, nz(f->result_type)),
		.mx = g_string_chunk_insert_const(c, nz(f->mx)),
		.sessions = f->sessions, .reports = f->reports,
		.first_seen = f->first_seen, .last_seen = f->last_seen,
		.explanation = explain_result_type(result_type_from_string(nz(f->result_type))),
		.fix = g_string_chunk_insert_const(c, nz(fix)),
	};
	const char *key;

	free(fix);
	if (r->rows->len >= DATASET_MAX_ROWS)
		return 0;
	if (f->additional_information != NULL && *f->additional_information != '\0')
		row.additional_information = g_string_chunk_insert_const(c,
			f->additional_information);
	key = g_string_chunk_insert_const(c, key_of(r, f->domain, f->result_type, f->mx));
	g_array_append_val(r->rows, row);
	/* a key seen twice: its values go to the later row, as they did */
	g_hash_table_insert(r->by_key, (gpointer)key, GUINT_TO_POINTER(r->rows->len));
	return 0;
}

static enum failure_set
set_of(enum store_view_value which)
{
	switch (which) {
	case STORE_VIEW_SENDING_IP:
		return FAILURE_SET_SENDING_IPS;
	case STORE_VIEW_REPORTER:
		return FAILURE_SET_ORGANIZATIONS;
	case STORE_VIEW_REASON_CODE:
		return FAILURE_SET_REASON_CODES;
	}
	return FAILURE_SETS;
}

static int
on_value(void *ctx, const struct store_view_failure_value *v)
{
	struct reading *r = ctx;
	guint i = GPOINTER_TO_UINT(g_hash_table_lookup(r->by_key,
		key_of(r, v->domain, v->result_type, v->mx)));
	enum failure_set k = set_of(v->which);
	GPtrArray **set;

	if (i == 0 || k == FAILURE_SETS || v->value == NULL || *v->value == '\0')
		return 0;
	set = (GPtrArray **)&r->sets->pdata[(i - 1) * FAILURE_SETS + k];
	if (*set == NULL)
		*set = g_ptr_array_new();
	g_ptr_array_add(*set, g_string_chunk_insert_const(r->t->strings, v->value));
	return 0;
}

/* Releases a set being filled (the slots of rows without one are NULL). */
static void
free_set(gpointer set)
{
	if (set != NULL)
		g_ptr_array_unref(set);
}

static gint
cmp_value(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts each set in byte order (its values are distinct:
 * store_view_failure_sets()), keeps the first FAILURE_TABLE_MAX_SET and
 * hands it to its row. */
static void
finish_sets(struct reading *r)
{
	size_t i, k, n;

	for (i = 0; i < r->sets->len; i++) {
		GPtrArray *v = g_ptr_array_index(r->sets, i);
		struct failure_row *row = &g_array_index(r->rows, struct failure_row,
							 i / FAILURE_SETS);

		if (v == NULL)
			continue;
		g_ptr_array_sort(v, cmp_value);
		n = v->len < FAILURE_TABLE_MAX_SET ? v->len : FAILURE_TABLE_MAX_SET;
		g_ptr_array_set_size(v, (guint)n);
		k = i % FAILURE_SETS;
		row->set[k] = (const char **)v->pdata;
		row->n_set[k] = n;
		g_ptr_array_add(r->t->values, v);
		r->sets->pdata[i] = NULL;
	}
}

struct failure_table *
failure_table_read(struct store *s, const struct report_query *q, struct err *err)
{
	struct failure_table *t = g_new0(struct failure_table, 1);
	struct reading r = { .t = t };

	t->strings = g_string_chunk_new(1 << 16);
	t->values = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	r.rows = g_array_new(FALSE, TRUE, sizeof(struct failure_row));
	r.by_key = g_hash_table_new(g_str_hash, g_str_equal);
	r.key = g_string_new(NULL);
	r.sets = g_ptr_array_new_with_free_func(free_set);
	if (store_view_failures(s, q, on_group, &r, err) != 0)
		goto fail;
	g_ptr_array_set_size(r.sets, r.rows->len * FAILURE_SETS);
	if (store_view_failure_sets(s, q, on_value, &r, err) != 0)
		goto fail;
	finish_sets(&r);
	t->n = r.rows->len;
	t->rows = (struct failure_row *)(void *)g_array_free(r.rows, FALSE);
	r.rows = NULL;
	goto done;
fail:
	failure_table_free(t);
	t = NULL;
done:
	if (r.rows != NULL)
		g_array_free(r.rows, TRUE);
	g_hash_table_destroy(r.by_key);
	g_string_free(r.key, TRUE);
	g_ptr_array_unref(r.sets);
	return t;
}

void
failure_table_free(struct failure_table *t)
{
	if (t == NULL)
		return;
	g_free(t->rows);
	if (t->values != NULL)
		g_ptr_array_unref(t->values);
	if (t->strings != NULL)
		g_string_chunk_free(t->strings);
	g_free(t);
}
