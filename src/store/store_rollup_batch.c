/*
 * store_rollup_batch: roll-up rows summed per transaction
 * (store_rollup_batch.h).  A GLib hash table of rows, keyed by bytes made
 * of the row's table and key columns: numbers as their bytes, strings
 * with their length first, so no text can make two keys meet.  The key of
 * a contribution is built in a buffer the batch reuses and copied only
 * for a new row (a formatted key cost more than the rest of adding).
 */
#include "store/store_rollup_batch.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "store/store_private.h"
#include "store/store_rollup.h"
#include "store/store_rollup_policies.h"
#include "store/store_rollup_reporters.h"
#include "util/buf.h"
#include "util/xalloc.h"

enum row_kind { ROW_DAY, ROW_DOMAIN, ROW_FAILURE, ROW_TYPE, ROW_VALUE, ROW_TOTALS,
	ROW_REPORTER, ROW_POLICY };

/* One pending row.  For a domain row, day is a day of its block; for a
 * failure row, text is the additional-information (NULL: none) and ok the
 * sessions; for a type row, ok the sessions; for a value row, text the
 * value; for an all-time failure group row (ROW_TOTALS), text the
 * additional-information, ip and code the sending IP and reason code; for
 * a reporter row (ROW_REPORTER), day is the last day and digest its day
 * set (store_rollup_reporters.h); for a policy row (ROW_POLICY), day a day
 * of its block, type the policy-type and text the policy-string list. */
struct row {
	char *key;              /* the key bytes (owned) */
	size_t key_len;
	enum row_kind kind;
	int span, value_kind;
	int64_t day, digest;
	char *org, *domain, *type, *mx, *text, *ip, *code;
	uint64_t reports, ok, bad;
	int64_t first, last;
};

struct rollup_batch {
	GHashTable *rows;       /* set of struct row (owned), by key bytes */
	struct buf key;         /* the key being built */
};

/* XXH3 of the key bytes (a byte-at-a-time FNV-1a cost ~4k instructions
 * a stored report); the hash orders nothing: the rows are written sorted
 * by key (store_rollup_batch_flush()). */
static guint
row_hash(gconstpointer p)
{
	const struct row *r = p;

	return (guint)XXH3_64bits(r->key, r->key_len);
}

static gboolean
row_equal(gconstpointer x, gconstpointer y)
{
	const struct row *a = x, *b = y;

	return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0;
}

/* Starts a key of kind in b->key. */
static void
key_start(struct rollup_batch *b, enum row_kind kind)
{
	char k = (char)kind;

	buf_reset(&b->key);
	buf_append(&b->key, &k, 1);
}

static void
key_int(struct rollup_batch *b, int64_t v)
{
	buf_append(&b->key, &v, sizeof(v));
}

static void
key_str(struct rollup_batch *b, const char *s)
{
	size_t n = strlen(s);

	buf_append(&b->key, &n, sizeof(n));
	buf_append(&b->key, s, n);
}

static void
row_free(gpointer p)
{
	struct row *r = p;

	free(r->key);
	free(r->org);
	free(r->domain);
	free(r->type);
	free(r->mx);
	free(r->text);
	free(r->ip);
	free(r->code);
	free(r);
}

struct rollup_batch *
rollup_batch_new(void)
{
	struct rollup_batch *b = xcalloc(1, sizeof(*b));

	b->rows = g_hash_table_new_full(row_hash, row_equal, row_free, NULL);
	buf_init(&b->key, SIZE_MAX / 2);        /* bounded by the report */
	return b;
}

void
rollup_batch_free(struct rollup_batch **bp)
{
	if (bp == NULL || *bp == NULL)
		return;
	g_hash_table_destroy((*bp)->rows);
	buf_free(&(*bp)->key);
	free(*bp);
	*bp = NULL;
}

size_t
rollup_batch_rows(const struct rollup_batch *b)
{
	return b != NULL ? g_hash_table_size(b->rows) : 0;
}

static uint64_t
clamp_add(uint64_t a, uint64_t b)
{
	const uint64_t max = 9007199254740991u;

	return a >= max || b >= max - a ? max : a + b;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The pending row of the key in b->key (key_start() gave its kind), a
 * new zeroed one when none; *fresh says which. */
static struct row *
row_of(struct rollup_batch *b, int *fresh)
{
	struct row probe = { .key = b->key.data, .key_len = b->key.len };
	struct row *r = g_hash_table_lookup(b->rows, &probe);

	*fresh = r == NULL;
	if (r != NULL)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->key = xmalloc(b->key.len);
	memcpy(r->key, b->key.data, b->key.len);
	r->key_len = b->key.len;
	r->kind = (enum row_kind)b->key.data[0];
	g_hash_table_add(b->rows, r);
	return r;
}

/* Adds the figures common to day and domain rows. */
static void
add_counts(struct row *r, int fresh, uint64_t reports, uint64_t ok, uint64_t bad,
	   int64_t start, int64_t received)
{
	r->reports += reports;
	r->ok = clamp_add(r->ok, ok);
	r->bad = clamp_add(r->bad, bad);
	if (fresh || start < r->first)
		r->first = start;
	if (fresh || received > r->last)
		r->last = received;
}

void
rollup_batch_day(struct rollup_batch *b, int64_t day, const char *org, uint64_t reports,
		 uint64_t ok, uint64_t bad, int64_t start, int64_t received)
{
	struct row *r;
	int fresh;

	key_start(b, ROW_DAY);
	key_int(b, day);
	key_str(b, org);
	r = row_of(b, &fresh);

	if (fresh) {
		r->day = day;
		r->org = xstrdup(org);
	}
	add_counts(r, fresh, reports, ok, bad, start, received);
}

void
rollup_batch_domain(struct rollup_batch *b, int span, int64_t day, const char *key,
		    const char *org, uint64_t reports, uint64_t ok, uint64_t bad,
		    int64_t start, int64_t received)
{
	int64_t block = span == STORE_ROLLUP_SPAN_ALL ? 0
		       : day >= 0 ? day / span : -((span - 1 - day) / span);
	struct row *r;
	int fresh;

	key_start(b, ROW_DOMAIN);
	key_int(b, span);
	key_int(b, block);
	key_str(b, key);
	key_str(b, org);
	r = row_of(b, &fresh);

	if (fresh) {
		r->span = span;
		r->day = day;
		r->domain = xstrdup(key);
		r->org = xstrdup(org);
	}
	add_counts(r, fresh, reports, ok, bad, start, received);
}

int64_t
rollup_batch_failure(struct rollup_batch *b, const struct failure_add *a)
{
	const char *info = a->info != NULL && *a->info != '\0' ? a->info : NULL;
	struct row *r;
	int fresh;

	key_start(b, ROW_FAILURE);
	key_int(b, a->day);
	key_str(b, a->domain);
	key_str(b, a->org);
	key_str(b, a->type);
	key_str(b, a->mx);
	key_str(b, info != NULL ? info : "");
	r = row_of(b, &fresh);

	if (fresh) {
		r->day = a->day;
		r->digest = store_rollup_group_digest(a->domain, a->org, a->type, a->mx);
		r->domain = xstrdup(a->domain);
		r->org = xstrdup(a->org);
		r->type = xstrdup(a->type);
		r->mx = xstrdup(a->mx);
		r->text = dup_or_null(info);
		r->first = a->first_start;
		r->last = a->last_end;
	}
	r->ok = clamp_add(r->ok, a->sessions);
	r->reports += a->reports;
	if (a->first_start < r->first)
		r->first = a->first_start;
	if (a->last_end > r->last)
		r->last = a->last_end;
	return r->digest;
}

void
rollup_batch_type(struct rollup_batch *b, const struct failure_add *a)
{
	struct row *r;
	int fresh;

	key_start(b, ROW_TYPE);
	key_int(b, a->day);
	key_str(b, a->org);
	key_str(b, a->type);
	r = row_of(b, &fresh);

	if (fresh) {
		r->day = a->day;
		r->org = xstrdup(a->org);
		r->type = xstrdup(a->type);
	}
	r->ok = clamp_add(r->ok, a->sessions);
}

void
rollup_batch_value(struct rollup_batch *b, const struct failure_add *a, int kind,
		   const char *value)
{
	int fresh;
	struct row *r;

	if (value == NULL || *value == '\0')
		return;
	key_start(b, ROW_VALUE);
	key_int(b, a->day);
	key_int(b, a->digest);
	key_int(b, kind);
	key_str(b, value);
	r = row_of(b, &fresh);
	if (fresh) {
		r->day = a->day;
		r->digest = a->digest;
		r->value_kind = kind;
		r->domain = xstrdup(a->domain);
		r->org = xstrdup(a->org);
		r->type = xstrdup(a->type);
		r->mx = xstrdup(a->mx);
		r->text = xstrdup(value);
	}
}

void
rollup_batch_totals(struct rollup_batch *b, const struct failure_add *a, const char *sending_ip,
		    const char *reason_code)
{
	const char *info = a->info != NULL && *a->info != '\0' ? a->info : NULL;
	struct row *r;
	int fresh;

	key_start(b, ROW_TOTALS);
	key_str(b, a->domain);
	key_str(b, a->type);
	key_str(b, a->mx);
	key_str(b, a->org);
	key_str(b, info != NULL ? info : "");
	key_str(b, sending_ip != NULL ? sending_ip : "");
	key_str(b, reason_code != NULL ? reason_code : "");
	r = row_of(b, &fresh);
	if (fresh) {
		r->domain = xstrdup(a->domain);
		r->org = xstrdup(a->org);
		r->type = xstrdup(a->type);
		r->mx = xstrdup(a->mx);
		r->text = dup_or_null(info);
		r->ip = dup_or_null(sending_ip);
		r->code = dup_or_null(reason_code);
		r->first = a->first_start;
		r->last = a->last_end;
	}
	r->ok = clamp_add(r->ok, a->sessions);
	r->reports += a->reports;
	if (a->first_start < r->first)
		r->first = a->first_start;
	if (a->last_end > r->last)
		r->last = a->last_end;
}

void
rollup_batch_reporter(struct rollup_batch *b, const char *key, const char *org, int64_t day)
{
	struct row *r;
	int fresh;

	key_start(b, ROW_REPORTER);
	key_str(b, key);
	key_str(b, org);
	r = row_of(b, &fresh);
	if (fresh) {
		r->domain = xstrdup(key);
		r->org = xstrdup(org);
		r->day = day;
		r->digest = 1;
		return;
	}
	store_rollup_reporters_merge(&r->day, &r->digest, day, 1);
}

void
rollup_batch_policy(struct rollup_batch *b, const struct rollup_policy_add *a)
{
	int64_t block = a->span == STORE_ROLLUP_SPAN_ALL ? 0 : a->day >= 0 ? a->day / a->span
		       : -((a->span - 1 - a->day) / a->span);
	struct row *r;
	int fresh;

	key_start(b, ROW_POLICY);
	key_str(b, a->domain);
	key_int(b, a->span);
	key_int(b, block);
	key_str(b, a->org);
	key_str(b, a->type);
	key_str(b, a->strings);
	r = row_of(b, &fresh);
	if (fresh) {
		r->span = a->span;
		r->day = a->day;
		r->domain = xstrdup(a->domain);
		r->org = xstrdup(a->org);
		r->type = xstrdup(a->type);
		r->text = xstrdup(a->strings);
	}
	add_counts(r, fresh, a->reports, a->ok, a->bad, a->first_start, a->last_received);
}

/* Writes one pending row through store_rollup.c's adders. */
static int
write_row(struct store *s, const struct row *r, struct err *err)
{
	struct failure_add a = {
		.day = r->day, .digest = r->digest, .domain = r->domain, .org = r->org,
		.type = r->type, .mx = r->mx, .sessions = r->ok, .reports = r->reports,
		.first_start = r->first, .last_end = r->last, .info = r->text,
	};

	switch (r->kind) {
	case ROW_DAY:
		return store_rollup_add_day(s, r->day, r->org, r->reports, r->ok, r->bad,
					    r->first, r->last, err);
	case ROW_DOMAIN:
		return store_rollup_add_domain(s, r->span, r->day, r->domain, r->org, r->reports,
					       r->ok, r->bad, r->first, r->last, err);
	case ROW_FAILURE:
		return store_rollup_add_failure(s, &a, err);
	case ROW_TYPE:
		return store_rollup_add_type(s, &a, err);
	case ROW_VALUE:
		return store_rollup_add_value(s, &a, r->value_kind, r->text, err);
	case ROW_TOTALS:
		return store_rollup_totals_add_failure(s, &a, r->ip, r->code, err);
	case ROW_REPORTER:
		return store_rollup_reporters_add(s, r->domain, r->org, r->day, r->digest, err);
	case ROW_POLICY: {
		struct rollup_policy_add p = {
			.span = r->span, .day = r->day, .domain = r->domain, .org = r->org,
			.type = r->type, .strings = r->text, .reports = r->reports, .ok = r->ok,
			.bad = r->bad, .first_start = r->first, .last_received = r->last,
		};

		return store_rollup_policies_add(s, &p, err);
	}
	}
	return 0;
}

static int
cmp_row_key(const void *x, const void *y)
{
	const struct row *a = *(const struct row *const *)x;
	const struct row *b = *(const struct row *const *)y;

	int c = memcmp(a->key, b->key, a->key_len < b->key_len ? a->key_len : b->key_len);

	return c != 0 ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

int
store_rollup_batch_flush(struct store *s, struct err *err)
{
	struct row **v;
	GHashTableIter it;
	gpointer value;
	size_t n = rollup_batch_rows(s->rollup_batch), i = 0;
	int rc = 0;

	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	g_hash_table_iter_init(&it, s->rollup_batch->rows);
	while (g_hash_table_iter_next(&it, &value, NULL))
		v[i++] = value;
	qsort(v, n, sizeof(*v), cmp_row_key);
	for (i = 0; rc == 0 && i < n; i++)
		rc = write_row(s, v[i], err);
	free(v);
	if (rc < 0)
		err_prefix(err, "writing the roll-ups of the transaction");
	g_hash_table_remove_all(s->rollup_batch->rows);
	return rc;
}

void
store_rollup_batch_discard(struct store *s)
{
	if (s->rollup_batch != NULL)
		g_hash_table_remove_all(s->rollup_batch->rows);
}
