/*
 * aggregate: results → reports, per policy domain (see aggregate.h).
 * Merging is a linear search over the few policies of a report and the
 * details of a policy; the cross-domain reports live in a GHashTable.
 */
#include "report/aggregate.h"

#include <arpa/inet.h>
#include <glib.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "report/naming.h"
#include "util/xalloc.h"

/* I-JSON (RFC 7493) integers: counters saturate here (GEN-19). */
#define COUNT_MAX (((uint64_t)1 << 53) - 1)

struct aggregate {
	struct aggregate_config cfg;
	aggregate_emit_cb emit;
	void *ctx;
	char *cur_domain;             /* the recipient domain being collected */
	struct report *cur;
	GHashTable *others;           /* policy domain → struct other * */
	int64_t start, end;           /* the day's date-range, and as text: */
	char start_dt[NAMING_DATETIME_SIZE], end_dt[NAMING_DATETIME_SIZE];
};

/* TLSA results of one recipient domain for another policy domain. */
struct contrib {
	char *domain;                 /* the recipient domain */
	struct report *r;             /* its policies for that policy domain */
};

/* A report of a policy domain that is not a recipient domain (MX host,
 * smarthost): policies that belong to it alone, and the TLSA
 * contributions that the recipient domains' reports also carry. */
struct other {
	struct report *r;
	GPtrArray *contribs;          /* of struct contrib *, in row order */
};

static void
other_free(void *v)
{
	struct other *o = v;

	report_free(o->r);
	for (guint i = 0; i < o->contribs->len; i++) {
		struct contrib *c = g_ptr_array_index(o->contribs, i);

		free(c->domain);
		report_free(c->r);
		free(c);
	}
	g_ptr_array_free(o->contribs, TRUE);
	free(o);
}

static uint64_t
add_count(uint64_t a, uint64_t b)
{
	return a > COUNT_MAX - (b > COUNT_MAX ? COUNT_MAX : b) ? COUNT_MAX : a + b;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* "" from an MTA means unknown: keep NULL (GEN-18 never writes ""). */
static char *
dup_known(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* RFC 8460 §4.4: IPv6 in RFC 5952 form (inet_ntop), an IPv4-mapped
 * address as IPv4 (GEN-11).  Anything that does not parse is kept as is.
 * Returns a new string, or NULL for NULL or "". */
static char *
canon_ip(const char *s)
{
	unsigned char a[16];
	char out[INET6_ADDRSTRLEN];

	if (s == NULL || *s == '\0')
		return NULL;
	if (strchr(s, ':') != NULL && inet_pton(AF_INET6, s, a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(a, mapped, 12) == 0 && inet_ntop(AF_INET, a + 12, out, sizeof(out)))
			return xstrdup(out);
		if (inet_ntop(AF_INET6, a, out, sizeof(out)))
			return xstrdup(out);
	}
	return xstrdup(s);
}

char *
aggregate_domain(const char *s)
{
	char *out = NULL, *lower;
	size_t n;
	int wild;

	if (s == NULL || *s == '\0')
		return NULL;
	wild = strncmp(s, "*.", 2) == 0;
	lower = xstrdup(s + (wild ? 2 : 0));
	n = strlen(lower);
	if (n > 0 && lower[n - 1] == '.')
		lower[--n] = '\0';
	for (char *p = lower; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	if (n == 0 || n > 253) {
		free(lower);
		return NULL;
	}
	for (const char *p = lower; *p; p++) {
		if ((unsigned char)*p >= 0x80) {
			if (idn2_to_ascii_8z(lower, &out, IDN2_NONTRANSITIONAL) != IDN2_OK)
				out = NULL;
			free(lower);
			lower = out ? xstrdup(out) : NULL;
			idn2_free(out);
			break;
		}
	}
	if (lower && wild) {
		out = xasprintf("*.%s", lower);
		free(lower);
		lower = out;
	}
	return lower;
}

static struct report *
new_report(const struct aggregate *a, const char *pd, int n)
{
	struct report *r = report_new();

	r->organization_name = xstrdup(a->cfg.organization);
	r->contact_info = xstrdup(a->cfg.contact_info);
	r->start = a->start;
	r->end = a->end;
	r->start_datetime = xstrdup(a->start_dt);
	r->end_datetime = xstrdup(a->end_dt);
	r->report_id = naming_report_id(a->cfg.day, pd, n, a->cfg.submitter);
	return r;
}

static const char *
result_string(const struct failure_detail *d)
{
	if (d->result_type && *d->result_type)
		return d->result_type;
	return result_type_to_string(d->type);
}

static int
detail_eq(const struct failure_detail *x, const struct failure_detail *y)
{
	return str_eq(x->result_type, result_string(y)) &&
	       str_eq(x->sending_mta_ip, y->sending_mta_ip) &&
	       str_eq(x->receiving_mx_hostname, y->receiving_mx_hostname) &&
	       str_eq(x->receiving_mx_helo, y->receiving_mx_helo) &&
	       str_eq(x->receiving_ip, y->receiving_ip) &&
	       str_eq(x->additional_information, y->additional_information) &&
	       str_eq(x->failure_reason_code, y->failure_reason_code);
}

static void
merge_detail(struct policy *to, const struct failure_detail *d,
	     const struct report_privacy *priv)
{
	struct failure_detail *t, norm = *d, kept = { 0 };
	char *sip = canon_ip(d->sending_mta_ip), *rip = canon_ip(d->receiving_ip);

	/* what the operator lets out (privacy.h), on copies */
	kept.sending_mta_ip = sip;
	kept.receiving_mx_helo = dup_known(d->receiving_mx_helo);
	kept.additional_information = dup_known(d->additional_information);
	kept.failure_reason_code = dup_known(d->failure_reason_code);
	privacy_apply(priv, &kept);
	sip = kept.sending_mta_ip;
	d = &norm;
	norm.receiving_mx_helo = kept.receiving_mx_helo;
	norm.additional_information = kept.additional_information;
	norm.failure_reason_code = kept.failure_reason_code;

	/* compare with "" already mapped to absent and addresses canonical */
	norm.sending_mta_ip = sip;
	norm.receiving_ip = rip;
	norm.receiving_mx_hostname = d->receiving_mx_hostname && *d->receiving_mx_hostname
					     ? d->receiving_mx_hostname : NULL;
	norm.receiving_mx_helo = d->receiving_mx_helo && *d->receiving_mx_helo
					 ? d->receiving_mx_helo : NULL;
	norm.additional_information = d->additional_information && *d->additional_information
					      ? d->additional_information : NULL;
	norm.failure_reason_code = d->failure_reason_code && *d->failure_reason_code
					   ? d->failure_reason_code : NULL;
	for (size_t i = 0; i < to->n_failure_details; i++) {
		t = &to->failure_details[i];
		if (detail_eq(t, &norm)) {
			t->failed_session_count = add_count(t->failed_session_count,
							    d->failed_session_count);
			goto out;
		}
	}
	t = policy_add_failure_detail(to);
	t->result_type = dup_known(result_string(d));
	t->type = result_type_from_string(t->result_type ? t->result_type : "");
	t->sending_mta_ip = sip;
	t->receiving_ip = rip;
	sip = rip = NULL;
	t->receiving_mx_hostname = dup_known(norm.receiving_mx_hostname);
	t->receiving_mx_helo = dup_known(norm.receiving_mx_helo);
	t->additional_information = dup_known(norm.additional_information);
	t->failure_reason_code = dup_known(norm.failure_reason_code);
	t->failed_session_count = add_count(0, d->failed_session_count);
out:
	free(sip);
	free(rip);
	free(kept.receiving_mx_helo);
	free(kept.additional_information);
	free(kept.failure_reason_code);
}

static const char *
policy_type_string(const struct policy *p)
{
	const char *s = policy_type_to_string(p->type);

	return s ? s : p->policy_type;
}

static void
copy_list(struct strlist *to, const struct strlist *from, int domains)
{
	for (size_t i = 0; i < from->n; i++) {
		char *d = domains ? aggregate_domain(from->v[i]) : NULL;

		strlist_add_owned(to, d ? d : xstrdup(from->v[i]));
	}
}

/* Merges p (policy domain pd, normalised) into r. */
static void
merge_policy(struct report *r, const struct policy *p, const char *pd,
	     const struct report_privacy *priv)
{
	const char *type = policy_type_string(p);
	struct policy *t = NULL;
	struct strlist mx = { 0 };

	copy_list(&mx, &p->mx_host, 1);
	for (size_t i = 0; i < r->n_policies && t == NULL; i++) {
		struct policy *c = &r->policies[i];

		if (str_eq(c->policy_type, type) && str_eq(c->policy_domain, pd) &&
		    strlist_equal(&c->policy_string, &p->policy_string) &&
		    strlist_equal(&c->mx_host, &mx))
			t = c;
	}
	if (t == NULL) {
		t = report_add_policy(r);
		t->policy_type = xstrdup(type ? type : "no-policy-found");
		t->type = policy_type_from_string(t->policy_type);
		t->policy_domain = xstrdup(pd);
		copy_list(&t->policy_string, &p->policy_string, 0);
		t->mx_host = mx;
		mx = (struct strlist){ 0 };
		/* GEN-07/18: always write policy-string, mx-host, failure-details */
		t->has_policy_string = t->has_mx_host = t->has_failure_details = 1;
	}
	strlist_clear(&mx);
	t->total_successful_session_count = add_count(t->total_successful_session_count,
						      p->total_successful_session_count);
	t->total_failure_session_count = add_count(t->total_failure_session_count,
						   p->total_failure_session_count);
	for (size_t i = 0; i < p->n_failure_details; i++)
		merge_detail(t, &p->failure_details[i], priv);
}

static uint64_t
count_failures(const struct report *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->n_policies; i++) {
		n = add_count(n, r->policies[i].total_failure_session_count);
		for (size_t j = 0; j < r->policies[i].n_failure_details; j++)
			n = add_count(n, r->policies[i].failure_details[j].failed_session_count);
		if (r->policies[i].n_failure_details > 0 && n == 0)
			n = 1;  /* details with zero counts still tell of a failure */
	}
	return n;
}

static int
emit(struct aggregate *a, struct report *r, const char *pd, int host, struct err *err)
{
	struct aggregate_out o = { r, pd, host, count_failures(r) };
	int rc = a->emit(a->ctx, &o, err);

	report_free(o.report);
	return rc;
}

static int
flush_current(struct aggregate *a, struct err *err)
{
	int rc = 0;

	if (a->cur != NULL)
		rc = emit(a, a->cur, a->cur_domain, 0, err);
	a->cur = NULL;
	free(a->cur_domain);
	a->cur_domain = NULL;
	return rc;
}

struct aggregate *
aggregate_new(const struct aggregate_config *cfg, aggregate_emit_cb cb, void *ctx)
{
	struct aggregate *a = xcalloc(1, sizeof(*a));

	a->cfg = *cfg;
	a->emit = cb;
	a->ctx = ctx;
	a->others = g_hash_table_new_full(g_str_hash, g_str_equal, free, other_free);
	a->start = naming_day_begin(cfg->day);
	a->end = naming_day_end(cfg->day);
	naming_datetime(a->start, a->start_dt);
	naming_datetime(a->end, a->end_dt);
	return a;
}

int
aggregate_add(struct aggregate *a, const char *domain, const struct policy *p, struct err *err)
{
	char *d = aggregate_domain(domain), *pd = NULL;
	struct other *other;
	struct contrib *c;
	int ret = -1, emitted = 0;

	if (d == NULL) {
		err_set(err, "results for \"%s\": not a valid domain name; skipped",
			domain ? domain : "(none)");
		return -1;
	}
	pd = p->policy_domain && *p->policy_domain ? aggregate_domain(p->policy_domain)
						   : xstrdup(d);
	if (pd == NULL) {
		err_set(err, "domain=%s: policy-domain \"%s\" is not a valid domain name; skipped",
			d, p->policy_domain);
		goto out;
	}
	if (a->cur_domain == NULL || strcmp(a->cur_domain, d) != 0) {
		/* a failed emit is returned, but this row still starts its own
		 * domain's report: the previous report's failure is not its */
		emitted = flush_current(a, err);
		a->cur_domain = xstrdup(d);
		a->cur = new_report(a, d, 1);
	}
	if (strcmp(pd, d) == 0 || p->type == POLICY_TYPE_TLSA)
		merge_policy(a->cur, p, pd, a->cfg.privacy);
	if (strcmp(pd, d) != 0) {
		other = g_hash_table_lookup(a->others, pd);
		if (other == NULL) {
			other = xcalloc(1, sizeof(*other));
			other->r = new_report(a, pd, 2);
			other->contribs = g_ptr_array_new();
			g_hash_table_insert(a->others, xstrdup(pd), other);
		}
		if (p->type != POLICY_TYPE_TLSA) {
			merge_policy(other->r, p, pd, a->cfg.privacy);
		} else {
			c = other->contribs->len == 0 ? NULL
				: g_ptr_array_index(other->contribs, other->contribs->len - 1);
			if (c == NULL || strcmp(c->domain, d) != 0) {
				c = xcalloc(1, sizeof(*c));
				c->domain = xstrdup(d);
				c->r = report_new();
				g_ptr_array_add(other->contribs, c);
			}
			merge_policy(c->r, p, pd, a->cfg.privacy);
		}
	}
	ret = emitted < 0 ? -1 : 0;
out:
	free(d);
	free(pd);
	return ret;
}

static gint
cmp_str(gconstpointer x, gconstpointer y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int
aggregate_finish(struct aggregate *a, struct err *err)
{
	GPtrArray *keys;
	GHashTableIter it;
	gpointer k, v;
	int ret = 0;

	if (flush_current(a, err) < 0)
		return -1;
	keys = g_ptr_array_new();
	g_hash_table_iter_init(&it, a->others);
	while (g_hash_table_iter_next(&it, &k, &v))
		g_ptr_array_add(keys, k);
	g_ptr_array_sort(keys, cmp_str);
	for (guint i = 0; i < keys->len && ret == 0; i++) {
		const char *pd = g_ptr_array_index(keys, i);
		struct other *o = g_hash_table_lookup(a->others, pd);
		struct report *r = o->r;

		for (guint j = 0; j < o->contribs->len; j++) {
			struct contrib *c = g_ptr_array_index(o->contribs, j);

			if (a->cfg.keep_in_host != NULL &&
			    !a->cfg.keep_in_host(a->cfg.keep_ctx, c->domain, pd))
				continue;
			for (size_t m = 0; m < c->r->n_policies; m++)
				merge_policy(r, &c->r->policies[m], pd, a->cfg.privacy);
		}
		o->r = NULL;
		if (r->n_policies > 0)
			ret = emit(a, r, pd, 1, err);
		else
			report_free(r);
		g_hash_table_remove(a->others, pd);
	}
	g_ptr_array_free(keys, TRUE);
	return ret;
}

void
aggregate_free(struct aggregate **ap)
{
	struct aggregate *a;

	if (ap == NULL || (a = *ap) == NULL)
		return;
	report_free(a->cur);
	free(a->cur_domain);
	g_hash_table_destroy(a->others);
	free(a);
	*ap = NULL;
}
