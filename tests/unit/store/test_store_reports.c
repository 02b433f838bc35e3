/* Unit tests for store/store_reports: put, dedup, query, no harm on error. */
#include "unit/store/store_test.h"

#include "model/report.h"
#include "store/store_conflicts.h"
#include "store/store_reports.h"
#include "util/xalloc.h"

/* A report with two policies; the first has two failure details. */
static struct report *
sample(const char *org, const char *id, int64_t start, const char *domain2)
{
	struct report *r = report_new();
	struct policy *p;
	struct failure_detail *d;

	r->organization_name = xstrdup(org);
	r->report_id = id ? xstrdup(id) : NULL;
	r->start = start;
	r->end = start + 86400 - 1;
	r->start_datetime = xstrdup("2026-01-01T00:00:00Z");
	r->end_datetime = xstrdup("2026-01-01T23:59:59Z");
	r->contact_info = xstrdup("tls-reports@example.net");
	r->extra_json = xstrdup("{\"x-vendor\":1}");
	strlist_add(&r->quirks, "policies[0].mx-host: string, not array");

	p = report_add_policy(r);
	p->policy_type = xstrdup("sts");
	p->type = POLICY_TYPE_STS;
	p->policy_domain = xstrdup("Example.COM");
	strlist_add(&p->policy_string, "version: STSv1");
	strlist_add(&p->policy_string, "mode: enforce");
	p->has_policy_string = 1;
	strlist_add(&p->mx_host, "*.mail.example.com");
	p->has_mx_host = 1;
	p->total_successful_session_count = 5326;
	p->total_failure_session_count = 303;
	p->has_failure_details = 1;
	d = policy_add_failure_detail(p);
	d->result_type = xstrdup("certificate-expired");
	d->type = RESULT_CERTIFICATE_EXPIRED;
	d->sending_mta_ip = xstrdup("2001:db8:abcd:0012::1");
	d->receiving_mx_hostname = xstrdup("mx2.mail.example.com");
	d->failed_session_count = 100;
	d = policy_add_failure_detail(p);
	d->result_type = xstrdup("x-new-type");
	d->receiving_ip = xstrdup("203.0.113.56");
	d->receiving_mx_helo = xstrdup("");
	d->failed_session_count = 203;
	d->additional_information = xstrdup("https://example.com/why");
	d->failure_reason_code = xstrdup("X509_V_ERR");
	d->extra_json = xstrdup("{\"x\":true}");

	p = report_add_policy(r);
	p->policy_type = xstrdup("no-policy-found");
	p->type = POLICY_TYPE_NO_POLICY_FOUND;
	p->policy_domain = domain2 ? xstrdup(domain2) : NULL;
	p->total_successful_session_count = 1;
	return r;
}

static int
put(struct store *s, struct report *r, const char *raw)
{
	struct report_source src = { "file", "t.json", raw, 1700000000 };
	struct err err;
	int rc = store_put_report(s, r, &src, &err);

	if (rc < 0)
		fprintf(stderr, "# %s\n", err.msg);
	report_free(r);
	return rc;
}

struct found {
	size_t n;
	char ids[8][64];
	struct report *first;   /* a copy of what the first callback saw (policies[0]) */
	size_t n_policies;      /* of the first report */
};

static int
collect(void *ctx, int64_t id, const struct report *r)
{
	struct found *f = ctx;

	(void)id;
	if (f->n < 8)
		snprintf(f->ids[f->n], sizeof(f->ids[0]), "%s", r->report_id ? r->report_id : "");
	f->n++;
	if (f->first == NULL) {
		/* keep the fields the test compares */
		struct report *c = report_new();
		const struct policy *p = &r->policies[0];
		struct policy *q = report_add_policy(c);

		c->organization_name = xstrdup(r->organization_name);
		c->contact_info = r->contact_info ? xstrdup(r->contact_info) : NULL;
		c->extra_json = r->extra_json ? xstrdup(r->extra_json) : NULL;
		c->start = r->start;
		c->end = r->end;
		for (size_t i = 0; i < r->quirks.n; i++)
			strlist_add(&c->quirks, r->quirks.v[i]);
		q->policy_domain = xstrdup(p->policy_domain);
		q->has_policy_string = p->has_policy_string;
		for (size_t i = 0; i < p->policy_string.n; i++)
			strlist_add(&q->policy_string, p->policy_string.v[i]);
		q->total_successful_session_count = p->total_successful_session_count;
		q->total_failure_session_count = p->total_failure_session_count;
		q->has_failure_details = p->has_failure_details;
		for (size_t i = 0; i < p->n_failure_details; i++) {
			struct failure_detail *d = policy_add_failure_detail(q);
			const struct failure_detail *e = &p->failure_details[i];

			d->result_type = xstrdup(e->result_type);
			d->type = e->type;
			d->receiving_mx_helo = e->receiving_mx_helo ? xstrdup(e->receiving_mx_helo) : NULL;
			d->sending_mta_ip = e->sending_mta_ip ? xstrdup(e->sending_mta_ip) : NULL;
			d->failure_reason_code = e->failure_reason_code ? xstrdup(e->failure_reason_code) : NULL;
			d->extra_json = e->extra_json ? xstrdup(e->extra_json) : NULL;
			d->failed_session_count = e->failed_session_count;
		}
		f->first = c;
		f->n_policies = r->n_policies;
	}
	return 0;
}

static size_t
count(struct store *s, const struct report_query *q, struct found *f)
{
	struct err err;

	memset(f, 0, sizeof(*f));
	assert_int_equal(store_query_reports(s, q, collect, f, &err), 0);
	return f->n;
}

static void
found_clear(struct found *f)
{
	report_free(f->first);
	f->first = NULL;
}

static void
test_reports_round_trip_keeps_every_field(void **state)
{
	struct store_fixture *fx = *state;
	struct found f;
	const struct report *r;
	const struct policy *p;

	assert_int_equal(put(fx->s, sample("Org A", "id-1", 1767225600, "b.example"), "{}"), 1);
	assert_int_equal(count(fx->s, NULL, &f), 1);
	r = f.first;
	assert_string_equal(r->organization_name, "Org A");
	assert_string_equal(r->contact_info, "tls-reports@example.net");
	assert_string_equal(r->extra_json, "{\"x-vendor\":1}");
	assert_int_equal(r->start, 1767225600);
	assert_int_equal(r->end, 1767225600 + 86399);
	assert_int_equal(r->quirks.n, 1);
	assert_int_equal(f.n_policies, 2);
	p = &r->policies[0];
	assert_string_equal(p->policy_domain, "Example.COM");
	assert_true(p->has_policy_string);
	assert_int_equal(p->policy_string.n, 2);
	assert_string_equal(p->policy_string.v[1], "mode: enforce");
	assert_int_equal(p->total_successful_session_count, 5326);
	assert_int_equal(p->total_failure_session_count, 303);
	assert_int_equal(p->n_failure_details, 2);
	assert_int_equal(p->failure_details[0].type, RESULT_CERTIFICATE_EXPIRED);
	assert_string_equal(p->failure_details[0].sending_mta_ip, "2001:db8:abcd:0012::1");
	assert_null(p->failure_details[0].receiving_mx_helo);
	assert_string_equal(p->failure_details[1].result_type, "x-new-type");
	assert_int_equal(p->failure_details[1].type, RESULT_UNKNOWN);
	assert_string_equal(p->failure_details[1].receiving_mx_helo, "");
	assert_string_equal(p->failure_details[1].failure_reason_code, "X509_V_ERR");
	assert_string_equal(p->failure_details[1].extra_json, "{\"x\":true}");
	assert_int_equal(p->failure_details[1].failed_session_count, 203);
	found_clear(&f);
}

/* The result types of each policy's failure details, as read back. */
struct types_seen {
	size_t n_policies;
	char types[2][3][32];   /* [policy][detail] */
	size_t n[2];
};

static int
collect_types(void *ctx, int64_t id, const struct report *r)
{
	struct types_seen *t = ctx;

	(void)id;
	t->n_policies = r->n_policies;
	for (size_t i = 0; i < r->n_policies && i < 2; i++) {
		t->n[i] = r->policies[i].n_failure_details;
		for (size_t j = 0; j < t->n[i] && j < 3; j++)
			snprintf(t->types[i][j], sizeof(t->types[i][j]), "%s",
				 r->policies[i].failure_details[j].result_type);
	}
	return 0;
}

/* Each failure detail is stored under its own policy, also when the rows
 * go out without waiting for the policy's id (PostgreSQL's pipeline), and
 * when two reports follow each other in one transaction. */
static void
test_reports_failures_stay_under_their_policy(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r[2];
	struct types_seen t[2];
	struct report_query q = { 0 };
	struct err err;

	assert_int_equal(store_begin(fx->s, &err), 0);
	for (size_t k = 0; k < 2; k++) {
		struct failure_detail *d;
		char id[16];

		snprintf(id, sizeof(id), "pol-%zu", k);
		r[k] = sample("Org A", id, 1767225600 + (int64_t)k * 86400, "b.example");
		r[k]->policies[1].has_failure_details = 1;
		d = policy_add_failure_detail(&r[k]->policies[1]);
		d->result_type = xstrdup(k == 0 ? "second-policy-0" : "second-policy-1");
		d->failed_session_count = 1;
		assert_int_equal(store_put_report_in_batch(fx->s, r[k], NULL, &err), 1);
	}
	assert_int_equal(store_commit(fx->s, &err), 0);
	for (size_t k = 0; k < 2; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		q.since = 1767225600 + (int64_t)k * 86400;
		q.until = q.since + 1;
		assert_int_equal(store_query_reports(fx->s, &q, collect_types, &t[k], &err), 0);
		assert_int_equal(t[k].n_policies, 2);
		assert_int_equal(t[k].n[0], 2);
		assert_string_equal(t[k].types[0][0], "certificate-expired");
		assert_string_equal(t[k].types[0][1], "x-new-type");
		assert_int_equal(t[k].n[1], 1);
		assert_string_equal(t[k].types[1][0], k == 0 ? "second-policy-0" : "second-policy-1");
		report_free(r[k]);
	}
}

static void
test_reports_same_org_and_id_is_a_duplicate_and_changes_nothing(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r2;
	struct found f;

	assert_int_equal(put(fx->s, sample("Org A", "id-1", 1767225600, NULL), NULL), 1);
	r2 = sample("Org A", "id-1", 1767225600, NULL);
	r2->policies[0].total_successful_session_count = 1;
	assert_int_equal(put(fx->s, r2, NULL), 2);      /* other contents: a conflict */
	/* the same id from another organization is another report */
	assert_int_equal(put(fx->s, sample("Org B", "id-1", 1767225600, NULL), NULL), 1);
	assert_int_equal(count(fx->s, &(struct report_query){ .organization = "Org A" }, &f), 1);
	assert_int_equal(f.first->policies[0].total_successful_session_count, 5326);
	found_clear(&f);
	assert_int_equal(count(fx->s, NULL, &f), 2);
	found_clear(&f);
}

/* Same organization and report-id: the same contents again is a plain
 * duplicate, other contents a conflict recorded once per content, counted
 * by period and domain; the first report stays the one that counts. */
static void
test_reports_same_id_other_contents_is_a_conflict_recorded_once(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r;
	struct found f;
	struct err err;
	int64_t n;

	assert_int_equal(put(fx->s, sample("Org A", "id-1", 1767225600, NULL), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org A", "id-1", 1767225600, NULL), NULL), 0);
	assert_int_equal(store_count_conflicts(fx->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 0);
	for (int k = 0; k < 2; k++) {
		r = sample("Org A", "id-1", 1767225600, NULL);
		r->policies[0].total_failure_session_count = 7;
		assert_int_equal(put(fx->s, r, "{\"second\":1}"), k == 0 ? 2 : 0);
	}
	r = sample("Org A", "id-1", 1767225600, NULL);
	free(r->policies[0].failure_details[0].result_type);
	r->policies[0].failure_details[0].result_type = xstrdup("validation-failure");
	assert_int_equal(put(fx->s, r, NULL), 2);
	assert_int_equal(store_count_conflicts(fx->s, 0, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_count_conflicts(fx->s, 0, 0, "example.com", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_count_conflicts(fx->s, 0, 0, "other.example", &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_count_conflicts(fx->s, 1767225600 + 86400, 0, NULL, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(count(fx->s, NULL, &f), 1);
	assert_int_equal(f.first->policies[0].total_failure_session_count, 303);
	found_clear(&f);
}

static void
test_reports_without_usable_id_dedup_on_period_and_domains(void **state)
{
	struct store_fixture *fx = *state;
	struct found f;

	assert_int_equal(put(fx->s, sample("Org A", "", 1767225600, "b.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org A", NULL, 1767225600, "b.example"), NULL), 0);
	assert_int_equal(put(fx->s, sample("Org A", "", 1767225600, "c.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org A", "", 1767225600 + 86400, "b.example"), NULL), 1);
	/* Microsoft's "…+" ids are not unique on their own */
	assert_int_equal(put(fx->s, sample("Org M", "133+", 1767225600, "b.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org M", "133+", 1767225600, "c.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org M", "133+", 1767225600, "c.example"), NULL), 0);
	assert_int_equal(count(fx->s, NULL, &f), 5);
	found_clear(&f);
}

static void
test_reports_query_filters_domain_period_and_organization(void **state)
{
	struct store_fixture *fx = *state;
	struct found f;

	assert_int_equal(put(fx->s, sample("Org A", "r1", 1767225600, "b.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org A", "r2", 1767225600 + 86400, "c.example"), NULL), 1);
	assert_int_equal(put(fx->s, sample("Org B", "r3", 1767225600 + 2 * 86400, NULL), NULL), 1);
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "EXAMPLE.com" }, &f), 3);
	assert_string_equal(f.ids[0], "r1");
	assert_string_equal(f.ids[2], "r3");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "c.example" }, &f), 1);
	assert_string_equal(f.ids[0], "r2");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "nope.example" }, &f), 0);
	/* "": the reports with a policy that names no policy-domain (r3 only) */
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "" }, &f), 1);
	assert_string_equal(f.ids[0], "r3");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .since = 1767225600 + 86400 }, &f), 2);
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .until = 1767225600 + 86400 }, &f), 1);
	assert_string_equal(f.ids[0], "r1");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .organization = "Org B" }, &f), 1);
	found_clear(&f);
}

/* The selection is the one of store_summary.h: by the start of the date
 * range, not by overlap; the domain as report_domain_key(). */
static void
test_reports_query_selects_by_start_and_domain_key(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r = sample("Org A", "late", 1767225600 + 43200, "b.example.");
	struct found f;

	r->end = r->start + 86400;      /* 12:00 to 12:00 the next day */
	assert_int_equal(put(fx->s, r, NULL), 1);
	assert_int_equal(put(fx->s, sample("Org A", "next", 1767225600 + 86400, NULL), NULL), 1);
	/* "late" overlaps the second day but starts on the first */
	assert_int_equal(count(fx->s, &(struct report_query){ .since = 1767225600 + 86400 }, &f), 1);
	assert_string_equal(f.ids[0], "next");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .until = 1767225600 + 86400 }, &f), 1);
	assert_string_equal(f.ids[0], "late");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "B.Example" }, &f), 1);
	assert_string_equal(f.ids[0], "late");
	found_clear(&f);
	assert_int_equal(count(fx->s, &(struct report_query){ .domain = "example.com." }, &f), 2);
	found_clear(&f);
}

/* Makes inserting a failure with result-type "boom" fail inside the store. */
static void
arm_failure(struct store_fixture *fx)
{
	struct err err;
	const char *sql =
		db_dialect(fx->s->db) == DB_DIALECT_SQLITE
			? "CREATE TRIGGER boom BEFORE INSERT ON report_failures"
			  " WHEN NEW.result_type = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END;"
			  "CREATE TRIGGER boom_policy BEFORE INSERT ON report_policies"
			  " WHEN NEW.policy_domain = 'boom.example'"
			  " BEGIN SELECT RAISE(ABORT, 'boom'); END"
			: "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS"
			  " $$BEGIN IF NEW.result_type = 'boom' THEN RAISE EXCEPTION 'boom';"
			  " END IF; RETURN NEW; END$$;"
			  "CREATE TRIGGER boom BEFORE INSERT ON report_failures"
			  " FOR EACH ROW EXECUTE FUNCTION boom();"
			  "CREATE FUNCTION boom_policy() RETURNS trigger LANGUAGE plpgsql AS"
			  " $$BEGIN IF NEW.policy_domain = 'boom.example' THEN"
			  " RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END$$;"
			  "CREATE TRIGGER boom_policy BEFORE INSERT ON report_policies"
			  " FOR EACH ROW EXECUTE FUNCTION boom_policy()";

	if (db_dialect(fx->s->db) == DB_DIALECT_PG)
		db_exec(fx->s->db, "DROP FUNCTION IF EXISTS boom() CASCADE;"
			"DROP FUNCTION IF EXISTS boom_policy() CASCADE", NULL);
	if (db_exec(fx->s->db, sql, &err) < 0)
		fail_msg("%s", err.msg);
}

static void
test_reports_failed_put_stores_nothing_and_harms_nothing(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r;
	struct err err;
	struct found f;

	assert_int_equal(put(fx->s, sample("Org A", "kept", 1767225600, NULL), NULL), 1);
	arm_failure(fx);
	r = sample("Org A", "half", 1767225600, NULL);
	free(r->policies[0].failure_details[1].result_type);
	r->policies[0].failure_details[1].result_type = xstrdup("boom");
	assert_int_equal(store_put_report(fx->s, r, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "report-id=half"));
	/* named on both engines, though PostgreSQL learns of the failure
	 * only at the report's end (its rows go in a pipeline) */
	assert_non_null(strstr(err.msg, "policies[0]: failure-details[1]: "));
	assert_non_null(strstr(err.msg, "boom"));
	assert_int_equal(count(fx->s, NULL, &f), 1);
	assert_string_equal(f.ids[0], "kept");
	assert_int_equal(f.first->policies[0].n_failure_details, 2);
	found_clear(&f);
	/* nothing half-stored blocks the report when it comes back intact */
	free(r->policies[0].failure_details[1].result_type);
	r->policies[0].failure_details[1].result_type = xstrdup("certificate-expired");
	assert_int_equal(put(fx->s, r, NULL), 1);
	assert_int_equal(count(fx->s, NULL, &f), 2);
	found_clear(&f);
}

static void
test_reports_put_inside_rolled_back_transaction_is_gone(void **state)
{
	struct store_fixture *fx = *state;
	struct err err;
	struct found f;

	assert_int_equal(store_begin(fx->s, &err), 0);
	assert_int_equal(put(fx->s, sample("Org A", "tx", 1767225600, NULL), NULL), 1);
	store_rollback(fx->s);
	assert_int_equal(count(fx->s, NULL, &f), 0);
	assert_int_equal(put(fx->s, sample("Org A", "tx", 1767225600, NULL), NULL), 1);
}

#define POLICY_ROW ((size_t)-1)

/* Reports with one row the armed triggers refuse, and how the error must
 * name it on both engines (PostgreSQL learns of it at the report's end,
 * after the rows that follow it were sent). */
static const struct bad_row {
	const char *id;         /* the report-id */
	size_t policy;          /* the failing row's policy (0, 1; POLICY_ROW: 1) */
	size_t row;             /* its failure row, or POLICY_ROW: the policy's */
	size_t rows;            /* failure rows policies[1] gets (sample(): none) */
	const char *want;       /* the label right after "org=Org A: " */
} bad_rows[] = {
	{ "first-policy-middle-row", 0, 1, 3, "policies[0]: failure-details[1]" },
	{ "last-row", 1, 0, 1, "policies[1]: failure-details[0]" },
	{ "last-of-three-rows", 1, 2, 3, "policies[1]: failure-details[2]" },
	{ "middle-of-three-rows", 1, 1, 3, "policies[1]: failure-details[1]" },
	{ "last-policy-row", 1, POLICY_ROW, 2, "policies[1]" },
	/* PostgreSQL syncs by itself when 512 statements are pending: the
	 * error comes back from a later row's db_run_labeled() */
	{ "row-before-a-full-pipeline", 1, 1, 600, "policies[1]: failure-details[1]" },
};

/* sample() with c's rows, c's row refused by arm_failure()'s triggers. */
static struct report *
bad_row_report(const struct bad_row *c)
{
	struct report *r = sample("Org A", c->id, 1767225600,
				  c->row == POLICY_ROW ? "boom.example" : "other.example");
	struct policy *p = &r->policies[1];
	struct failure_detail *d;

	p->has_failure_details = c->rows > 0;
	p->total_failure_session_count = c->rows;
	for (size_t i = 0; i < c->rows; i++) {
		d = policy_add_failure_detail(p);
		d->result_type = xstrdup("starttls-not-supported");
		d->failed_session_count = 1;
	}
	if (c->row != POLICY_ROW) {
		d = &r->policies[c->policy].failure_details[c->row];
		free(d->result_type);
		d->result_type = xstrdup("boom");
	}
	return r;
}

/* err names c's report and its failing row, with that row's label once. */
static void
assert_names_bad_row(const struct err *err, const struct bad_row *c)
{
	char want[160];
	const char *at;

	snprintf(want, sizeof(want), "report-id=%s org=Org A: %s: ", c->id, c->want);
	at = strstr(err->msg, want);
	if (at == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", c->id, err->msg, want);
	/* the engine's message follows, not another label */
	at += strlen(want);
	if (strncmp(at, "policies[", 9) == 0 || strncmp(at, "failure-details[", 16) == 0)
		fail_msg("%s: \"%s\": a second label", c->id, err->msg);
	assert_non_null(strstr(at, "boom"));
}

/* A refused row is named in the error by its place in the report, the
 * same on SQLite (which steps it at once) and PostgreSQL (which learns of
 * it at the report's sync); nothing of the report stays. */
static void
test_reports_failed_row_is_named_on_both_engines(void **state)
{
	struct store_fixture *fx = *state;
	struct report *r;
	struct err err;
	struct found f;

	arm_failure(fx);
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		r = bad_row_report(&bad_rows[i]);
		assert_int_equal(store_put_report(fx->s, r, NULL, &err), -1);
		assert_names_bad_row(&err, &bad_rows[i]);
		report_free(r);
	}
	assert_int_equal(count(fx->s, NULL, &f), 0);
	/* the handle still stores */
	assert_int_equal(put(fx->s, sample("Org A", "after", 1767225600, NULL), NULL), 1);
}

/* store_put_report_in_batch(): refused outside a transaction; inside one
 * it stores and recognises duplicates as store_put_report() does, and a
 * failure leaves the batch for the caller to roll back whole. */
static void
test_reports_put_in_batch_is_the_callers_transaction(void **state)
{
	struct store_fixture *fx = *state;
	struct report *a = sample("Org A", "b-1", 1767225600, NULL);
	struct report *b = sample("Org A", "b-2", 1767225600, "other.example");
	struct err err;
	struct found f;

	assert_int_equal(store_put_report_in_batch(fx->s, a, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "outside a transaction"));
	assert_int_equal(count(fx->s, NULL, &f), 0);
	/* a batch rolled back after a failure keeps none of its reports; the
	 * failing row may be the last one the report stores (PostgreSQL sends
	 * it in a pipeline): the failure is still that report's, not the
	 * next's, and names the row */
	arm_failure(fx);
	for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		struct report *bad_row = bad_row_report(&bad_rows[i]);

		assert_int_equal(store_begin(fx->s, &err), 0);
		assert_int_equal(store_put_report_in_batch(fx->s, a, NULL, &err), 1);
		assert_int_equal(store_put_report_in_batch(fx->s, bad_row, NULL, &err), -1);
		assert_names_bad_row(&err, &bad_rows[i]);
		store_rollback(fx->s);
		assert_int_equal(count(fx->s, NULL, &f), 0);
		report_free(bad_row);
	}
	/* committed: stored, and a duplicate in the same batch is one */
	assert_int_equal(store_begin(fx->s, &err), 0);
	assert_int_equal(store_put_report_in_batch(fx->s, a, NULL, &err), 1);
	assert_int_equal(store_put_report_in_batch(fx->s, b, NULL, &err), 1);
	assert_int_equal(store_put_report_in_batch(fx->s, a, NULL, &err), 0);
	assert_int_equal(store_commit(fx->s, &err), 0);
	assert_int_equal(count(fx->s, NULL, &f), 2);
	found_clear(&f);
	report_free(a);
	report_free(b);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_reports_round_trip_keeps_every_field),
	STORE_TEST(test_reports_failures_stay_under_their_policy),
	STORE_TEST(test_reports_same_org_and_id_is_a_duplicate_and_changes_nothing),
	STORE_TEST(test_reports_same_id_other_contents_is_a_conflict_recorded_once),
	STORE_TEST(test_reports_without_usable_id_dedup_on_period_and_domains),
	STORE_TEST(test_reports_query_filters_domain_period_and_organization),
	STORE_TEST(test_reports_query_selects_by_start_and_domain_key),
	STORE_TEST(test_reports_failed_put_stores_nothing_and_harms_nothing),
	STORE_TEST(test_reports_put_inside_rolled_back_transaction_is_gone),
	STORE_TEST(test_reports_put_in_batch_is_the_callers_transaction),
	STORE_TEST(test_reports_failed_row_is_named_on_both_engines),
};

STORE_TEST_MAIN(tests)
