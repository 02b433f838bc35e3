/*
 * store_reports: reports received from others, stored once.
 *
 * A report is one `reports` row, one `report_policies` row per policy and
 * one `report_failures` row per failure detail, all written in one
 * transaction.  The dedup key is the report-id; when the report-id is
 * empty or pathological (Microsoft's "…+" with the domain part missing) it
 * is extended with (start, end, policy-domain set), research/receivers.md
 * §6.  String lists (policy-string, mx-host, quirks) are kept as JSON
 * arrays (jansson), so nothing is split or joined lossily.  Counts read
 * back are clamped to 0..2^53-1 (count_from_int64()): a row an older version
 * stored without the plausibility limit cannot make a view wrap.
 */
#include "store/store_reports.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/domain_scope.h"
#include "model/report_json.h"
#include "model/report_json_direct.h"
#include "store/store_conflicts.h"
#include "store/store_private.h"
#include "store/store_report_types.h"
#include "store/store_rollup.h"
#include "store/store_views.h"
#include "util/buf.h"
#include "util/count.h"
#include "util/xalloc.h"

static const char sql_put_report[] =
	"INSERT INTO reports (organization, report_id, dedup_key, start_time, end_time,"
	" start_datetime, end_datetime, contact_info, extra_json, quirks_json, raw_json,"
	" source_channel, source_name, received, content_digest)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
	" ON CONFLICT (organization, dedup_key) DO NOTHING";

static const char sql_put_policy[] =
	"INSERT INTO report_policies (report, seq, policy_type, policy_domain, domain_key,"
	" policy_strings, mx_hosts, total_success, total_failure, has_failure_details,"
	" extra_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

static const char sql_put_failure[] =
	"INSERT INTO report_failures (policy, seq, result_type, sending_mta_ip,"
	" receiving_mx_hostname, receiving_mx_helo, receiving_ip, failed_session_count,"
	" additional_information, failure_reason_code, extra_json)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

static int
json_list(const char *text, struct strlist *l)
{
	json_t *a;
	size_t i;
	json_t *v;

	if (text == NULL)
		return 0;
	a = json_loads(text, JSON_DECODE_ANY, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		return 0;
	}
	json_array_foreach(a, i, v)
		if (json_is_string(v))
			strlist_add(l, json_string_value(v));
	json_decref(a);
	return 1;
}

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

static char *
dedup_key(const struct report *r)
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

static int
put_failures(struct store *s, int64_t policy_id, const struct policy *p, struct err *err)
{
	struct db_stmt *st = db_prepare(s->db, sql_put_failure, err);

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
		if (db_step(st, err) < 0) {
			err_prefix(err, "failure-details[%zu]", i);
			return -1;
		}
	}
	db_reset(st);
	return 0;
}

static int
put_policy(struct store *s, int64_t report_id, size_t seq, const struct policy *p,
	   struct err *err)
{
	struct db_stmt *st = db_prepare_insert(s->db, sql_put_policy, err);
	char *strings = NULL, *mx = NULL, *key = NULL;
	int64_t id = 0;
	int rc = -1;

	if (st == NULL)
		return -1;
	strings = store_list_json(&p->policy_string, p->has_policy_string);
	mx = store_list_json(&p->mx_host, p->has_mx_host);
	key = report_domain_key(p->policy_domain);
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
	if (db_step_insert(st, &id, err) != 1)
		goto out;
	db_reset(st);
	rc = put_failures(s, id, p, err);
out:
	db_reset(st);
	if (rc < 0)
		err_prefix(err, "policies[%zu]", seq);
	free(strings);
	free(mx);
	free(key);
	return rc;
}

/* Inserts the reports row; sets *id, or 0 for a duplicate. */
static int
put_head(struct store *s, const struct report *r, const struct report_source *src,
	 int64_t digest, int64_t *id, struct err *err)
{
	struct db_stmt *st = db_prepare_insert(s->db, sql_put_report, err);
	char *key, *quirks;
	int rc;

	if (st == NULL)
		return -1;
	key = dedup_key(r);
	quirks = r->quirks.n > 0 ? store_list_json(&r->quirks, 1) : NULL;
	db_bind_text_static(st, 1, r->organization_name ? r->organization_name : "");
	db_bind_text_static(st, 2, r->report_id ? r->report_id : "");
	db_bind_text_static(st, 3, key);
	db_bind_int64(st, 4, r->start);
	db_bind_int64(st, 5, r->end);
	db_bind_text_static(st, 6, r->start_datetime);
	db_bind_text_static(st, 7, r->end_datetime);
	db_bind_text_static(st, 8, r->contact_info);
	db_bind_text_static(st, 9, r->extra_json);
	db_bind_text_static(st, 10, quirks);
	db_bind_text_static(st, 11, src ? src->raw_json : NULL);
	db_bind_text_static(st, 12, src ? src->channel : NULL);
	db_bind_text_static(st, 13, src ? src->name : NULL);
	db_bind_int64(st, 14, src && src->received ? src->received : (int64_t)time(NULL));
	db_bind_int64(st, 15, digest);
	rc = db_step_insert(st, id, err);
	db_reset(st);
	free(key);
	free(quirks);
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
	key = dedup_key(r);
	db_bind_text(st, 1, r->organization_name ? r->organization_name : "");
	db_bind_text(st, 2, key);
	rc = db_step(st, err);
	if (rc == 1)
		id = db_column_int64(st, 0);
	db_reset(st);
	free(key);
	return rc < 0 ? -1 : id;
}

/* A duplicate: records a conflict when its contents differ.  Returns 2
 * (conflict recorded), 0 (plain duplicate) or -1. */
static int
put_duplicate(struct store *s, const struct report *r, const struct report_source *src,
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

/* Stores r, whose content digest is digest; own_tx: in a transaction (a
 * savepoint inside the caller's) of its own, else in the caller's with
 * nothing undone on error. */
static int
put_report(struct store *s, const struct report *r, const struct report_source *src,
	   int64_t digest, int own_tx, struct err *err)
{
	int64_t id, received;
	int rc;

	s->put_retryable = 0;
	if (own_tx && store_begin(s, err) < 0)
		goto fail;
	if (put_head(s, r, src, digest, &id, err) < 0)
		goto rollback;
	if (id == 0) {
		if ((rc = put_duplicate(s, r, src, digest, err)) < 0)
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
	for (size_t i = 0; i < r->n_policies; i++)
		if (put_policy(s, id, i, &r->policies[i], err) < 0)
			goto rollback;
	received = src && src->received ? src->received : (int64_t)time(NULL);
	if (store_views_put_report(s, id, r, received, err) < 0 ||
	    store_report_types_put(s, id, r, err) < 0)
		goto rollback;
	store_rollup_put_report(s, r, received);
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

static char *
col_dup(struct db_stmt *st, int col)
{
	const char *v = db_column_text(st, col);

	return v != NULL ? xstrdup(v) : NULL;
}

static int
read_failures(struct store *s, int64_t policy_id, struct policy *p, struct err *err)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(s->db,
			"SELECT result_type, sending_mta_ip, receiving_mx_hostname,"
			" receiving_mx_helo, receiving_ip, failed_session_count,"
			" additional_information, failure_reason_code, extra_json"
			" FROM report_failures WHERE policy = $1 ORDER BY seq", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, policy_id);
	while ((rc = db_step(st, err)) == 1) {
		struct failure_detail *d = policy_add_failure_detail(p);

		d->result_type = col_dup(st, 0);
		d->type = d->result_type ? result_type_from_string(d->result_type) : RESULT_UNKNOWN;
		d->sending_mta_ip = col_dup(st, 1);
		d->receiving_mx_hostname = col_dup(st, 2);
		d->receiving_mx_helo = col_dup(st, 3);
		d->receiving_ip = col_dup(st, 4);
		d->failed_session_count = count_from_int64(db_column_int64(st, 5));
		d->additional_information = col_dup(st, 6);
		d->failure_reason_code = col_dup(st, 7);
		d->extra_json = col_dup(st, 8);
	}
	db_reset(st);
	return rc < 0 ? -1 : 0;
}

/* Fills r->policies from the rows of report `id`. */
static int
read_policies(struct store *s, int64_t id, struct report *r, struct err *err)
{
	/* the handle's viewer scope (store_set_scope()): a policy of a domain
	 * outside it is not read, as if it were not stored */
	char *scope = store_scope_sql(s->scope, "domain_key");
	char *sql = xasprintf("SELECT id, policy_type, policy_domain, policy_strings, mx_hosts,"
			      " total_success, total_failure, has_failure_details, extra_json"
			      " FROM report_policies WHERE report = $1 AND %s ORDER BY seq", scope);
	struct db_stmt *st = db_prepare(s->db, sql, err);
	int64_t *ids = NULL;
	int rc;

	free(sql);
	free(scope);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st, err)) == 1) {
		struct policy *p = report_add_policy(r);

		ids = xreallocarray(ids, r->n_policies, sizeof(*ids));
		ids[r->n_policies - 1] = db_column_int64(st, 0);
		p->policy_type = col_dup(st, 1);
		p->type = p->policy_type ? policy_type_from_string(p->policy_type)
					 : POLICY_TYPE_UNKNOWN;
		p->policy_domain = col_dup(st, 2);
		p->has_policy_string = json_list(db_column_text(st, 3), &p->policy_string);
		p->has_mx_host = json_list(db_column_text(st, 4), &p->mx_host);
		p->total_successful_session_count = count_from_int64(db_column_int64(st, 5));
		p->total_failure_session_count = count_from_int64(db_column_int64(st, 6));
		p->has_failure_details = (int)db_column_int64(st, 7);
		p->extra_json = col_dup(st, 8);
	}
	db_reset(st);
	for (size_t i = 0; rc == 0 && i < r->n_policies; i++)
		if (read_failures(s, ids[i], &r->policies[i], err) < 0)
			rc = -1;
	free(ids);
	return rc < 0 ? -1 : 0;
}

int
store_query_reports(struct store *s, const struct report_query *q, store_report_cb cb,
		    void *ctx, struct err *err)
{
	struct db_stmt *st;
	struct report **v = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	char *scope, *sql;
	int rc;

	/* with a viewer scope, only the reports with a policy in it */
	scope = s->scope != NULL && !domain_scope_is_all(s->scope) ?
		store_scope_sql(s->scope, "p.domain_key") : NULL;
	sql = xasprintf("SELECT id, organization, report_id, start_time, end_time, start_datetime,"
			" end_datetime, contact_info, extra_json, quirks_json FROM reports r"
			" WHERE " STORE_SQL_PERIOD
			" AND (CAST($3 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM report_policies p"
			"  WHERE p.report = r.id AND p.domain_key = $3))"
			" AND ($4 = '' OR organization = $4)%s%s%s"
			" ORDER BY start_time, id",
			scope != NULL ? " AND EXISTS (SELECT 1 FROM report_policies p"
			" WHERE p.report = r.id AND " : "", scope != NULL ? scope : "",
			scope != NULL ? ")" : "");
	st = db_prepare(s->db, sql, err);
	free(sql);
	free(scope);
	if (st == NULL)
		return -1;
	store_bind_filter(st, q ? q->since : 0, q ? q->until : 0, q ? q->domain : NULL);
	db_bind_text(st, 4, q && q->organization ? q->organization : "");
	/* Read the heads first: the callback may use the store. */
	while ((rc = db_step(st, err)) == 1) {
		struct report *r = report_new();

		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[n] = db_column_int64(st, 0);
		v[n++] = r;
		r->organization_name = col_dup(st, 1);
		r->report_id = col_dup(st, 2);
		r->start = db_column_int64(st, 3);
		r->end = db_column_int64(st, 4);
		r->start_datetime = col_dup(st, 5);
		r->end_datetime = col_dup(st, 6);
		r->contact_info = col_dup(st, 7);
		r->extra_json = col_dup(st, 8);
		json_list(db_column_text(st, 9), &r->quirks);
	}
	db_reset(st);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (read_policies(s, ids[i], v[i], err) < 0)
			rc = -1;
		else
			rc = cb(ctx, ids[i], v[i]);
		report_free(v[i]);
		v[i] = NULL;
	}
	for (size_t i = 0; i < n; i++)
		report_free(v[i]);
	free(v);
	free(ids);
	return rc;
}

int
store_get_report(struct store *s, int64_t id, struct report **out,
		 struct report_stored *info, struct err *err)
{
	struct db_stmt *st;
	struct report *r;
	int rc;

	*out = NULL;
	memset(info, 0, sizeof(*info));
	st = db_prepare(s->db,
			"SELECT organization, report_id, start_time, end_time, start_datetime,"
			" end_datetime, contact_info, extra_json, quirks_json, raw_json,"
			" source_channel, source_name, received FROM reports WHERE id = $1", err);
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st, err);
	if (rc != 1) {
		db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	r = report_new();
	r->organization_name = col_dup(st, 0);
	r->report_id = col_dup(st, 1);
	r->start = db_column_int64(st, 2);
	r->end = db_column_int64(st, 3);
	r->start_datetime = col_dup(st, 4);
	r->end_datetime = col_dup(st, 5);
	r->contact_info = col_dup(st, 6);
	r->extra_json = col_dup(st, 7);
	json_list(db_column_text(st, 8), &r->quirks);
	info->raw_json = col_dup(st, 9);
	info->channel = col_dup(st, 10);
	info->name = col_dup(st, 11);
	info->received = db_column_int64(st, 12);
	db_reset(st);
	st = db_prepare(s->db, "SELECT COUNT(*) FROM report_policies WHERE report = $1", err);
	if (st == NULL)
		goto fail;
	db_bind_int64(st, 1, id);
	rc = db_step(st, err);
	info->policies_stored = rc == 1 ? (size_t)db_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc < 0 || read_policies(s, id, r, err) < 0)
		goto fail;
	*out = r;
	return 1;
fail:
	report_free(r);
	report_stored_clear(info);
	return -1;
}

void
report_stored_clear(struct report_stored *info)
{
	free(info->raw_json);
	free(info->channel);
	free(info->name);
	memset(info, 0, sizeof(*info));
}
