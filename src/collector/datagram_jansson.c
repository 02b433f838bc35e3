/*
 * datagram_jansson: the collector's former datagram decoder (jansson,
 * a tree), kept as the reference the yajl decoder (datagram.c) is
 * compared with: by tests/unit/collector/test_datagram_diff.c and by
 * fuzz/fuzz_datagram.c.  The program does not call it (nothing in src/
 * refers to it, so the linker leaves it out of `tlsrpt`).  Duplicate
 * member names are refused (JSON_REJECT_DUPLICATES), as datagram.c does.
 */
#include "collector/datagram_jansson.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/utf8fix.h"
#include "model/report.h"
#include "util/xalloc.h"

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

/* Reads optional string member `key` of obj into *out (new string or NULL). */
static int
opt_string(struct dec *d, json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(d, DATAGRAM_BAD_VALUE, key, "not a string");
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return 0;
}

/* Reads optional array-of-strings member `key` of obj into l. */
static int
opt_strings(struct dec *d, json_t *obj, const char *key, struct strlist *l)
{
	json_t *v = json_object_get(obj, key);
	size_t i;
	json_t *e;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(d, DATAGRAM_BAD_VALUE, key, "not an array");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return bad(d, DATAGRAM_BAD_VALUE, key, "element is not a string");
		strlist_add(l, json_string_value(e));
	}
	return 0;
}

/* Reads required integer member `key` into *out. */
static int
req_int(struct dec *d, json_t *obj, const char *key, json_int_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return bad(d, DATAGRAM_MISSING_KEY, key, "missing");
	if (!json_is_integer(v))
		return bad(d, DATAGRAM_BAD_VALUE, key, "not an integer");
	*out = json_integer_value(v);
	return 0;
}

static int
decode_failure(struct dec *d, json_t *fo, struct result *r)
{
	static const char *const keys[6] = { "s", "n", "h", "r", "a", "f" };
	struct result_failure *f;
	char *vals[6] = { NULL };
	json_int_t code;
	int rc = -1;

	if (!json_is_object(fo))
		return bad(d, DATAGRAM_BAD_VALUE, NULL, "not an object");
	if (req_int(d, fo, "c", &code) < 0)
		return -1;
	if (code < 0 || code > 99999)
		return bad(d, DATAGRAM_BAD_VALUE, "c", "failure code out of range");
	for (int i = 0; i < 6; i++)
		if (opt_string(d, fo, keys[i], &vals[i]) < 0)
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
decode_policy(struct dec *d, json_t *po, struct result *r)
{
	json_int_t type, final, t;
	json_t *fds, *tv, *fo;
	size_t i;

	if (!json_is_object(po))
		return bad(d, DATAGRAM_BAD_VALUE, NULL, "not an object");
	if (req_int(d, po, "policy-type", &type) < 0)
		return -1;
	if (type < 0 || type > 99 ||
	    (r->policy_type = policy_type_from_sys4_code((int)type)) == POLICY_TYPE_UNKNOWN)
		return bad(d, DATAGRAM_BAD_VALUE, "policy-type", "unknown (not 1, 2 or 9)");
	if (req_int(d, po, "f", &final) < 0)
		return -1;
	if (final != 0 && final != 1)
		return bad(d, DATAGRAM_BAD_VALUE, "f", "final result is not 0 or 1");
	r->failed = (int)final;
	if (opt_string(d, po, "policy-domain", &r->policy_domain) < 0 ||
	    opt_strings(d, po, "policy-string", &r->policy_string) < 0 ||
	    opt_strings(d, po, "mx-host", &r->mx_host) < 0)
		return -1;
	fds = json_object_get(po, "failure-details");
	if (fds != NULL && !json_is_null(fds)) {
		if (!json_is_array(fds))
			return bad(d, DATAGRAM_BAD_VALUE, "failure-details", "not an array");
		json_array_foreach(fds, i, fo) {
			d->failure = (long)i;
			if (decode_failure(d, fo, r) < 0)
				return -1;
		}
		d->failure = -1;
	}
	/* sys4's collector only logs a wrong "t"; so do we. */
	tv = json_object_get(po, "t");
	t = json_is_integer(tv) ? json_integer_value(tv) : -1;
	if (tv != NULL && t != (json_int_t)r->n_failures)
		d->info->t_mismatch = 1;
	return 0;
}

int
datagram_decode_jansson(const char *data, size_t len, int64_t day, struct datagram_batch *b,
		struct datagram_info *info, struct err *err)
{
	struct dec d = { info, err, -1, -1 };
	size_t n0 = b->n, fixed_len = 0, i;
	char *fixed = NULL, *domain = NULL, *record = NULL;
	json_t *root = NULL, *dpv, *pols, *po;
	json_error_t jerr;
	int rc = -1;

	memset(info, 0, sizeof(*info));
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
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		err_set(err, "datagram: invalid JSON at line %d column %d: %s", jerr.line,
			jerr.column, jerr.text);
		info->reason = DATAGRAM_BAD_JSON;
		goto out;
	}
	if (!json_is_object(root)) {
		bad(&d, DATAGRAM_BAD_JSON, NULL, "not a JSON object");
		goto out;
	}
	dpv = json_object_get(root, "dpv");
	if (dpv == NULL)
		info->dpv_missing = 1;
	else if (!json_is_string(dpv) || strcmp(json_string_value(dpv), "1") != 0)
		info->dpv_bad = 1;
	if (opt_string(&d, root, "d", &domain) < 0 || opt_string(&d, root, "pr", &record) < 0)
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
	pols = json_object_get(root, "policies");
	if (pols == NULL) {
		bad(&d, DATAGRAM_MISSING_KEY, "policies", "missing");
		goto out;
	}
	if (!json_is_array(pols) || json_array_size(pols) == 0) {
		bad(&d, DATAGRAM_BAD_VALUE, "policies", "not a non-empty array");
		goto out;
	}
	json_array_foreach(pols, i, po) {
		struct result *r = batch_add(b);

		d.policy = (long)i;
		r->day = day;
		r->domain = xstrdup(domain);
		r->tlsrpt_record = xstrdup(record);
		if (decode_policy(&d, po, r) < 0)
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
	json_decref(root);
	return rc;
}

int
datagram_decoders_agree(const char *data, size_t len, char *why, size_t cap)
{
	struct datagram_batch a = { 0 }, b = { 0 };
	struct datagram_info ia, ib;
	struct err ea = { "" }, eb = { "" };
	int na = datagram_decode(data, len, 20000, &a, &ia, &ea);
	int nb = datagram_decode_jansson(data, len, 20000, &b, &ib, &eb);
	int ok = 0;

	if (na != nb || memcmp(&ia, &ib, sizeof(ia)) != 0) {
		snprintf(why, cap, "yajl: %d reason %s dpv %d/%d utf8 %d t %d (%s); "
			 "jansson: %d reason %s dpv %d/%d utf8 %d t %d (%s)",
			 na, datagram_reason_name(ia.reason), ia.dpv_missing, ia.dpv_bad,
			 ia.utf8_repaired, ia.t_mismatch, ea.msg,
			 nb, datagram_reason_name(ib.reason), ib.dpv_missing, ib.dpv_bad,
			 ib.utf8_repaired, ib.t_mismatch, eb.msg);
		goto out;
	}
	/* the JSON syntax messages are each library's own */
	if (na < 0 && ia.reason != DATAGRAM_BAD_JSON && strcmp(ea.msg, eb.msg) != 0) {
		snprintf(why, cap, "messages differ: yajl \"%s\", jansson \"%s\"", ea.msg, eb.msg);
		goto out;
	}
	for (size_t i = 0; na > 0 && i < a.n; i++)
		if (!result_equal(&a.v[i], &b.v[i])) {
			snprintf(why, cap, "result %zu differs", i);
			goto out;
		}
	ok = 1;
out:
	datagram_batch_free(&a);
	datagram_batch_free(&b);
	return ok;
}
