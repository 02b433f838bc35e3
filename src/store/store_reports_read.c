/*
 * store_reports_read: reading the stored reports back (store_reports.h):
 * the rows of store_reports.c rebuilt into struct report.  String lists
 * come back from their JSON arrays (jansson); counts are clamped to
 * 0..2^53-1 (count_from_int64()): a row an older version stored without
 * the plausibility limit cannot make a view wrap.
 */
#include "store/store_reports.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/domain_scope.h"
#include "store/store_private.h"
#include "util/count.h"
#include "util/xalloc.h"

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
