/*
 * datagram: libtlsrpt datagram → struct result (see datagram.h).
 *
 * Input: {"dpv":"1","d":…,"pr":…,"policies":[{"policy-type":n,
 * "policy-domain"?,"policy-string"?[],"mx-host"?[],"failure-details"?[{"c":n,
 * "s"?,"n"?,"h"?,"r"?,"a"?,"f"?}],"t":n,"f":0|1}]}.  The day is the UTC day
 * of receipt; the domain is lower-cased with one trailing dot stripped
 * (as sys4's collector does).  Unknown members are ignored.  The JSON is
 * read with yajl's callbacks (datagram_scan.h), no tree.
 */
#include "collector/datagram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/datagram_scan.h"
#include "collector/utf8fix.h"
#include "model/report.h"
#include "util/xalloc.h"

static const char *const reason_names[DATAGRAM_REASON_COUNT] = {
	[DATAGRAM_OK] = "ok",
	[DATAGRAM_BAD_JSON] = "bad-json",
	[DATAGRAM_MISSING_KEY] = "missing-key",
	[DATAGRAM_BAD_VALUE] = "bad-value",
	[DATAGRAM_TOO_BIG] = "too-big",
};

const char *
datagram_reason_name(enum datagram_reason r)
{
	if ((unsigned)r >= DATAGRAM_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

void
datagram_batch_clear(struct datagram_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		result_clear(&b->v[i]);
	b->n = 0;
}

void
datagram_batch_free(struct datagram_batch *b)
{
	datagram_batch_clear(b);
	free(b->v);
	b->v = NULL;
	b->cap = 0;
}

static struct result *
batch_add(struct datagram_batch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n++];
}

/* Decoding state; the JSON path of a problem is only formatted on error. */
struct dec {
	struct datagram_info *info;
	struct err *err;
	long policy;            /* index of the policy being decoded, or -1 */
	long failure;           /* index of its failure detail, or -1 */
};

/* Records a drop: reason r at member `key` (NULL: the object itself). */
static int
bad(struct dec *d, enum datagram_reason r, const char *key, const char *why)
{
	char path[160] = "";
	size_t n = 0;

	if (d->policy >= 0)
		n += (size_t)snprintf(path, sizeof(path), "policies[%ld]", d->policy);
	if (d->failure >= 0 && n < sizeof(path))
		n += (size_t)snprintf(path + n, sizeof(path) - n, ".failure-details[%ld]", d->failure);
	if (key != NULL && n < sizeof(path))
		snprintf(path + n, sizeof(path) - n, "%s%s", n > 0 ? "." : "", key);
	d->info->reason = r;
	err_set(d->err, "%s: %s", path[0] != '\0' ? path : "datagram", why);
	return -1;
}

/* Takes optional string member `key` (value v) into *out (moved, or
 * NULL). */
static int
opt_string(struct dec *d, struct dg_val *v, const char *key, char **out)
{
	*out = NULL;
	if (v->type == DG_ABSENT || v->type == DG_NULL)
		return 0;
	if (v->type != DG_STRING)
		return bad(d, DATAGRAM_BAD_VALUE, key, "not a string");
	*out = v->s;
	v->s = NULL;
	return 0;
}

/* Takes optional array-of-strings member `key` (value v) into l. */
static int
opt_strings(struct dec *d, struct dg_strings *v, const char *key, struct strlist *l)
{
	if (v->type == DG_ABSENT || v->type == DG_NULL)
		return 0;
	if (v->type != DG_ARRAY)
		return bad(d, DATAGRAM_BAD_VALUE, key, "not an array");
	if (v->bad_element)
		return bad(d, DATAGRAM_BAD_VALUE, key, "element is not a string");
	*l = v->l;
	memset(&v->l, 0, sizeof(v->l));
	return 0;
}

/* Reads required integer member `key` (value v) into *out. */
static int
req_int(struct dec *d, const struct dg_val *v, const char *key, int64_t *out)
{
	if (v->type == DG_ABSENT)
		return bad(d, DATAGRAM_MISSING_KEY, key, "missing");
	if (v->type != DG_INT)
		return bad(d, DATAGRAM_BAD_VALUE, key, "not an integer");
	*out = v->i;
	return 0;
}

static int
decode_failure(struct dec *d, struct dg_failure *fo, struct result *r)
{
	struct result_failure *f;
	char *vals[6] = { NULL };
	int64_t code = 0;
	int rc = -1;

	if (!fo->is_object)
		return bad(d, DATAGRAM_BAD_VALUE, NULL, "not an object");
	if (req_int(d, &fo->c, "c", &code) < 0)
		return -1;
	if (code < 0 || code > 99999)
		return bad(d, DATAGRAM_BAD_VALUE, "c", "failure code out of range");
	for (int i = 0; i < 6; i++)
		if (opt_string(d, &fo->str[i], dg_failure_keys[i], &vals[i]) < 0)
			goto out;
	f = result_add_failure(r);
	f->code = (int)code;
	f->type = result_type_from_sys4_code((int)code);
	f->sending_mta_ip = vals[0];
	f->receiving_mx_hostname = vals[1];
	f->receiving_mx_helo = vals[2];
	f->receiving_ip = vals[3];
	f->additional_information = vals[4];
	f->failure_reason_code = vals[5];
	memset(vals, 0, sizeof(vals));
	rc = 0;
out:
	for (int i = 0; i < 6; i++)
		free(vals[i]);
	return rc;
}

static int
decode_policy(struct dec *d, struct dg_policy *po, struct result *r)
{
	int64_t type = 0, final = 0, t;

	if (!po->is_object)
		return bad(d, DATAGRAM_BAD_VALUE, NULL, "not an object");
	if (req_int(d, &po->type, "policy-type", &type) < 0)
		return -1;
	if (type < 0 || type > 99 ||
	    (r->policy_type = policy_type_from_sys4_code((int)type)) == POLICY_TYPE_UNKNOWN)
		return bad(d, DATAGRAM_BAD_VALUE, "policy-type", "unknown (not 1, 2 or 9)");
	if (req_int(d, &po->final, "f", &final) < 0)
		return -1;
	if (final != 0 && final != 1)
		return bad(d, DATAGRAM_BAD_VALUE, "f", "final result is not 0 or 1");
	r->failed = (int)final;
	if (opt_string(d, &po->domain, "policy-domain", &r->policy_domain) < 0 ||
	    opt_strings(d, &po->pstring, "policy-string", &r->policy_string) < 0 ||
	    opt_strings(d, &po->mx, "mx-host", &r->mx_host) < 0)
		return -1;
	if (po->fd_type != DG_ABSENT && po->fd_type != DG_NULL) {
		if (po->fd_type != DG_ARRAY)
			return bad(d, DATAGRAM_BAD_VALUE, "failure-details", "not an array");
		for (size_t i = 0; i < po->nf; i++) {
			d->failure = (long)i;
			if (decode_failure(d, &po->fv[i], r) < 0)
				return -1;
		}
		d->failure = -1;
	}
	/* sys4's collector only logs a wrong "t"; so do we. */
	t = po->t.type == DG_INT ? po->t.i : -1;
	if (po->t.type != DG_ABSENT && t != (int64_t)r->n_failures)
		d->info->t_mismatch = 1;
	return 0;
}

int
datagram_decode(const char *data, size_t len, int64_t day, struct datagram_batch *b,
		struct datagram_info *info, struct err *err)
{
	struct dec d = { info, err, -1, -1 };
	size_t n0 = b->n, fixed_len = 0;
	char *fixed = NULL, *domain = NULL, *record = NULL;
	struct dg_doc doc;
	char why[200];
	int rc = -1;

	memset(info, 0, sizeof(*info));
	memset(&doc, 0, sizeof(doc));
	if (len > DATAGRAM_MAX) {
		bad(&d, DATAGRAM_TOO_BIG, NULL, "larger than the 16 MiB limit");
		goto out;
	}
	fixed = utf8fix_repair(data, len, &fixed_len);
	if (fixed != NULL) {
		info->utf8_repaired = 1;
		data = fixed;
		len = fixed_len;
	}
	if (dg_scan(data, len, &doc, why, sizeof(why)) < 0) {
		err_set(err, "datagram: %s", why);
		info->reason = DATAGRAM_BAD_JSON;
		goto out;
	}
	if (!doc.root_is_object) {
		bad(&d, DATAGRAM_BAD_JSON, NULL, "not a JSON object");
		goto out;
	}
	if (doc.dpv.type == DG_ABSENT)
		info->dpv_missing = 1;
	else if (doc.dpv.type != DG_STRING || strcmp(doc.dpv.s, "1") != 0)
		info->dpv_bad = 1;
	if (opt_string(&d, &doc.d, "d", &domain) < 0 || opt_string(&d, &doc.pr, "pr", &record) < 0)
		goto out;
	if (domain == NULL) {
		bad(&d, DATAGRAM_MISSING_KEY, "d", "missing");
		goto out;
	}
	report_domain_normalize(domain);
	if (*domain == '\0') {
		bad(&d, DATAGRAM_BAD_VALUE, "d", "empty domain");
		goto out;
	}
	if (doc.pol_type == DG_ABSENT) {
		bad(&d, DATAGRAM_MISSING_KEY, "policies", "missing");
		goto out;
	}
	if (doc.pol_type != DG_ARRAY || doc.np == 0) {
		bad(&d, DATAGRAM_BAD_VALUE, "policies", "not a non-empty array");
		goto out;
	}
	for (size_t i = 0; i < doc.np; i++) {
		struct result *r = batch_add(b);

		d.policy = (long)i;
		r->day = day;
		r->domain = xstrdup(domain);
		r->tlsrpt_record = xstrdup(record);
		if (decode_policy(&d, &doc.pv[i], r) < 0)
			goto out;
	}
	rc = (int)(b->n - n0);
out:
	if (rc < 0) {
		while (b->n > n0)
			result_clear(&b->v[--b->n]);
		if (domain != NULL)
			err_prefix(err, "d=%s", domain);
	}
	free(domain);
	free(record);
	free(fixed);
	dg_doc_free(&doc);
	return rc;
}
