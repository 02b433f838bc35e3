/*
 * store_reports: reports received from others, stored once.
 *
 * A report is one `reports` row, one `report_policies` row per policy and
 * one `report_failures` row per failure detail, all written in one
 * transaction.  The dedup key is the report-id; when the report-id is
 * empty or pathological (Microsoft's "…+" with the domain part missing) it
 * is extended with (start, end, policy-domain set), research/receivers.md
 * §6.  String lists (policy-string, mx-host, quirks) are kept as JSON
 * arrays (store_list_json()), so nothing is split or joined lossily.  A
 * report's domain keys and policy-string lists are computed once and
 * shared by its rows and roll-ups (put_body()).  Reading reports back:
 * store_reports_read.c.
 */
#include "store/store_reports.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/report_json.h"
#include "model/report_json_direct.h"
#include "store/store_conflicts.h"
#include "store/store_private.h"
#include "store/store_reports_private.h"
#include "store/store_report_types.h"
#include "store/store_rollup.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const char sql_put_report[] =
	"INSERT INTO reports (" STORE_REPORT_HEAD_COLUMNS ")"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
	" ON CONFLICT (organization, dedup_key) DO NOTHING";

#define POLICY_COLUMNS \
	"report, seq, policy_type, policy_domain, domain_key, policy_strings, mx_hosts," \
	" total_success, total_failure, has_failure_details, extra_json"

static const char sql_put_policy[] =
	"INSERT INTO report_policies (" POLICY_COLUMNS ")"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/* A policy whose id the caller drew from the sequence (a group of
 * reports, store_reports_group.c): $12 is the id. */
static const char sql_put_policy_id[] =
	"INSERT INTO report_policies (" POLICY_COLUMNS ", id)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

#define FAILURE_COLUMNS \
	"INSERT INTO report_failures (policy, seq, result_type, sending_mta_ip," \
	" receiving_mx_hostname, receiving_mx_helo, receiving_ip, failed_session_count," \
	" additional_information, failure_reason_code, extra_json)"

static const char sql_put_failure[] =
	FAILURE_COLUMNS " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/* PostgreSQL: the policy is the one this session inserted last (its id
 * sequence's currval()), so the policy's INSERT need not wait for its id
 * to come back: both go in the pipeline (db_run()).  $1 is unused there
 * but bound, so both texts take the same parameters. */
static const char sql_put_failure_pg[] =
	FAILURE_COLUMNS " VALUES (currval('report_policies_id_seq') + 0 * $1::bigint,"
	" $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* RFC 8460 gives report-id no format; "…+" is what Microsoft sends when
 * the domain part is missing, so it is not unique on its own. */
static int
weak_report_id(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return n == 0 || id[n - 1] == '+';
}

char *
store_report_dedup_key(const struct report *r)
{
	struct buf b;
	char **d;
	size_t len;

	if (!weak_report_id(r->report_id))
		return xstrdup(r->report_id);
	d = xcalloc(r->n_policies + 1, sizeof(*d));
	for (size_t i = 0; i < r->n_policies; i++)
		d[i] = store_lower(r->policies[i].policy_domain);
	qsort(d, r->n_policies, sizeof(*d), cmp_cstr);
	buf_init(&b, (size_t)1 << 24);
	buf_printf(&b, "~%s|%lld|%lld|", r->report_id ? r->report_id : "",
		   (long long)r->start, (long long)r->end);
	for (size_t i = 0; i < r->n_policies; i++)
		if (i == 0 || strcmp(d[i], d[i - 1]) != 0)
			buf_printf(&b, "%s,", d[i]);
	for (size_t i = 0; i < r->n_policies; i++)
		free(d[i]);
	free(d);
	return buf_steal(&b, &len);
}

/* Inserts p (policy number seq)'s failure details under policy_id, or
 * (PostgreSQL, policy_id 0) under the policy this session inserted last.
 * A failed row is named "policies[seq]: failure-details[i]" on both
 * engines (db_run_labeled()). */
static int
put_failures(struct store *s, int64_t policy_id, size_t seq, const struct policy *p,
	     struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, policy_id != 0 ? sql_put_failure
						: sql_put_failure_pg, err);

	if (st == NULL)
		return -1;
	for (size_t i = 0; i < p->n_failure_details; i++) {
		const struct failure_detail *d = &p->failure_details[i];

		db_reset(st);
		db_bind_int64(st, 1, policy_id);
		db_bind_int64(st, 2, (int64_t)i);
		db_bind_text_static(st, 3, d->result_type);
		db_bind_text_static(st, 4, d->sending_mta_ip);
		db_bind_text_static(st, 5, d->receiving_mx_hostname);
		db_bind_text_static(st, 6, d->receiving_mx_helo);
		db_bind_text_static(st, 7, d->receiving_ip);
		db_bind_int64(st, 8, (int64_t)d->failed_session_count);
		db_bind_text_static(st, 9, d->additional_information);
		db_bind_text_static(st, 10, d->failure_reason_code);
		db_bind_text_static(st, 11, d->extra_json);
		if (db_run_labeled(st, err, "policies[%zu]: failure-details[%zu]", seq, i) < 0)
			return -1;
	}
	db_reset(st);
	return 0;
}

/* Inserts policy p (number seq) of report report_id, whose domain key is
 * key and policy-string list strings (store_list_json(), NULL: absent);
 * its id is policy_id, or (0) the one the store gives it.  A failed row
 * is named "policies[seq]" (db_run_labeled() on PostgreSQL, whose error
 * may come from a later call). */
static int
put_policy(struct store *s, int64_t report_id, int64_t policy_id, size_t seq,
	   const struct policy *p, const char *key, const char *strings, struct err *err)
{
	/* PostgreSQL: sent without waiting for the new id (put_failures()) */
	const int pipelined = policy_id != 0 || db_dialect(s->db) == DB_DIALECT_PG;
	struct db_stmt *st = policy_id != 0 ? db_prepare(s->db, sql_put_policy_id, err)
			     : pipelined ? db_prepare(s->db, sql_put_policy, err)
			     : db_prepare_insert(s->db, sql_put_policy, err);
	char *mx = NULL;
	int64_t id = policy_id;
	int rc = -1;

	if (st == NULL)
		return -1;
	mx = store_list_json(&p->mx_host, p->has_mx_host);
	db_bind_int64(st, 1, report_id);
	db_bind_int64(st, 2, (int64_t)seq);
	db_bind_text_static(st, 3, p->policy_type);
	db_bind_text_static(st, 4, p->policy_domain);
	db_bind_text_static(st, 5, key);
	db_bind_text_static(st, 6, strings);
	db_bind_text_static(st, 7, mx);
	db_bind_int64(st, 8, (int64_t)p->total_successful_session_count);
	db_bind_int64(st, 9, (int64_t)p->total_failure_session_count);
	db_bind_int64(st, 10, p->has_failure_details);
	db_bind_text_static(st, 11, p->extra_json);
	if (policy_id != 0)
		db_bind_int64(st, 12, policy_id);
	if (pipelined) {
		if (db_run_labeled(st, err, "policies[%zu]", seq) < 0)
			goto out;
	} else if (db_step_insert(st, &id, err) != 1) {
		err_prefix(err, "policies[%zu]", seq);
		goto out;
	}
	db_reset(st);
	rc = put_failures(s, id, seq, p, err);
out:
	db_reset(st);
	free(mx);
	return rc;
}

void
store_report_head_fill(struct store_report_head *h, const struct report *r,
		       const struct report_source *src, int64_t digest)
{
	h->key = store_report_dedup_key(r);
	h->quirks = r->quirks.n > 0 ? store_list_json(&r->quirks, 1) : NULL;
	h->text[0] = r->organization_name ? r->organization_name : "";
	h->text[1] = r->report_id ? r->report_id : "";
	h->text[2] = h->key;
	h->num[3] = r->start;
	h->num[4] = r->end;
	h->text[5] = r->start_datetime;
	h->text[6] = r->end_datetime;
	h->text[7] = r->contact_info;
	h->text[8] = r->extra_json;
	h->text[9] = h->quirks;
	h->text[10] = src ? src->raw_json : NULL;
	h->text[11] = src ? src->channel : NULL;
	h->text[12] = src ? src->name : NULL;
	h->num[13] = src && src->received ? src->received : (int64_t)time(NULL);
	h->num[14] = digest;
}

void
store_report_head_free(struct store_report_head *h)
{
	free(h->key);
	free(h->quirks);
}

/* Inserts the reports row; sets *id, or 0 for a duplicate. */
static int
put_head(struct store *s, const struct report *r, const struct report_source *src,
	 int64_t digest, int64_t *id, struct err *err)
{
	struct db_stmt *st = db_prepare_insert(s->db, sql_put_report, err);
	struct store_report_head h = { 0 };
	int rc;

	if (st == NULL)
		return -1;
	store_report_head_fill(&h, r, src, digest);
	for (int k = 0; k < STORE_REPORT_HEAD_N; k++) {
		if (STORE_REPORT_HEAD_IS_NUM(k))
			db_bind_int64(st, k + 1, h.num[k]);
		else
			db_bind_text_static(st, k + 1, h.text[k]);
	}
	rc = db_step_insert(st, id, err);
	db_reset(st);
	store_report_head_free(&h);
	return rc < 0 ? -1 : 0;
}

/* The id of the stored report r duplicates, or 0. */
static int64_t
stored_id(struct store *s, const struct report *r, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, "SELECT id FROM reports WHERE organization = $1"
					" AND dedup_key = $2", err);
	char *key;
	int64_t id = 0;
	int rc;

	if (st == NULL)
		return -1;
	key = store_report_dedup_key(r);
	db_bind_text(st, 1, r->organization_name ? r->organization_name : "");
	db_bind_text(st, 2, key);
	rc = db_step(st, err);
	if (rc == 1)
		id = db_column_int64(st, 0);
	db_reset(st);
	free(key);
	return rc < 0 ? -1 : id;
}

int
store_report_put_duplicate(struct store *s, const struct report *r, const struct report_source *src,
	      int64_t digest, struct err *err)
{
	int64_t id = stored_id(s, r, err);
	int rc;

	if (id < 0)
		return -1;
	if (id == 0)
		return 0;
	rc = store_conflict_note(s, id, digest, src, err);
	if (rc < 0)
		return -1;
	return rc == 1 ? 2 : 0;
}

/* What the rows and roll-ups of a report share, computed once: per
 * policy its domain key and policy-string list (store_list_json()). */
struct derived {
	char **keys, **strings;
	size_t n;
};

static void
derive(struct derived *d, const struct report *r)
{
	d->n = r->n_policies;
	d->keys = xcalloc(d->n + 1, sizeof(*d->keys));
	d->strings = xcalloc(d->n + 1, sizeof(*d->strings));
	for (size_t i = 0; i < d->n; i++) {
		const struct policy *p = &r->policies[i];

		d->keys[i] = report_domain_key(p->policy_domain);
		d->strings[i] = store_list_json(&p->policy_string, p->has_policy_string);
	}
}

static void
derived_free(struct derived *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->keys[i]);
		free(d->strings[i]);
	}
	free(d->keys);
	free(d->strings);
}

int
store_report_put_body(struct store *s, int64_t id, const int64_t *policy_ids,
		      const struct report *r, const struct report_source *src, struct err *err)
{
	int64_t received = src && src->received ? src->received : (int64_t)time(NULL);
	struct derived d;
	int rc = -1;

	derive(&d, r);
	for (size_t i = 0; i < r->n_policies; i++)
		if (put_policy(s, id, policy_ids != NULL ? policy_ids[i] : 0, i, &r->policies[i],
			       d.keys[i], d.strings[i], err) < 0)
			goto out;
	if (store_views_put_report(s, id, r, d.keys, received, err) < 0 ||
	    store_report_types_put(s, id, r, d.keys, err) < 0)
		goto out;
	store_rollup_put_report(s, r, d.keys, d.strings, received);
	rc = 0;
out:
	derived_free(&d);
	return rc;
}

/* Stores r, whose content digest is digest; own_tx: in a transaction (a
 * savepoint inside the caller's) of its own, else in the caller's with
 * nothing undone on error. */
static int
put_report(struct store *s, const struct report *r, const struct report_source *src,
	   int64_t digest, int own_tx, struct err *err)
{
	int64_t id;
	int rc;

	s->put_retryable = 0;
	if (own_tx && store_begin(s, err) < 0)
		goto fail;
	if (put_head(s, r, src, digest, &id, err) < 0)
		goto rollback;
	if (id == 0) {
		if ((rc = store_report_put_duplicate(s, r, src, digest, err)) < 0)
			goto rollback;
		if (rc == 0) {
			if (own_tx)
				store_rollback(s);
			return 0;
		}
		if (own_tx && store_commit(s, err) < 0)
			goto fail;
		return 2;
	}
	/* the sync: a failure of the body's rows is this report's, named by
	 * its row's label (db_run_labeled()) */
	if (store_report_put_body(s, id, NULL, r, src, err) < 0 || db_sync(s->db, err) < 0)
		goto rollback;
	if (own_tx && store_commit(s, err) < 0)
		goto fail;
	return 1;
rollback:
	/* before the roll-back, which clears the connection's error */
	s->put_retryable = db_is_retryable(s->db);
	if (own_tx)
		store_rollback(s);
fail:
	err_prefix(err, "storing report-id=%s org=%s", r->report_id ? r->report_id : "",
		   r->organization_name ? r->organization_name : "");
	return -1;
}

/* store_report_content_digest(r), with the handle's digester. */
static int64_t
handle_digest(struct store *s, const struct report *r)
{
	char *canon = report_write_json(r, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED);
	int64_t digest = canon != NULL ? store_handle_digest64(s, canon, strlen(canon)) : 0;

	free(canon);
	return digest;
}

int
store_put_report(struct store *s, const struct report *r, const struct report_source *src,
		 struct err *err)
{
	return put_report(s, r, src, handle_digest(s, r), 1, err);
}

int
store_put_report_digest(struct store *s, const struct report *r,
			const struct report_source *src, int64_t digest, struct err *err)
{
	return put_report(s, r, src, digest, 1, err);
}

int
store_put_report_in_batch(struct store *s, const struct report *r,
			  const struct report_source *src, struct err *err)
{
	return store_put_report_in_batch_digest(s, r, src, handle_digest(s, r), err);
}

int
store_put_report_in_batch_digest(struct store *s, const struct report *r,
				 const struct report_source *src, int64_t digest,
				 struct err *err)
{
	if (s->depth == 0) {
		err_set(err, "internal error: store_put_report_in_batch() outside a transaction");
		return -1;
	}
	return put_report(s, r, src, digest, 0, err);
}
