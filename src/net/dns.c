/*
 * dns: libunbound wrapper (see dns.h).
 *
 * Each lookup is started with ub_resolve_async() on a threaded context and
 * waited for with poll() on ub_fd() until the per-lookup deadline; past it
 * the query is cancelled and reported as DNS_TIMEOUT, so a dead resolver
 * never blocks longer than the timeout.  dns_lookup() is a start and a
 * finish; callers with many names keep several started (ub_process()
 * delivers every answer that has arrived, each into its own query).  libunbound hands back RDATA with
 * names uncompressed; the small decoders in dns_rdata.c turn it into
 * presentation strings.
 */
#include "net/dns.h"

#include <errno.h>
#include <idn2.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unbound.h>

#include "net/dns_rdata.h"
#include "util/monotime.h"
#include "util/xalloc.h"

struct dns {
	struct ub_ctx *ctx;             /* NULL for a stub */
	int timeout_ms;
	dns_stub_fn *stub;
	void *stub_ctx;
};

struct dns_query {
	int done;
	int err;
	int id;                         /* libunbound's, for ub_cancel */
	int type;
	long deadline;                  /* monotime_ms() past which it is a timeout */
	char *qname;                    /* A-labels; NULL for a stub query */
	struct ub_result *res;
	struct dns_answer stub_ans;     /* a stub's answer, made at start */
	int stub_rc;
	struct err stub_err;
};

const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK: return "ok";
	case DNS_NXDOMAIN: return "nxdomain";
	case DNS_NODATA: return "nodata";
	case DNS_SERVFAIL: return "servfail";
	case DNS_TIMEOUT: return "timeout";
	case DNS_BOGUS: return "bogus";
	}
	return "?";
}

void
dns_answer_clear(struct dns_answer *ans)
{
	size_t i;

	free(ans->qname);
	free(ans->why);
	strlist_clear(&ans->cnames);
	strlist_clear(&ans->rr);
	for (i = 0; i < ans->n_mx; i++)
		free(ans->mx[i].host);
	free(ans->mx);
	for (i = 0; i < ans->n_tlsa; i++)
		free(ans->tlsa[i].hex);
	free(ans->tlsa);
	memset(ans, 0, sizeof(*ans));
}

struct dns *
dns_new(const struct dns_options *o, struct err *err)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	int r;

	d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DNS_TIMEOUT_MS_DEFAULT;
	d->ctx = ub_ctx_create();
	if (d->ctx == NULL) {
		err_set(err, "dns: cannot create a libunbound context");
		goto fail;
	}
	if ((r = ub_ctx_async(d->ctx, 1)) != 0) {
		err_set(err, "dns: ub_ctx_async: %s", ub_strerror(r));
		goto fail;
	}
	if (o->resolver != NULL) {
		if ((r = ub_ctx_set_fwd(d->ctx, o->resolver)) != 0) {
			err_set(err, "dns: resolver \"%s\": %s (want IP or IP@PORT)", o->resolver, ub_strerror(r));
			goto fail;
		}
		/* a resolver on loopback, serving the RFC 6761 test. zone */
		ub_ctx_set_option(d->ctx, "do-not-query-localhost:", "no");
		ub_ctx_set_option(d->ctx, "local-zone:", "test. transparent");
	} else if ((r = ub_ctx_resolvconf(d->ctx, NULL)) != 0) {
		err_set(err, "dns: /etc/resolv.conf: %s", ub_strerror(r));
		goto fail;
	}
	if (o->trust_anchor_file != NULL && (r = ub_ctx_add_ta_file(d->ctx, o->trust_anchor_file)) != 0) {
		err_set(err, "dns: trust anchor file %s: %s", o->trust_anchor_file, ub_strerror(r));
		goto fail;
	}
	return d;
fail:
	dns_free(d);
	return NULL;
}

struct dns *
dns_new_stub(dns_stub_fn *fn, void *ctx)
{
	struct dns *d = xcalloc(1, sizeof(*d));

	d->stub = fn;
	d->stub_ctx = ctx;
	return d;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	free(d);
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

char *
dns_name_to_ascii(const char *name, struct err *err)
{
	struct strlist labels = { 0 };
	const char *p = name, *dot;
	char *label, *out = NULL, *a;
	size_t i, len = strlen(name);
	int r;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 1024) {
		err_set(err, "dns name \"%s\": empty or too long", name);
		return NULL;
	}
	while (p < name + len) {
		dot = memchr(p, '.', (size_t)(name + len - p));
		if (dot == NULL)
			dot = name + len;
		label = xstrndup(p, (size_t)(dot - p));
		if (!is_ascii(label)) {
			a = NULL;
			r = idn2_to_ascii_8z(label, &a, IDN2_NONTRANSITIONAL);
			if (r != IDN2_OK) {
				err_set(err, "dns name \"%s\": label \"%s\": %s", name, label, idn2_strerror(r));
				free(label);
				goto out;
			}
			free(label);
			label = xstrdup(a);
			idn2_free(a);
		}
		strlist_add_owned(&labels, label);
		p = dot + 1;
	}
	len = 0;
	for (i = 0; i < labels.n; i++)
		len += strlen(labels.v[i]) + 1;
	out = xmalloc(len + 1);
	out[0] = '\0';
	len = 0;
	for (i = 0; i < labels.n; i++) {
		size_t l = strlen(labels.v[i]);
		if (i > 0)
			out[len++] = '.';
		memcpy(out + len, labels.v[i], l);
		len += l;
	}
	out[len] = '\0';
out:
	strlist_clear(&labels);
	return out;
}

static void
on_result(void *arg, int err, struct ub_result *res)
{
	struct dns_query *p = arg;

	p->done = 1;
	p->err = err;
	p->res = res;
}

/* Sends the query for p->qname, p->type.  Returns 0 or -1 with err. */
static int
send_query(struct dns *d, struct dns_query *p, struct err *err)
{
	int r;

	p->deadline = monotime_ms() + d->timeout_ms;
	if ((r = ub_resolve_async(d->ctx, p->qname, p->type, 1, p, on_result, &p->id)) != 0) {
		err_set(err, "dns: %s: %s", p->qname, ub_strerror(r));
		return -1;
	}
	return 0;
}

/* Waits until p is answered or past its deadline.  Returns 0 with *res set
 * (or NULL on timeout; p is cancelled then), -1 with err on a libunbound
 * error (p is cancelled). */
static int
wait_query(struct dns *d, struct dns_query *p, struct ub_result **res, struct err *err)
{
	struct pollfd pfd;
	long left;
	int r;

	*res = NULL;
	while (!p->done) {
		left = p->deadline - monotime_ms();
		if (left <= 0) {
			ub_cancel(d->ctx, p->id);
			return 0;
		}
		/* answers already waiting first: no poll() per query when many
		 * are in flight */
		if (ub_poll(d->ctx) == 0) {
			pfd.fd = ub_fd(d->ctx);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
				err_set(err, "dns: poll: %s", strerror(errno));
				ub_cancel(d->ctx, p->id);
				return -1;
			}
			continue;
		}
		if ((r = ub_process(d->ctx)) != 0) {
			err_set(err, "dns: %s: %s", p->qname, ub_strerror(r));
			if (!p->done)
				ub_cancel(d->ctx, p->id);
			else
				ub_resolve_free(p->res);
			return -1;
		}
	}
	if (p->err != 0) {
		err_set(err, "dns: %s: %s", p->qname, ub_strerror(p->err));
		return -1;
	}
	*res = p->res;
	return 0;
}

/* Runs one query to completion or deadline.  Returns 0 with *res set (or
 * NULL on timeout), -1 with err on a libunbound error. */
static int
resolve(struct dns *d, const char *qname, int type, struct ub_result **res, struct err *err)
{
	struct dns_query p = { 0 };
	int rc;

	*res = NULL;
	p.qname = (char *)qname;
	p.type = type;
	if (send_query(d, &p, err) < 0)
		return -1;
	rc = wait_query(d, &p, res, err);
	return rc;
}

/* Fills ans->status etc. from res and decodes the RDATA for type. */
static void
fill_answer(struct dns_answer *ans, int type, const struct ub_result *res)
{
	int i;

	ans->secure = res->secure;
	if (res->bogus) {
		ans->status = DNS_BOGUS;
		ans->why = xstrdup(res->why_bogus ? res->why_bogus : "DNSSEC validation failed");
		return;
	}
	if (res->rcode == 3) {
		ans->status = DNS_NXDOMAIN;
		return;
	}
	if (res->rcode != 0) {
		ans->status = DNS_SERVFAIL;
		ans->why = xasprintf("rcode %d", res->rcode);
		return;
	}
	if (!res->havedata) {
		ans->status = DNS_NODATA;
		return;
	}
	ans->status = DNS_OK;
	for (i = 0; res->data[i] != NULL; i++)
		dns_rdata_decode(ans, type, (const unsigned char *)res->data[i], (size_t)res->len[i]);
	if (type == DNS_MX)
		dns_rdata_sort_mx(ans);
}

/* The CNAME chain from qname to canon: one CNAME query per hop. */
static void
follow_chain(struct dns *d, struct dns_answer *ans, const char *canon)
{
	char *name = xstrdup(ans->qname);
	struct ub_result *res;
	struct dns_answer hop = { 0 };
	int i;

	strlist_add(&ans->cnames, name);
	for (i = 0; i < DNS_MAX_CNAME_CHAIN && strcasecmp(name, canon) != 0; i++) {
		if (resolve(d, name, DNS_CNAME, &res, NULL) < 0 || res == NULL)
			break;
		memset(&hop, 0, sizeof(hop));
		fill_answer(&hop, DNS_CNAME, res);
		ub_resolve_free(res);
		if (hop.status != DNS_OK || hop.rr.n == 0) {
			dns_answer_clear(&hop);
			break;
		}
		free(name);
		name = xstrdup(hop.rr.v[0]);
		strlist_add(&ans->cnames, name);
		dns_answer_clear(&hop);
	}
	if (strcasecmp(name, canon) != 0)
		strlist_add(&ans->cnames, canon);
	free(name);
}

int
dns_query_start(struct dns *d, enum dns_type type, const char *name, struct dns_query **q,
    struct err *err)
{
	struct dns_query *p = xcalloc(1, sizeof(*p));

	*q = NULL;
	p->type = (int)type;
	if (d->stub != NULL) {
		/* a stub answers at once; the answer waits for the finish */
		p->done = 1;
		p->stub_ans.qname = dns_name_to_ascii(name, &p->stub_err);
		p->stub_rc = p->stub_ans.qname == NULL ? -1
			: d->stub(d->stub_ctx, p->stub_ans.qname, type, &p->stub_ans, &p->stub_err);
		*q = p;
		return 0;
	}
	if ((p->qname = dns_name_to_ascii(name, err)) == NULL || send_query(d, p, err) < 0) {
		free(p->qname);
		free(p);
		return -1;
	}
	*q = p;
	return 0;
}

int
dns_query_finish(struct dns *d, struct dns_query **q, struct dns_answer *ans, struct err *err)
{
	struct dns_query *p = *q;
	struct ub_result *res = NULL;
	char *canon = NULL;
	size_t n;
	int rc = -1;

	*q = NULL;
	if (ans != NULL)
		dns_answer_clear(ans);
	if (p == NULL) {
		err_set(err, "dns: no query");
		return -1;
	}
	if (d->stub != NULL) {
		if (ans != NULL) {
			*ans = p->stub_ans;
			memset(&p->stub_ans, 0, sizeof(p->stub_ans));
			if (p->stub_rc < 0)
				err_set(err, "%s", p->stub_err.msg);
		}
		rc = p->stub_rc;
		dns_answer_clear(&p->stub_ans);
		free(p);
		return rc;
	}
	if (ans == NULL) {
		if (p->done)
			ub_resolve_free(p->res);
		else
			ub_cancel(d->ctx, p->id);
		rc = 0;
		goto out;
	}
	ans->qname = p->qname;
	p->qname = NULL;
	if (wait_query(d, p, &res, err) < 0)
		goto out;
	rc = 0;
	if (res == NULL) {
		ans->status = DNS_TIMEOUT;
		ans->why = xasprintf("no answer within %d ms", d->timeout_ms);
		goto out;
	}
	fill_answer(ans, p->type, res);
	if (res->canonname != NULL && p->type != DNS_CNAME) {
		canon = xstrdup(res->canonname);
		n = strlen(canon);
		if (n > 1 && canon[n - 1] == '.')
			canon[n - 1] = '\0';
		if (strcasecmp(canon, ans->qname) != 0)
			follow_chain(d, ans, canon);
		free(canon);
	}
	ub_resolve_free(res);
out:
	free(p->qname);
	free(p);
	return rc;
}

int
dns_lookup(struct dns *d, enum dns_type type, const char *name,
    struct dns_answer *ans, struct err *err)
{
	struct dns_query *q;

	dns_answer_clear(ans);
	if (dns_query_start(d, type, name, &q, err) < 0) {
		/* as before: the name that could not be asked is not kept */
		return -1;
	}
	return dns_query_finish(d, &q, ans, err);
}
