/*
 * core: cache, resolver queue and threads of policyd (see core.h).
 *
 * One mutex guards the cache, the queue and the counters; nothing holds
 * it across DNS, HTTPS or store I/O.  An entry with busy set has a job
 * queued or running; the resolver clears it and broadcasts `done`.  A
 * request waiting for that counts itself in the entry's waiters until it
 * has the lock back: neither busy nor waiters, it may be freed (cache.c,
 * policyd_core_tick()).
 */
#include "policyd/core.h"

#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policyd/cache.h"
#include "policyd/key.h"
#include "policyd/report.h"
#include "policyd/resolve.h"
#include "store/store_sts_cache.h"
#include "util/log.h"
#include "util/xalloc.h"

#define QUEUE_MAX 4096          /* domains waiting for a resolver */

struct policyd_core {
	struct policyd_config cfg;
	int64_t (*now)(void);
	pthread_mutex_t lock;
	pthread_cond_t work;            /* a job was queued, or stopping */
	pthread_cond_t done;            /* a job finished */
	GHashTable *cache;              /* domain → struct policyd_entry *, owned */
	char **queue;                   /* ring of domains, owned */
	size_t qhead, qlen;
	int stopping;
	pthread_t *threads;
	int n_threads;
	pthread_mutex_t store_lock;     /* one store handle, one thread at a time */
	struct store *store;
	struct policyd_reporter *reporter;
	struct policyd_stats stats;
};

static int64_t
wall_clock(void)
{
	return (int64_t)time(NULL);
}

static void
free_entry(gpointer p)
{
	struct policyd_entry *e = p;

	policyd_entry_free(&e);
}

/* Queues domain for a resolver; e->busy marks it.  Lock held.  Returns 0,
 * or -1 when the queue is full (the entry stays as it is). */
static int
enqueue(struct policyd_core *c, struct policyd_entry *e)
{
	if (e->busy)
		return 0;
	if (c->qlen == QUEUE_MAX || c->n_threads == 0)
		return -1;
	c->queue[(c->qhead + c->qlen) % QUEUE_MAX] = xstrdup(e->domain);
	c->qlen++;
	e->busy = 1;
	pthread_cond_signal(&c->work);
	return 0;
}

static struct policyd_entry *
get_entry(struct policyd_core *c, const char *domain, int create)
{
	struct policyd_entry *e = g_hash_table_lookup(c->cache, domain);

	if (e == NULL && create) {
		(void)policyd_cache_make_room(c->cache, c->cfg.cache_size);
		e = policyd_entry_new(domain);
		g_hash_table_insert(c->cache, e->domain, e);
	}
	return e;
}

/* ---- resolving --------------------------------------------------------- */

/* Loads domain's policy from the store into e if it has a newer one. */
static void
load_from_store(struct policyd_core *c, struct policyd_entry *e, const char *domain)
{
	struct store_sts_policy sp = { 0 };
	struct err err = { { 0 } };
	int rc;

	if (c->store == NULL)
		return;
	pthread_mutex_lock(&c->store_lock);
	rc = store_sts_cache_get(c->store, domain, c->now(), &sp, &err);
	pthread_mutex_unlock(&c->store_lock);
	if (rc < 0)
		log_warn("domain=%s: store: %s", domain, err.msg);
	if (rc != 1)
		goto out;
	pthread_mutex_lock(&c->lock);
	if (policyd_entry_install(e, sp.id, sp.body, sp.fetched, sp.expires, c->now(), &c->cfg.rules) == 1)
		c->stats.store_loads++;
	pthread_mutex_unlock(&c->lock);
out:
	store_sts_policy_clear(&sp);
}

static void
save_to_store(struct policyd_core *c, struct store_sts_policy *sp)
{
	struct err err = { { 0 } };

	if (c->store == NULL)
		return;
	pthread_mutex_lock(&c->store_lock);
	if (store_sts_cache_put(c->store, sp, &err) < 0)
		log_warn("%s", err.msg);
	pthread_mutex_unlock(&c->store_lock);
}

/* One job: everything a lookup of domain needs now.  e is borrowed: it is
 * busy, so nobody frees it meanwhile; its fields are read under the lock. */
static void
resolve(struct policyd_core *c, struct dns *dns, struct policyd_entry *e)
{
	struct policyd_result res = { 0 };
	struct store_sts_policy sp = { 0 };
	const struct policyd_rules *r = &c->cfg.rules;
	char *why = NULL;
	int want, dane, has, fresh;
	int64_t now;

	pthread_mutex_lock(&c->lock);
	has = e->state == POLICYD_POLICY && c->now() < e->expires;
	c->stats.resolves++;
	pthread_mutex_unlock(&c->lock);
	if (!has)
		load_from_store(c, e, e->domain);
	policyd_resolve_txt(dns, e->domain, &res, &why);
	pthread_mutex_lock(&c->lock);
	now = c->now();
	want = policyd_entry_wants_fetch(e, res.id, now, r);
	dane = r->dane_first && (e->dane_until == 0 || now >= e->dane_until);
	pthread_mutex_unlock(&c->lock);
	if (res.txt != POLICYD_TXT_OK)
		log_debug("domain=%s: %s", e->domain, why ? why : "no MTA-STS record");
	if (want)
		policyd_resolve_policy(&c->cfg.https, e->domain, &res);
	if (dane)
		policyd_resolve_dane(dns, e->domain, r->check_interval, r->retry_interval, &res);
	if (res.fetched && res.failure != POLICYD_FAIL_NONE)
		log_warn("domain=%s: MTA-STS policy %s: %s", e->domain, policyd_failure_name(res.failure),
		    res.failure_msg ? res.failure_msg : "");
	else if (res.fetched)
		log_info("domain=%s: MTA-STS policy fetched: id %s, mode %s, max_age %ld", e->domain,
		    res.id ? res.id : "-", sts_mode_name(res.policy.mode), res.policy.max_age);
	pthread_mutex_lock(&c->lock);
	now = c->now();
	if (res.fetched) {
		c->stats.fetches++;
		if (res.failure != POLICYD_FAIL_NONE)
			c->stats.fetch_failures++;
	}
	fresh = policyd_entry_apply(e, &res, now, r);
	if (fresh) {
		sp.domain = xstrdup(e->domain);
		sp.id = e->id ? xstrdup(e->id) : NULL;
		sp.body = xstrdup(e->body);
		sp.fetched = e->fetched;
		sp.expires = e->expires;
	}
	e->busy = 0;
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	if (fresh)
		save_to_store(c, &sp);
	store_sts_policy_clear(&sp);
	policyd_result_clear(&res);
	free(why);
}

static void *
worker_main(void *arg)
{
	struct policyd_core *c = arg;
	struct policyd_entry *e;
	struct err err = { { 0 } };
	struct dns *dns;
	char *domain;

	dns = dns_new(&c->cfg.dns, &err);
	if (dns == NULL)
		log_error("resolver thread: %s", err.msg);
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->stopping && c->qlen == 0)
			pthread_cond_wait(&c->work, &c->lock);
		if (c->stopping)
			break;
		domain = c->queue[c->qhead];
		c->qhead = (c->qhead + 1) % QUEUE_MAX;
		c->qlen--;
		e = g_hash_table_lookup(c->cache, domain);
		free(domain);
		if (e == NULL)
			continue;
		if (dns == NULL) {
			e->busy = 0;
			pthread_cond_broadcast(&c->done);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		resolve(c, dns, e);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	dns_free(dns);
	return NULL;
}

/* ---- answering --------------------------------------------------------- */

static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void
policyd_core_answer(struct policyd_core *c, const char *req, size_t len, struct buf *out)
{
	const char *sp = memchr(req, ' ', len), *why, *ans;
	enum policyd_failure report = POLICYD_FAIL_NONE;
	char *domain, *why_report = NULL;
	struct policyd_entry *e;
	struct timespec until;
	enum policyd_need need;
	int rc = 0;
	struct err err = { { 0 } };

	if (sp == NULL || sp == req || sp + 1 == req + len) {
		pthread_mutex_lock(&c->lock);
		c->stats.requests++;
		c->stats.bad_requests++;
		pthread_mutex_unlock(&c->lock);
		(void)buf_append_str(out, "PERM request is not \"name key\"");
		return;
	}
	domain = policyd_key_domain(sp + 1, (size_t)(req + len - sp - 1), &why);
	pthread_mutex_lock(&c->lock);
	c->stats.requests++;
	if (domain == NULL) {
		c->stats.skipped++;
		pthread_mutex_unlock(&c->lock);
		log_debug("key \"%.*s\": %s: NOTFOUND", (int)(req + len - sp - 1 < 300 ? req + len - sp - 1 : 300),
		    sp + 1, why);
		(void)buf_append_str(out, "NOTFOUND ");
		return;
	}
	c->stats.lookups++;
	e = get_entry(c, domain, 1);
	e->last_used = c->now();
	need = policyd_entry_need(e, c->now(), &c->cfg.rules);
	if (need == POLICYD_NEED_WAIT) {
		c->stats.waits++;
		if (enqueue(c, e) < 0)
			log_warn("domain=%s: resolver queue full: answered without waiting", domain);
		deadline_in(&until, c->cfg.answer_timeout_ms);
		/* counted as waiting while the lock is let go: once the job
		 * clears busy, another request may make room before this one
		 * has the lock back, and must not free e */
		e->waiters++;
		while (e->busy && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&c->done, &c->lock, &until);
		e->waiters--;
		if (e->busy) {
			c->stats.wait_timeouts++;
			log_warn("domain=%s: no answer from DNS/HTTPS within %d ms: answered as if no "
			    "policy; the lookup goes on", domain, c->cfg.answer_timeout_ms);
		}
	} else {
		c->stats.cache_hits++;
		if (need == POLICYD_NEED_BACKGROUND)
			(void)enqueue(c, e);
	}
	e->last_used = c->now();
	ans = policyd_entry_answer(e, e->last_used, &c->cfg.rules, &report);
	if (strcmp(ans, "OK dane") == 0)
		c->stats.dane_answers++;
	(void)buf_append_str(out, ans);
	if (report != POLICYD_FAIL_NONE && c->reporter != NULL)
		why_report = xstrdup(e->failure_msg ? e->failure_msg : "");
	pthread_mutex_unlock(&c->lock);
	if (why_report != NULL) {
		rc = policyd_report_failure(c->reporter, domain, report, why_report, &err);
		pthread_mutex_lock(&c->lock);
		if (rc < 0)
			c->stats.report_errors++;
		else
			c->stats.reported++;
		pthread_mutex_unlock(&c->lock);
		if (rc < 0)
			log_warn("%s", err.msg);
	}
	free(why_report);
	free(domain);
}

void
policyd_core_resolve_now(struct policyd_core *c, const char *domain)
{
	struct policyd_entry *e;
	struct err err = { { 0 } };
	struct dns *dns = dns_new(&c->cfg.dns, &err);

	if (dns == NULL) {
		log_error("%s", err.msg);
		return;
	}
	pthread_mutex_lock(&c->lock);
	e = get_entry(c, domain, 1);
	e->waiters++;           /* as in policyd_core_answer() */
	while (e->busy)
		pthread_cond_wait(&c->done, &c->lock);
	e->waiters--;
	e->busy = 1;
	pthread_mutex_unlock(&c->lock);
	resolve(c, dns, e);
	dns_free(dns);
}

static const char *
state_name(enum policyd_state s)
{
	switch (s) {
	case POLICYD_UNKNOWN: return "unknown";
	case POLICYD_NOPOLICY: return "no policy";
	case POLICYD_POLICY: return "policy";
	case POLICYD_FAILED: return "policy failed";
	}
	return "?";
}

void
policyd_core_describe(struct policyd_core *c, const char *domain, FILE *out)
{
	struct policyd_entry *e;
	enum policyd_failure rep;
	int64_t now = c->now();
	size_t i;

	pthread_mutex_lock(&c->lock);
	e = get_entry(c, domain, 0);
	if (e == NULL) {
		fprintf(out, "domain: %s\nstate: unknown\n", domain);
		goto out;
	}
	fprintf(out, "domain: %s\nstate: %s\n", domain, state_name(e->state));
	if (e->state == POLICYD_POLICY) {
		fprintf(out, "id: %s\nmode: %s\nmax_age: %ld\nexpires in: %lld s\n", e->id ? e->id : "-",
		    sts_mode_name(e->policy.mode), e->policy.max_age, (long long)(e->expires - now));
		for (i = 0; i < e->policy.mx.n; i++)
			fprintf(out, "mx: %s\n", e->policy.mx.v[i]);
	}
	if (e->state == POLICYD_FAILED)
		fprintf(out, "failure: %s: %s\n", policyd_failure_name(e->failure),
		    e->failure_msg ? e->failure_msg : "");
	if (c->cfg.rules.dane_first)
		fprintf(out, "dane: %s\n", policyd_dane_name(e->dane));
	fprintf(out, "answer: %s\n", policyd_entry_answer(e, now, &c->cfg.rules, &rep));
	if (rep != POLICYD_FAIL_NONE)
		fprintf(out, "reported by policyd: %s\n", policyd_failure_name(rep));
out:
	pthread_mutex_unlock(&c->lock);
}

void
policyd_core_tick(struct policyd_core *c)
{
	GHashTableIter it;
	gpointer k, v;
	struct policyd_entry *e;
	int64_t now;

	pthread_mutex_lock(&c->lock);
	now = c->now();
	g_hash_table_iter_init(&it, c->cache);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		e = v;
		if (!policyd_cache_evictable(e))
			continue;
		/* proactive refresh (RFC 8461 §5.1) of policies used since
		 * they were fetched */
		if (e->state == POLICYD_POLICY && now < e->expires && e->last_used >= e->fetched &&
		    policyd_entry_wants_fetch(e, e->id, now, &c->cfg.rules))
			(void)enqueue(c, e);
		/* forget what nobody asked for in a day and holds no policy */
		else if (now - e->last_used > 86400 && (e->state != POLICYD_POLICY || now >= e->expires))
			g_hash_table_iter_remove(&it);
	}
	pthread_mutex_unlock(&c->lock);
	if (c->store != NULL && now % 3600 == 0) {
		pthread_mutex_lock(&c->store_lock);
		(void)store_sts_cache_expire(c->store, now, NULL);
		pthread_mutex_unlock(&c->store_lock);
	}
}

/* ---- counters ---------------------------------------------------------- */

void
policyd_core_stats(struct policyd_core *c, struct policyd_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

void
policyd_core_log_stats(struct policyd_core *c)
{
	struct policyd_stats s;
	size_t cached;

	pthread_mutex_lock(&c->lock);
	s = c->stats;
	cached = g_hash_table_size(c->cache);
	pthread_mutex_unlock(&c->lock);
	log_info("stats: requests=%llu lookups=%llu cache_hits=%llu waits=%llu wait_timeouts=%llu "
	    "resolves=%llu fetches=%llu fetch_failures=%llu store_loads=%llu dane_answers=%llu "
	    "reported=%llu report_errors=%llu not_a_domain=%llu bad_requests=%llu connections=%llu "
	    "refused=%llu cached_domains=%zu",
	    (unsigned long long)s.requests, (unsigned long long)s.lookups,
	    (unsigned long long)s.cache_hits, (unsigned long long)s.waits,
	    (unsigned long long)s.wait_timeouts, (unsigned long long)s.resolves,
	    (unsigned long long)s.fetches, (unsigned long long)s.fetch_failures,
	    (unsigned long long)s.store_loads, (unsigned long long)s.dane_answers,
	    (unsigned long long)s.reported, (unsigned long long)s.report_errors,
	    (unsigned long long)s.skipped, (unsigned long long)s.bad_requests,
	    (unsigned long long)s.connections, (unsigned long long)s.refused, cached);
}

void
policyd_core_count_connection(struct policyd_core *c, int accepted)
{
	pthread_mutex_lock(&c->lock);
	if (accepted)
		c->stats.connections++;
	else
		c->stats.refused++;
	pthread_mutex_unlock(&c->lock);
}

void
policyd_core_count_bad_request(struct policyd_core *c)
{
	pthread_mutex_lock(&c->lock);
	c->stats.bad_requests++;
	pthread_mutex_unlock(&c->lock);
}

/* ---- life cycle -------------------------------------------------------- */

static void
install_stored(void *ctx, const struct store_sts_policy *p)
{
	struct policyd_core *c = ctx;
	struct policyd_entry *e = get_entry(c, p->domain, 1);

	if (policyd_entry_install(e, p->id, p->body, p->fetched, p->expires, c->now(), &c->cfg.rules) == 1)
		c->stats.store_loads++;
}

struct policyd_core *
policyd_core_new(const struct policyd_config *cfg, int64_t (*now_fn)(void), struct err *err)
{
	struct policyd_core *c = xcalloc(1, sizeof(*c));
	int n;

	c->cfg = *cfg;
	c->now = now_fn != NULL ? now_fn : wall_clock;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->store_lock, NULL);
	pthread_cond_init(&c->work, NULL);
	pthread_cond_init(&c->done, NULL);
	c->cache = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free_entry);
	c->queue = xcalloc(QUEUE_MAX, sizeof(*c->queue));
	if (cfg->db_url != NULL && *cfg->db_url != '\0') {
		c->store = store_open(cfg->db_url, err);
		if (c->store == NULL) {
			err_prefix(err, "store");
			goto fail;
		}
		pthread_mutex_lock(&c->lock);
		n = store_sts_cache_each(c->store, c->now(), install_stored, c, err);
		pthread_mutex_unlock(&c->lock);
		if (n < 0) {
			err_prefix(err, "store: reading cached policies");
			goto fail;
		}
		if (n > 0)
			log_info("%d MTA-STS policies read from the store", n);
	}
	if (cfg->collector_socket != NULL && *cfg->collector_socket != '\0') {
		c->reporter = policyd_reporter_new(cfg->collector_socket, err);
		if (c->reporter == NULL)
			goto fail;
	}
	c->threads = xcalloc((size_t)(cfg->workers > 0 ? cfg->workers : 1), sizeof(*c->threads));
	for (n = 0; n < cfg->workers; n++) {
		if (pthread_create(&c->threads[n], NULL, worker_main, c) != 0) {
			err_set(err, "cannot start resolver thread: %s", strerror(errno));
			goto fail;
		}
		c->n_threads++;
	}
	return c;
fail:
	policyd_core_free(&c);
	return NULL;
}

void
policyd_core_free(struct policyd_core **pc)
{
	struct policyd_core *c;
	int i;

	if (pc == NULL || *pc == NULL)
		return;
	c = *pc;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
	for (i = 0; i < c->n_threads; i++)
		pthread_join(c->threads[i], NULL);
	free(c->threads);
	while (c->qlen > 0) {
		free(c->queue[c->qhead]);
		c->qhead = (c->qhead + 1) % QUEUE_MAX;
		c->qlen--;
	}
	free(c->queue);
	g_hash_table_destroy(c->cache);
	store_close(&c->store);
	policyd_reporter_free(&c->reporter);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->store_lock);
	free(c);
	*pc = NULL;
}
