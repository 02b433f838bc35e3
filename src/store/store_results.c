/*
 * store_results: sending-side results, stored pre-aggregated.
 *
 * store_put_results() sorts a batch by policy tuple and folds equal tuples
 * into one counter update.  Each distinct tuple is one result_tuples
 * row, found by a 64-bit digest of (day, tuple) and inserted once; the
 * batch's counts go with a new row (or update it in place when it exists
 * but the caller did not know it), and are appended to result_deltas
 * (sequential pages, however many domains there are) for a row the
 * caller knows: a caller that kept the keys of rows it made
 * (store_put_results_keyed()) skips the digest and the probe.  Every FOLD_EVERY batches (in a transaction of
 * its own), and before results are read, the deltas are folded into
 * result_tuples in one bulk UPDATE.
 * Failure tuples are upserted (failed_count += …) under a digest of
 * (policy, failure tuple).  Policy strings and MX
 * hosts are kept joined with '\n' (they are lines; an MTA never sends one
 * with a newline in it).
 */
#include "store/store_results.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define MAX_RETRIES 3
#define KEY_MAX (64u << 20)
/* Fold the deltas after this many batches on one handle: often enough to
 * keep result_deltas small, rarely enough that the bulk UPDATE touches each
 * page of result_tuples once for many batches. */
#define FOLD_EVERY 128

/* A tuple whose row the caller does not know: made with its first
 * counters, or, if it exists, counted in place (the probe of the key
 * reads that page anyway). */
static const char sql_put_policy[] =
	"INSERT INTO result_tuples (key, day, domain, tlsrpt_record, policy_type,"
	" policy_domain, policy_strings, mx_hosts, total_success, total_failure)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (key) DO UPDATE SET"
	" total_success = result_tuples.total_success + excluded.total_success,"
	" total_failure = result_tuples.total_failure + excluded.total_failure";

static const char sql_put_delta[] =
	"INSERT INTO result_deltas (policy, ok, failed) VALUES ($1, $2, $3)";

static const char sql_put_failure[] =
	"INSERT INTO result_failures (key, policy, result_type, result_code,"
	" sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,"
	" additional_information, failure_reason_code, failed_count)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
	" ON CONFLICT (key) DO UPDATE SET"
	" failed_count = result_failures.failed_count + excluded.failed_count";

/* PostgreSQL: no delta may be added between the UPDATE and the DELETE of
 * a fold (SQLite writers are serialized by the database lock anyway). */
static const char sql_lock_deltas[] = "LOCK TABLE result_deltas IN EXCLUSIVE MODE";

/* PostgreSQL: a batch updates rows of result_tuples (sql_put_policy) and
 * the fold updates them too; a batch takes the lock that conflicts with
 * the fold's before any row lock, so one waits for the other whole. */
static const char sql_lock_batch[] = "LOCK TABLE result_deltas IN ROW EXCLUSIVE MODE";

static const char sql_fold[] =
	"UPDATE result_tuples SET"
	" total_success = result_tuples.total_success + d.ok,"
	" total_failure = result_tuples.total_failure + d.failed"
	" FROM (SELECT policy, SUM(ok) AS ok, SUM(failed) AS failed FROM result_deltas"
	" GROUP BY policy) AS d WHERE result_tuples.key = d.policy";

/* One failure of the batch, with the key of its policy and the number of
 * sessions it stands for. */
struct fitem {
	int64_t policy;
	int64_t weight;
	const struct result_failure *f;
};

static int
cmp_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (a == NULL)
		return -1;
	if (b == NULL)
		return 1;
	return strcmp(a, b);
}

static int
cmp_list(const struct strlist *a, const struct strlist *b)
{
	int c;

	for (size_t i = 0; i < a->n && i < b->n; i++)
		if ((c = strcmp(a->v[i], b->v[i])) != 0)
			return c;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* One result of the batch and a quick hash of its policy tuple. */
struct ritem {
	int64_t day;
	uint64_t hash;
	int64_t weight;         /* sessions this result stands for */
	const struct result *r;
	int64_t known;          /* the key of its row, known to exist; 0: unknown */
	int64_t key;            /* the key written (set by put_sorted()) */
	int64_t *out;           /* where the caller wants the key after the commit */
};

/* FNV-1a over one field; NULL and "" hash differently. */
static uint64_t
hash_str(uint64_t h, const char *s)
{
	if (s == NULL)
		return (h ^ 0xfe) * 0x100000001b3ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t
hash_policy(const struct result *r)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)r->policy_type;

	h = hash_str(hash_str(hash_str(h, r->domain), r->tlsrpt_record), r->policy_domain);
	for (size_t i = 0; i < r->policy_string.n; i++)
		h = hash_str(h, r->policy_string.v[i]);
	h = hash_str(h, NULL);
	for (size_t i = 0; i < r->mx_host.n; i++)
		h = hash_str(h, r->mx_host.v[i]);
	return h;
}

/* Sorting by (day, hash) keeps equal tuples together and costs no string
 * comparison; a hash collision only splits a group (two updates instead
 * of one), which changes no sum.  The groups are then written in key
 * order (cmp_group). */
static int
cmp_item(const void *pa, const void *pb)
{
	const struct ritem *a = pa, *b = pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

/* Returns 1 if a and b have the same policy tuple (and day). */
static int
same_policy(const struct result *a, const struct result *b)
{
	int c;

	if (a->day != b->day || a->policy_type != b->policy_type)
		return 0;
	if ((c = cmp_str(a->domain, b->domain)) != 0 ||
	    (c = cmp_str(a->tlsrpt_record, b->tlsrpt_record)) != 0 ||
	    (c = cmp_str(a->policy_domain, b->policy_domain)) != 0 ||
	    (c = cmp_list(&a->policy_string, &b->policy_string)) != 0)
		return 0;
	return cmp_list(&a->mx_host, &b->mx_host) == 0;
}

static int
cmp_failure(const void *pa, const void *pb)
{
	const struct fitem *a = pa, *b = pb;
	int c;

	if (a->policy != b->policy)
		return a->policy < b->policy ? -1 : 1;
	if (a->f->type != b->f->type)
		return a->f->type < b->f->type ? -1 : 1;
	if (a->f->code != b->f->code)
		return a->f->code < b->f->code ? -1 : 1;
	if ((c = cmp_str(a->f->sending_mta_ip, b->f->sending_mta_ip)) != 0 ||
	    (c = cmp_str(a->f->receiving_mx_hostname, b->f->receiving_mx_hostname)) != 0 ||
	    (c = cmp_str(a->f->receiving_mx_helo, b->f->receiving_mx_helo)) != 0 ||
	    (c = cmp_str(a->f->receiving_ip, b->f->receiving_ip)) != 0 ||
	    (c = cmp_str(a->f->additional_information, b->f->additional_information)) != 0)
		return c;
	return cmp_str(a->f->failure_reason_code, b->f->failure_reason_code);
}

/* Appends one field to a digest input: a length (all ones for NULL), then
 * the bytes, so no two different tuples give the same input. */
static void
key_add(struct buf *k, const char *s)
{
	uint32_t len = s != NULL ? (uint32_t)strlen(s) : UINT32_MAX;

	buf_append(k, &len, sizeof(len));
	if (s != NULL)
		buf_append(k, s, len);
}

static void
key_add_list(struct buf *k, const struct strlist *l)
{
	uint32_t n = (uint32_t)l->n;

	buf_append(k, &n, sizeof(n));
	for (size_t i = 0; i < l->n; i++)
		key_add(k, l->v[i]);
}

static void
join(struct buf *b, const struct strlist *l)
{
	buf_reset(b);
	buf_append(b, "", 0);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			buf_append(b, "\n", 1);
		buf_append_str(b, l->v[i]);
	}
}

/* One distinct policy tuple of the batch: items v[first..last) and the
 * tuple's key (known: its row exists, the caller said so). */
struct group {
	size_t first, last;
	int64_t ok, failed;
	int64_t key;
	int known;
};

/* Inserting in key order puts consecutive new keys on neighbouring index
 * pages (found in the CPU cache, not by a fresh descent); it is also one
 * order for every writer (PostgreSQL: no deadlocks). */
static int
cmp_group(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;

	return a->key < b->key ? -1 : a->key > b->key;
}

/* Returns the key of r's policy tuple: the digest of (day, tuple). */
static int64_t
policy_key(const struct result *r, struct store_digester *dg, struct buf *key)
{
	buf_reset(key);
	buf_append(key, &r->day, sizeof(r->day));
	key_add(key, r->domain);
	key_add(key, r->tlsrpt_record);
	key_add(key, policy_type_to_string(r->policy_type));
	key_add(key, r->policy_domain);
	key_add_list(key, &r->policy_string);
	key_add_list(key, &r->mx_host);
	return store_digester_digest64(dg, key->data, key->len);
}

/* Adds the counters to the row of r's policy tuple (key `id`): as a
 * delta row when the caller knows the row exists (an append, no probe);
 * otherwise the row is made with them, or counted in place if it exists
 * (one statement, no delta row).  The strings are bound without a copy:
 * r and the two joined lists (tmp[0], tmp[1]) outlive the step. */
static int
put_policy(struct db_stmt *sp, struct db_stmt *sd, const struct result *r, int64_t id,
	   int known, int64_t ok, int64_t failed, struct buf tmp[2], struct err *err)
{
	if (known)
		goto delta;
	db_reset(sp);
	db_bind_int64(sp, 1, id);
	db_bind_int64(sp, 2, r->day);
	db_bind_text_static(sp, 3, r->domain != NULL ? r->domain : "");
	db_bind_text_static(sp, 4, r->tlsrpt_record);
	db_bind_text_static(sp, 5, policy_type_to_string(r->policy_type));
	db_bind_text_static(sp, 6, r->policy_domain);
	join(&tmp[0], &r->policy_string);
	db_bind_text_static(sp, 7, tmp[0].data);
	join(&tmp[1], &r->mx_host);
	db_bind_text_static(sp, 8, tmp[1].data);
	db_bind_int64(sp, 9, ok);
	db_bind_int64(sp, 10, failed);
	if (db_step(sp, err) < 0)
		return -1;
	db_reset(sp);
	return 0;
delta:
	db_reset(sd);
	db_bind_int64(sd, 1, id);
	db_bind_int64(sd, 2, ok);
	db_bind_int64(sd, 3, failed);
	if (db_step(sd, err) < 0)
		return -1;
	db_reset(sd);
	return 0;
}

static int
put_failure(struct db_stmt *st, const struct fitem *it, int64_t count,
	    struct store_digester *dg, struct buf *key, struct err *err)
{
	const struct result_failure *f = it->f;
	const char *type = result_type_to_string(f->type);
	int rc;

	buf_reset(key);
	buf_append(key, &it->policy, sizeof(it->policy));
	buf_append(key, &f->code, sizeof(f->code));
	key_add(key, type);
	key_add(key, f->sending_mta_ip);
	key_add(key, f->receiving_mx_hostname);
	key_add(key, f->receiving_mx_helo);
	key_add(key, f->receiving_ip);
	key_add(key, f->additional_information);
	key_add(key, f->failure_reason_code);

	db_reset(st);
	db_bind_int64(st, 1, store_digester_digest64(dg, key->data, key->len));
	db_bind_int64(st, 2, it->policy);
	db_bind_text_static(st, 3, type);
	db_bind_int64(st, 4, f->code);
	db_bind_text_static(st, 5, f->sending_mta_ip);
	db_bind_text_static(st, 6, f->receiving_mx_hostname);
	db_bind_text_static(st, 7, f->receiving_mx_helo);
	db_bind_text_static(st, 8, f->receiving_ip);
	db_bind_text_static(st, 9, f->additional_information);
	db_bind_text_static(st, 10, f->failure_reason_code);
	db_bind_int64(st, 11, count);
	rc = db_step(st, err);
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Folds result_deltas into result_tuples; the caller holds the
 * transaction. */
static int
fold(struct store *s, struct err *err)
{
	if (db_dialect(s->db) == DB_DIALECT_PG && db_exec(s->db, sql_lock_deltas, err) < 0)
		return -1;
	if (db_exec(s->db, sql_fold, err) < 0 ||
	    db_exec(s->db, "DELETE FROM result_deltas", err) < 0) {
		err_prefix(err, "folding result counters");
		return -1;
	}
	return 0;
}

/* On PostgreSQL the table lock is the first lock the fold's transaction
 * takes, so a fold waits for the writers in flight and none of them waits
 * for it while holding something it needs: no deadlock. */
int
store_results_fold(struct store *s, struct err *err)
{
	if (store_begin(s, err) < 0)
		return -1;
	if (fold(s, err) < 0) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, err) < 0)
		return -1;
	s->result_puts = 0;
	return 0;
}

/* Writes the sorted batch and sets each item's key; the caller holds the
 * transaction. */
static int
put_sorted(struct store *s, struct ritem *v, size_t n, struct err *err)
{
	struct db_stmt *sp, *sd, *sf;
	struct fitem *fv = NULL;
	struct group *gv;
	size_t nf = 0, cap = 0, ng = 0;
	struct store_digester dg;
	struct buf key, tmp[2];
	int rc = -1;

	store_digester_init(&dg);
	buf_init(&key, KEY_MAX);
	buf_init(&tmp[0], KEY_MAX);
	buf_init(&tmp[1], KEY_MAX);
	gv = xreallocarray(NULL, n, sizeof(*gv));
	if (db_dialect(s->db) == DB_DIALECT_PG && db_exec(s->db, sql_lock_batch, err) < 0)
		goto out;
	if ((sp = db_prepare(s->db, sql_put_policy, err)) == NULL ||
	    (sd = db_prepare(s->db, sql_put_delta, err)) == NULL ||
	    (sf = db_prepare(s->db, sql_put_failure, err)) == NULL)
		goto out;
	for (size_t i = 0, j; i < n; i = j) {
		struct group *g = &gv[ng++];

		g->ok = g->failed = 0;
		g->key = 0;
		for (j = i; j < n && (j == i || (v[j].hash == v[i].hash &&
						  same_policy(v[i].r, v[j].r))); j++) {
			if (v[j].r->failed)
				g->failed += v[j].weight;
			else
				g->ok += v[j].weight;
			if (v[j].known != 0)
				g->key = v[j].known;
		}
		g->first = i;
		g->last = j;
		g->known = g->key != 0;
		if (!g->known)
			g->key = policy_key(v[i].r, &dg, &key);
		for (size_t k = i; k < j; k++)
			v[k].key = g->key;
	}
	qsort(gv, ng, sizeof(*gv), cmp_group);
	for (size_t gi = 0; gi < ng; gi++) {
		const struct group *g = &gv[gi];
		const struct result *r = v[g->first].r;

		if (put_policy(sp, sd, r, g->key, g->known, g->ok, g->failed, tmp, err) < 0) {
			err_prefix(err, "domain=%s", r->domain ? r->domain : "");
			goto out;
		}
		for (size_t k = g->first; k < g->last; k++) {
			for (size_t m = 0; m < v[k].r->n_failures; m++) {
				if (nf == cap) {
					cap = cap ? cap * 2 : 64;
					fv = xreallocarray(fv, cap, sizeof(*fv));
				}
				fv[nf].policy = g->key;
				fv[nf].weight = v[k].weight;
				fv[nf++].f = &v[k].r->failures[m];
			}
		}
	}
	if (nf > 0)
		qsort(fv, nf, sizeof(*fv), cmp_failure);
	for (size_t i = 0, j; i < nf; i = j) {
		int64_t count = fv[i].weight;

		for (j = i + 1; j < nf && cmp_failure(&fv[i], &fv[j]) == 0; j++)
			count += fv[j].weight;
		if (put_failure(sf, &fv[i], count, &dg, &key, err) < 0)
			goto out;
	}
	rc = 0;
out:
	free(gv);
	free(fv);
	store_digester_free(&dg);
	buf_free(&key);
	buf_free(&tmp[0]);
	buf_free(&tmp[1]);
	return rc;
}

int
store_put_results(struct store *s, const struct result *results, size_t n,
		  struct err *err)
{
	return store_put_results_counted(s, results, NULL, n, err);
}

int
store_put_results_counted(struct store *s, const struct result *results,
			  const uint64_t *counts, size_t n, struct err *err)
{
	return store_put_results_keyed(s, results, counts, NULL, n, err);
}

int
store_put_results_keyed(struct store *s, const struct result *results,
			const uint64_t *counts, int64_t *keys, size_t n, struct err *err)
{
	struct ritem *v;
	int outer = s->depth == 0;
	int rc = -1;

	if (n == 0)
		return 0;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		v[i].day = results[i].day;
		v[i].hash = hash_policy(&results[i]);
		v[i].weight = counts != NULL ? (int64_t)counts[i] : 1;
		v[i].r = &results[i];
		v[i].known = keys != NULL ? keys[i] : 0;
		v[i].key = 0;
		v[i].out = keys != NULL ? &keys[i] : NULL;
	}
	qsort(v, n, sizeof(*v), cmp_item);
	/* Fold first, outside the batch's transaction (see store_results_fold()); a
	 * failed fold loses nothing, the deltas wait for the next one. */
	if (outer && s->result_puts >= FOLD_EVERY && store_results_fold(s, err) < 0)
		s->result_puts = 0;
	/* A deadlock or busy store is transient: retry the whole batch, but only
	 * when the transaction is ours to retry. */
	for (int attempt = 0; attempt < MAX_RETRIES && rc < 0; attempt++) {
		if (store_begin(s, err) < 0)
			break;
		if (put_sorted(s, v, n, err) == 0 && store_commit(s, err) == 0) {
			s->result_puts++;
			rc = 0;
			break;
		}
		store_rollback(s);
		if (!outer || !db_is_retryable(s->db))
			break;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (v[i].out != NULL)
			*v[i].out = v[i].key;
	free(v);
	if (rc < 0)
		err_prefix(err, "storing %zu results", n);
	return rc;
}
