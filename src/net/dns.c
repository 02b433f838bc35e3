/*
 * dns: libunbound wrapper (see dns.h).
 *
 * libunbound runs on the caller's thread, on a libevent base of this
 * context's own (ub_ctx_create_event): a lookup is started with
 * ub_resolve_event(), and waiting for it runs the event loop until its
 * answer has come or its deadline has passed (past it the query is
 * cancelled and reported as DNS_TIMEOUT, so a dead resolver never blocks
 * longer than the timeout).  Each pass of the loop takes every answer
 * that has arrived, for whichever query in flight, so a caller with many
 * names keeps several started.  There is no resolver thread: libunbound's
 * threaded mode cost two pipe messages, ten fcntl() calls and two thread
 * wake-ups per lookup (bench/README, bench_reporter.sh).  The answer comes
 * as a wire-format message, read by dns_wire.c; the small decoders in
 * dns_rdata.c turn RDATA into presentation strings.
 *
 * A resolver that answers nothing is not waited for again and again:
 * after DNS_UNREACHABLE_AFTER timeouts in a row with no answer between
 * them, for one timeout's length no lookup is sent and none in flight is
 * waited for (each ends as DNS_TIMEOUT at once, saying why); then lookups
 * are sent again, and the first answer of any kind ends the count.  A
 * reporter with 1 000 domains and a dead resolver took 80 s (128 lookups
 * in flight, 10 s each), deferring every one; it now takes one timeout.
 *
 * When the caller does not use the answers' DNSSEC status
 * (dns_options.dnssec_unused, the reporter) and every resolver is on
 * loopback, lookups go through c-ares instead (dns_cares.c): a quarter of
 * libunbound's CPU per lookup, with one UDP socket for all of them, which
 * only a resolver on the same host makes safe.  Its answers are read the
 * same way (dns_wire.c); `secure` is then the AD bit the local resolver
 * set.  A c-ares query that ends without an answer (its timeout, a closed
 * port) ends as DNS_TIMEOUT and counts as one for the rule above.
 */
#include "net/dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unbound-event.h>
#include <unbound.h>

#include "net/dns_cares.h"
#include "net/dns_wire.h"
#include "util/monotime.h"
#include "util/xalloc.h"

struct dns {
	struct dns_cares *cares;        /* c-ares instead of libunbound (see the top); or NULL */
	struct event_base *base;        /* NULL for a stub or c-ares */
	struct ub_ctx *ctx;             /* on base; NULL for a stub or c-ares */
	struct event *deadline;         /* a timer on base: wakes a wait at its deadline */
	int timeout_ms;
	int timeouts_in_row;            /* lookups timed out since the last answer */
	long quiet_until;               /* monotime_ms() before which nothing is asked */
	dns_stub_fn *stub;
	void *stub_ctx;
};

/* A c-ares query's link to its dns_query, until c-ares calls back: q is
 * NULL once the query is cancelled (the callback then only frees this). */
struct dns_token {
	struct dns_query *q;
};

struct dns_query {
	struct dns *d;
	int done;                       /* ans is filled */
	int no_answer;                  /* done, but c-ares got no answer (a timeout) */
	struct dns_token *token;        /* c-ares: while in flight */
	int not_sent;                   /* started while the resolver was taken as unreachable */
	int id;                         /* libunbound's, for ub_cancel */
	int type;
	long deadline;                  /* monotime_ms() past which it is a timeout */
	char *qname;                    /* A-labels */
	struct dns_answer ans;          /* the answer, made when it arrives (a stub's at start) */
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

/* The deadline timer's callback: nothing to do, the wait looks at the clock. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

struct dns *
dns_new(const struct dns_options *o, struct err *err)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	struct event_config *cfg;
	char csv[INET6_ADDRSTRLEN + 16];
	int r;

	d->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DNS_TIMEOUT_MS_DEFAULT;
	/* one syntax for both libraries (libunbound took a port past 65535) */
	if (o->resolver != NULL && dns_cares_server_csv(o->resolver, csv, sizeof(csv)) < 0) {
		err_set(err, "dns: resolver \"%s\": want IP or IP@PORT (port 1-65535)", o->resolver);
		goto fail;
	}
	if (o->dnssec_unused && o->trust_anchor_file == NULL) {
		struct err ignored;

		/* c-ares only towards loopback (see the top); else, or when it
		 * cannot be set up, libunbound, which also says what is wrong */
		d->cares = dns_cares_new(o->resolver, d->timeout_ms, &ignored);
		if (d->cares != NULL && dns_cares_on_loopback(d->cares))
			return d;
		dns_cares_free(d->cares);
		d->cares = NULL;
	}
	/* the environment does not choose the event backend */
	if ((cfg = event_config_new()) != NULL) {
		event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV);
		d->base = event_base_new_with_config(cfg);
		event_config_free(cfg);
	}
	if (d->base == NULL || (d->deadline = evtimer_new(d->base, on_deadline, d)) == NULL) {
		err_set(err, "dns: cannot create an event base");
		goto fail;
	}
	d->ctx = ub_ctx_create_event(d->base);
	if (d->ctx == NULL) {
		err_set(err, "dns: cannot create a libunbound context");
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
	dns_cares_free(d->cares);
	/* the context's events live on the base: it goes first */
	if (d->ctx != NULL)
		ub_ctx_delete(d->ctx);
	if (d->deadline != NULL)
		event_free(d->deadline);
	if (d->base != NULL)
		event_base_free(d->base);
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

/* libunbound's answer to query arg: made into its struct dns_answer at
 * once (msg points into libunbound's buffer).  rcode is not 0 when the
 * resolution failed (SERVFAIL, mostly), and msg is then no answer.  Not
 * called for a query that was cancelled. */
static void
on_answer(void *arg, int rcode, void *msg, int len, int sec, char *why_bogus, int ratelimited)
{
	struct dns_query *p = arg;

	(void)ratelimited;
	p->done = 1;
	/* any answer: the resolver is there */
	p->d->timeouts_in_row = 0;
	p->d->quiet_until = 0;
	p->ans.secure = sec == 2;
	if (sec == 1) {
		p->ans.status = DNS_BOGUS;
		p->ans.why = xstrdup(why_bogus != NULL ? why_bogus : "DNSSEC validation failed");
	} else if (rcode == 3) {
		p->ans.status = DNS_NXDOMAIN;
	} else if (rcode != 0 || msg == NULL || len < 0) {
		p->ans.status = DNS_SERVFAIL;
		p->ans.why = xasprintf("rcode %d", rcode != 0 ? rcode : 2);
	} else {
		dns_wire_fill(&p->ans, p->qname, p->type, msg, (size_t)len);
	}
}

/* c-ares's answer (or the lack of one) to the query of token arg. */
static void
on_cares_answer(void *arg, const unsigned char *msg, size_t len, const char *why)
{
	struct dns_token *t = arg;
	struct dns_query *p = t->q;

	free(t);
	if (p == NULL)
		return;         /* cancelled */
	p->token = NULL;
	p->done = 1;
	if (msg == NULL) {
		p->no_answer = 1;
		p->ans.status = DNS_TIMEOUT;
		p->ans.why = xasprintf("no answer: %s", why != NULL ? why : "?");
		return;
	}
	p->d->timeouts_in_row = 0;
	p->d->quiet_until = 0;
	/* the header's AD bit (RFC 4035 §3.2.3): validated by the local resolver */
	p->ans.secure = len >= 4 && (msg[3] & 0x20) != 0;
	dns_wire_fill(&p->ans, p->qname, p->type, msg, len);
}

/* Stops waiting for p's answer: libunbound drops it, c-ares's is dropped
 * when it comes. */
static void
cancel_query(struct dns *d, struct dns_query *p)
{
	if (p->token != NULL) {
		p->token->q = NULL;
		p->token = NULL;
	} else if (d->cares == NULL && !p->done && !p->not_sent) {
		ub_cancel(d->ctx, p->id);
	}
}

/* Sends the query for p->qname, p->type.  Returns 0 or -1 with err. */
static int
send_query(struct dns *d, struct dns_query *p, struct err *err)
{
	int r;

	p->deadline = monotime_ms() + d->timeout_ms;
	if (d->cares != NULL) {
		p->token = xmalloc(sizeof(*p->token));
		p->token->q = p;
		/* a query c-ares refuses at once is called back before this returns */
		dns_cares_send(d->cares, p->qname, p->type, on_cares_answer, p->token);
		return 0;
	}
	/* an answer from local data comes before this returns */
	if ((r = ub_resolve_event(d->ctx, p->qname, p->type, 1, p, on_answer, &p->id)) != 0) {
		err_set(err, "dns: %s: %s", p->qname, ub_strerror(r));
		return -1;
	}
	return 0;
}

/* 1 while the resolver is taken as unreachable (see the top). */
static int
resolver_quiet(const struct dns *d)
{
	return d->quiet_until != 0 && monotime_ms() < d->quiet_until;
}

/* Counts p's timeout; the DNS_UNREACHABLE_AFTER-th in a row starts a quiet
 * time of one timeout's length. */
static void
count_timeout(struct dns *d)
{
	if (++d->timeouts_in_row >= DNS_UNREACHABLE_AFTER)
		d->quiet_until = monotime_ms() + d->timeout_ms;
}

/* One pass of the transport: waits at most max_ms (0: not at all) for a
 * socket or a timer, then takes every answer that has come.  Returns 0 or
 * -1 with err. */
static int
run_once(struct dns *d, long max_ms, struct err *err)
{
	struct timeval tv;
	int rc;

	if (d->cares != NULL)
		return dns_cares_wait(d->cares, max_ms, err);
	if (max_ms <= 0) {
		rc = event_base_loop(d->base, EVLOOP_NONBLOCK);
	} else {
		tv.tv_sec = max_ms / 1000;
		tv.tv_usec = (max_ms % 1000) * 1000;
		/* blocks until a socket is readable or a timer is due (ours at
		 * max_ms), then runs every ready callback */
		rc = evtimer_add(d->deadline, &tv) < 0 ? -1 : event_base_loop(d->base, EVLOOP_ONCE);
		evtimer_del(d->deadline);
	}
	if (rc < 0) {
		err_set(err, "dns: the event loop failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs the transport until p is answered or past its deadline.  Returns
 * 1 when answered, 0 on timeout, 2 when not waited for because the
 * resolver is taken as unreachable (p is cancelled in both), -1 with err
 * when the loop failed (p is cancelled). */
static int
wait_query(struct dns *d, struct dns_query *p, struct err *err)
{
	long left;

	while (!p->done) {
		if (resolver_quiet(d)) {
			/* what has arrived still counts (and ends the quiet) */
			if (run_once(d, 0, err) < 0 || (!p->done && resolver_quiet(d))) {
				cancel_query(d, p);
				return 2;
			}
			continue;
		}
		left = p->deadline - monotime_ms();
		if (left <= 0) {
			cancel_query(d, p);
			return 0;
		}
		if (run_once(d, left, err) < 0) {
			err_prefix(err, "%s", p->qname);
			cancel_query(d, p);
			return -1;
		}
	}
	return 1;
}

/* Releases p (its answer too, if it still holds one). */
static void
query_free(struct dns_query *p)
{
	if (p->token != NULL)
		p->token->q = NULL;     /* c-ares's answer, when it comes, is dropped */
	dns_answer_clear(&p->ans);
	free(p->qname);
	free(p);
}

int
dns_query_start(struct dns *d, enum dns_type type, const char *name, struct dns_query **q,
    struct err *err)
{
	struct dns_query *p = xcalloc(1, sizeof(*p));

	*q = NULL;
	p->d = d;
	p->type = (int)type;
	if (d->stub != NULL) {
		/* a stub answers at once; the answer waits for the finish */
		p->done = 1;
		p->ans.qname = dns_name_to_ascii(name, &p->stub_err);
		p->stub_rc = p->ans.qname == NULL ? -1
			: d->stub(d->stub_ctx, p->ans.qname, type, &p->ans, &p->stub_err);
		*q = p;
		return 0;
	}
	if ((p->qname = dns_name_to_ascii(name, err)) == NULL) {
		query_free(p);
		return -1;
	}
	if (resolver_quiet(d)) {
		p->not_sent = 1;
	} else if (send_query(d, p, err) < 0) {
		query_free(p);
		return -1;
	}
	*q = p;
	return 0;
}

int
dns_query_finish(struct dns *d, struct dns_query **q, struct dns_answer *ans, struct err *err)
{
	struct dns_query *p = *q;
	int rc = -1, r;

	*q = NULL;
	if (ans != NULL)
		dns_answer_clear(ans);
	if (p == NULL) {
		err_set(err, "dns: no query");
		return -1;
	}
	if (d->stub != NULL) {
		rc = p->stub_rc;
		if (ans != NULL) {
			*ans = p->ans;
			memset(&p->ans, 0, sizeof(p->ans));
			if (rc < 0)
				err_set(err, "%s", p->stub_err.msg);
		}
		query_free(p);
		return rc;
	}
	if (ans == NULL) {
		/* a cancelled query's answer is dropped */
		cancel_query(d, p);
		query_free(p);
		return 0;
	}
	if ((r = p->not_sent ? 2 : wait_query(d, p, err)) < 0)
		goto out;
	rc = 0;
	if (r == 0) {
		ans->status = DNS_TIMEOUT;
		ans->why = xasprintf("no answer within %d ms", d->timeout_ms);
		count_timeout(d);
	} else if (r == 2) {
		ans->status = DNS_TIMEOUT;
		ans->why = xasprintf("not asked: the resolver answered none of the last %d lookups"
				     " (%d ms each); asking again %ld ms later", d->timeouts_in_row,
				     d->timeout_ms, d->quiet_until - monotime_ms());
	} else {
		if (p->no_answer)
			count_timeout(d);
		*ans = p->ans;
		memset(&p->ans, 0, sizeof(p->ans));
	}
out:
	ans->qname = p->qname;
	p->qname = NULL;
	query_free(p);
	return rc;
}

const char *
dns_transport_name(const struct dns *d)
{
	return d->stub != NULL ? "stub" : d->cares != NULL ? "c-ares" : "libunbound";
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
