/*
 * reporter: set-up, the report mail, and the daily generation step
 * (see reporter.h).  Delivery is in outbound.c.
 */
#include "report/reporter.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/report_json.h"
#include "report/aggregate.h"
#include "report/compose.h"
#include "report/dry_writer.h"
#include "report/gzip.h"
#include "report/naming.h"
#include "report/reporter_private.h"
#include "report/rua.h"
#include "report/schedule.h"
#include "store/store_outbox.h"
#include "store/store_results.h"
#include "util/log.h"
#include "util/xalloc.h"

struct reporter *
reporter_new(const struct reporter_config *cfg, struct dns *dns, struct err *err)
{
	struct reporter *r;

	if (cfg->submitter == NULL || *cfg->submitter == '\0') {
		err_set(err, "reporter: the submitter domain is not set");
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->cfg = *cfg;
	r->dns = dns;
	r->organization = xstrdup(cfg->organization ? cfg->organization : cfg->submitter);
	r->contact_info = cfg->contact_info ? xstrdup(cfg->contact_info)
					    : xasprintf("postmaster@%s", cfg->submitter);
	r->from = xstrdup(cfg->from ? cfg->from : r->contact_info);
	{
		const char *at = strrchr(r->contact_info, '@');

		/* RFC 8460 §5.3: TLS-Report-Submitter MUST match contact-info's domain */
		if (at == NULL || strcasecmp(at + 1, cfg->submitter) != 0)
			log_warn("contact-info \"%s\" is not an address at the submitter domain %s"
				 " (RFC 8460 section 5.3)", r->contact_info, cfg->submitter);
	}
	r->composer = composer_new();
	r->gzip = gzipper_new();
	if (r->cfg.retry_for <= 0)
		r->cfg.retry_for = SCHEDULE_RETRY_FOR;
	if (cfg->dkim_key == NULL && (cfg->smtp.url != NULL || cfg->sendmail != NULL))
		log_warn("report mails are not DKIM-signed here (no DKIM key given): RFC 8460"
			 " section 3 requires a signature, so the MTA must add one");
	if (cfg->dkim_key != NULL) {
		r->signer = dkim_signer_new(cfg->dkim_key, cfg->dkim_selector,
					    cfg->dkim_domain ? cfg->dkim_domain : cfg->submitter,
					    err);
		if (r->signer == NULL) {
			reporter_free(&r);
			return NULL;
		}
	}
	return r;
}

void
reporter_free(struct reporter **rp)
{
	struct reporter *r;

	if (rp == NULL || (r = *rp) == NULL)
		return;
	dkim_signer_free(&r->signer);
	composer_free(&r->composer);
	gzipper_free(&r->gzip);
	free(r->organization);
	free(r->contact_info);
	free(r->from);
	free(r);
	*rp = NULL;
}

int
reporter_mail_from_body(struct reporter *r, const char *report_id, const char *policy_domain,
		int64_t day, const struct buf *body, const char *to, int64_t now,
		struct buf *out, struct err *err)
{
	struct buf mail;
	struct compose_mail m = { 0 };
	int ret = -1;

	buf_init(&mail, REPORTER_MAX_SIZE * 2);
	m.from = r->from;
	m.to = to;
	m.submitter = r->cfg.submitter;
	m.policy_domain = policy_domain;
	m.report_id = report_id;
	m.organization = r->organization;
	m.begin = naming_day_begin(day);
	m.end = naming_day_end(day);
	m.date = now;
	m.compressed = !r->cfg.uncompressed;
	m.body = body->data;
	m.body_len = body->len;
	if (composer_build(r->composer, &m, r->signer ? &mail : out, err) < 0)
		goto out;
	if (r->signer && dkim_signer_sign(r->signer, mail.data, mail.len, out, err) < 0)
		goto out;
	ret = 0;
out:
	buf_free(&mail);
	return ret;
}

int
reporter_body(struct reporter *r, const char *report_id, const char *json, struct buf *body,
	   struct err *err)
{
	if (r->cfg.uncompressed) {
		if (buf_append_str(body, json) < 0) {
			err_set(err, "report-id=%s: report larger than %u bytes", report_id,
				REPORTER_MAX_SIZE);
			return -1;
		}
		return 0;
	}
	return gzipper_run(r->gzip, json, strlen(json), body, err);
}

int
reporter_build_mail(struct reporter *r, const char *report_id, const char *policy_domain,
		    int64_t day, const char *json, const char *to, int64_t now, struct buf *out,
		    struct err *err)
{
	struct buf body;
	int ret = -1;

	buf_init(&body, REPORTER_MAX_SIZE);
	if (reporter_body(r, report_id, json, &body, err) == 0)
		ret = reporter_mail_from_body(r, report_id, policy_domain, day, &body, to, now, out, err);
	buf_free(&body);
	return ret;
}

/* Lookups kept in flight by generate: deep enough that the resolver's
 * round trip is hidden behind the composition of the reports before it. */
#define LOOKUPS_IN_FLIGHT 128

/* A report waiting for its TLSRPT lookup (generate's window). */
struct waiting {
	struct report *rep;           /* owned */
	char *policy_domain;
	char *json;
	struct rua_query *q;          /* NULL without a resolver */
};

struct gen {
	struct reporter *r;
	struct store *s;
	struct aggregate *agg;
	int64_t day, now;
	struct reporter_stats *st;
	struct err *err;
	int fatal;
	GHashTable *hosts;            /* MX host → struct lookup * (this run) */
	GHashTable *rcpt;             /* recipient domain with host TLSA → joined rua */
	struct waiting win[LOOKUPS_IN_FLIGHT]; /* ring of reports whose lookups are in
	                               * flight, oldest at head */
	size_t head, n;
	struct dry_writer *writer;    /* --dry-run's files; NULL until the first */
};

/* --dry-run: prints the report's destinations and hands its files to
 * the writer (started with the first report, so that a run without
 * reports needs no directory).  A file that cannot be written is fatal
 * (g->fatal): the run stops with the error. */
static int
dry_run(struct gen *g, const struct report *rep, const char *pd, const char *json,
	const struct strlist *dests, struct err *err)
{
	struct dry_job job = { 0 };

	if (g->writer == NULL &&
	    (g->writer = dry_writer_new(g->r, g->day, g->now, err)) == NULL) {
		g->fatal = 1;
		return -1;
	}
	for (size_t i = 0; i < dests->n; i++)
		printf("%s\t%s\t%s\n", rep->report_id, pd, dests->v[i]);
	job.report_id = xstrdup(rep->report_id);
	job.policy_domain = xstrdup(pd);
	job.filename = naming_filename(g->r->cfg.submitter, pd, rep->start, rep->end,
				       !g->r->cfg.uncompressed);
	job.json = xstrdup(json);
	for (size_t i = 0; i < dests->n; i++)
		strlist_add(&job.dests, dests->v[i]);
	if (dry_writer_put(g->writer, &job, err) < 0) {
		g->fatal = 1;
		return -1;
	}
	return 0;
}

/* A TLSRPT lookup kept for the run: MX hosts are asked once. */
struct lookup {
	enum rua_lookup_result lr;
	struct strlist dests;
	char *joined;                 /* the destinations sorted, '\n'-joined */
	struct err why;
};

static void
lookup_free(void *v)
{
	struct lookup *l = v;

	if (l == NULL)
		return;
	strlist_clear(&l->dests);
	free(l->joined);
	free(l);
}

static int
cmp_strp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sets l->joined from l->dests. */
static void
join_dests(struct lookup *l)
{
	struct buf b;
	char **v = xcalloc(l->dests.n + 1, sizeof(*v));

	if (l->dests.n > 0) {
		memcpy(v, l->dests.v, l->dests.n * sizeof(*v));
		qsort(v, l->dests.n, sizeof(*v), cmp_strp);
	}
	buf_init(&b, (size_t)1 << 20);
	for (size_t i = 0; i < l->dests.n; i++)
		if (buf_append_str(&b, v[i]) < 0 || buf_append_str(&b, "\n") < 0)
			break;
	l->joined = buf_steal(&b, NULL);
	free(v);
}

/* Ends lookup q (NULL: there is no resolver) into l. */
static void
finish_lookup(struct gen *g, struct rua_query *q, const char *pd, struct lookup *l)
{
	if (q != NULL) {
		l->lr = rua_lookup_finish(g->r->dns, q, &l->dests, &l->why);
	} else {
		l->lr = RUA_NONE;
		err_set(&l->why, "domain=%s: no resolver", pd);
	}
}

static struct lookup *
do_lookup(struct gen *g, const char *pd)
{
	struct lookup *l = xcalloc(1, sizeof(*l));

	finish_lookup(g, g->r->dns != NULL ? rua_lookup_start(g->r->dns, pd) : NULL, pd, l);
	join_dests(l);
	return l;
}

static struct lookup *
host_lookup(struct gen *g, const char *host)
{
	struct lookup *l = g_hash_table_lookup(g->hosts, host);

	if (l == NULL) {
		l = do_lookup(g, host);
		g_hash_table_insert(g->hosts, xstrdup(host), l);
	}
	return l;
}

static int drain(struct gen *g, size_t keep, struct err *err);

/* aggregate's keep_in_host: leave a recipient domain's TLSA results out of
 * the MX host's report when both reports go to the same destinations (the
 * recipient domain's report already carries them; mox does the same). */
static int
keep_in_host(void *ctx, const char *domain, const char *host)
{
	struct gen *g = ctx;
	const char *rd;
	struct lookup *hl;

	/* every recipient domain's lookup has ended: g->rcpt is complete */
	if (drain(g, 0, g->err) < 0)
		g->fatal = 1;
	rd = g_hash_table_lookup(g->rcpt, domain);
	if (rd == NULL)
		return 1;
	hl = host_lookup(g, host);
	if (hl->lr == RUA_FOUND && strcmp(hl->joined, rd) == 0) {
		log_debug("domain=%s: TLSA results for %s left out of its report: same rua",
			  domain, host);
		return 0;
	}
	return 1;
}

/* Does r carry a TLSA policy of another policy domain than pd? */
static int
has_host_tlsa(const struct report *r, const char *pd)
{
	for (size_t i = 0; i < r->n_policies; i++)
		if (r->policies[i].type == POLICY_TYPE_TLSA &&
		    strcmp(r->policies[i].policy_domain, pd) != 0)
			return 1;
	return 0;
}

/* What becomes of report rep of policy domain pd, whose lookup ended in l:
 * dry run files, or the outbox.  Returns 0, or -1 with err set (g->fatal
 * too when the store failed). */
static int
place_report(struct gen *g, const struct report *rep, const char *pd, const char *json,
	     const struct lookup *l, struct err *err)
{
	int rc;

	if (g->r->cfg.dry_run_dir != NULL) {
		g->st->no_record += l->lr == RUA_NONE;
		g->st->deferred += l->lr == RUA_TEMPFAIL;
		if (l->lr == RUA_TEMPFAIL)
			printf("%s\t%s\t(lookup failed: %s; a real run keeps the report and"
			       " retries the lookup)\n", rep->report_id, pd, l->why.msg);
		else if (l->lr != RUA_FOUND)
			printf("%s\t%s\t(none: %s)\n", rep->report_id, pd, l->why.msg);
		return dry_run(g, rep, pd, json, &l->dests, err);
	}
	if (l->lr == RUA_NONE) {
		g->st->no_record++;
		log_info("report-id=%s: not sent: %s", rep->report_id, l->why.msg);
		return 0;
	}
	rc = store_outbox_add(g->s, rep->report_id, g->day, pd, json,
			      l->lr == RUA_FOUND ? &l->dests : NULL, g->now,
			      g->now + schedule_backoff(1), err);
	if (rc < 0) {
		g->fatal = 1;
		return -1;
	} else if (rc == 0) {
		g->st->duplicates++;
	} else if (l->lr == RUA_TEMPFAIL) {
		g->st->deferred++;
		log_warn("report-id=%s: lookup deferred: %s", rep->report_id, l->why.msg);
	} else {
		g->st->stored++;
	}
	return 0;
}

/* Ends the oldest waiting report: its lookup, then place_report().
 * Returns 0, or -1 with err set. */
static int
finish_oldest(struct gen *g, struct err *err)
{
	struct waiting *w = &g->win[g->head];
	struct lookup l = { 0 };
	int rc;

	g->head = (g->head + 1) % LOOKUPS_IN_FLIGHT;
	g->n--;
	finish_lookup(g, w->q, w->policy_domain, &l);
	if (l.lr == RUA_FOUND && has_host_tlsa(w->rep, w->policy_domain)) {
		join_dests(&l);
		g_hash_table_insert(g->rcpt, xstrdup(w->policy_domain), l.joined);
		l.joined = NULL;
	}
	rc = place_report(g, w->rep, w->policy_domain, w->json, &l, err);
	strlist_clear(&l.dests);
	free(l.joined);
	report_free(w->rep);
	free(w->policy_domain);
	free(w->json);
	memset(w, 0, sizeof(*w));
	return rc;
}

/* Ends waiting reports until at most `keep` are left.  A report that could
 * not be placed is logged and the others go on (as one that fails in
 * on_report); a store failure stops at once: -1 with err set. */
static int
drain(struct gen *g, size_t keep, struct err *err)
{
	struct err e;

	while (g->n > keep) {
		if (finish_oldest(g, &e) < 0) {
			if (g->fatal) {
				if (err != NULL)
					*err = e;
				return -1;
			}
			log_warn("%s", e.msg);
		}
	}
	return 0;
}

static int
on_report(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct gen *g = ctx;
	struct waiting *w;
	struct lookup *l;
	char *json = NULL;
	int ret;

	if (g->fatal) {
		if (err != NULL && g->err != NULL && err != g->err)
			*err = *g->err;
		return -1;
	}
	g->st->reports++;
	if (g->r->cfg.only_failures && o->failures == 0) {
		g->st->only_success++;
		log_debug("report-id=%s: no failures, not sent (only_failures)",
			  o->report->report_id);
		return 0;
	}
	json = report_write_json(o->report, 0);
	if (o->host_report) {
		/* an MX host's report: its lookup is shared, and the recipient
		 * reports before it must be placed first */
		if (drain(g, 0, err) < 0) {
			free(json);
			return -1;
		}
		l = host_lookup(g, o->policy_domain);
		ret = place_report(g, o->report, o->policy_domain, json, l, err);
		free(json);
		return ret;
	}
	/* a recipient domain's report waits in the window while its lookup
	 * is in flight; the oldest is ended when the window is full */
	if (g->n == LOOKUPS_IN_FLIGHT && drain(g, LOOKUPS_IN_FLIGHT - 1, err) < 0) {
		free(json);
		return -1;
	}
	w = &g->win[(g->head + g->n) % LOOKUPS_IN_FLIGHT];
	g->n++;
	w->rep = o->report;
	o->report = NULL;
	w->policy_domain = xstrdup(o->policy_domain);
	w->json = json;
	w->q = g->r->dns != NULL ? rua_lookup_start(g->r->dns, o->policy_domain) : NULL;
	return 0;
}

static int
on_row(void *ctx, const char *domain, const char *record, const struct policy *p)
{
	struct gen *g = ctx;
	struct err e;

	(void)record;   /* the record is looked up again at send time */
	if (aggregate_add(g->agg, domain, p, &e) < 0) {
		if (g->fatal) {
			*g->err = e;
			return 1;
		}
		log_warn("%s", e.msg);
	}
	return 0;
}

int
reporter_generate_day(struct reporter *r, struct store *s, int64_t day, int64_t now,
		      struct reporter_stats *st, struct err *err)
{
	struct gen *g = xcalloc(1, sizeof(*g));
	struct aggregate_config ac = { day, r->cfg.submitter, r->organization, r->contact_info,
				       keep_in_host, g, &r->cfg.privacy };
	struct err local;
	int rc;

	g->r = r;
	g->s = s;
	g->day = day;
	g->now = now;
	g->st = st;
	g->err = err != NULL ? err : &local;
	g->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, free, lookup_free);
	g->rcpt = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	g->agg = aggregate_new(&ac, on_report, g);
	rc = store_get_day_results(s, day, on_row, g, g->err);
	if (rc == 0 && !g->fatal)
		rc = aggregate_finish(g->agg, g->err);
	if (rc == 0 && !g->fatal)
		rc = drain(g, 0, g->err);
	/* the files still queued are written; a failed one fails the run */
	if (dry_writer_finish(&g->writer, rc == 0 && !g->fatal ? g->err : NULL) < 0)
		g->fatal = 1;
	/* after a failure: the lookups still in flight are cancelled */
	while (g->n > 0) {
		struct waiting *w = &g->win[g->head];
		struct strlist d = { 0 };

		if (w->q != NULL)
			rua_lookup_finish(r->dns, w->q, &d, NULL);
		strlist_clear(&d);
		report_free(w->rep);
		free(w->policy_domain);
		free(w->json);
		g->head = (g->head + 1) % LOOKUPS_IN_FLIGHT;
		g->n--;
	}
	aggregate_free(&g->agg);
	g_hash_table_destroy(g->hosts);
	g_hash_table_destroy(g->rcpt);
	rc = rc != 0 || g->fatal ? -1 : 0;
	free(g);
	if (rc != 0)
		return -1;
	if (r->cfg.dry_run_dir == NULL && store_delete_day_results(s, day, NULL, err) < 0)
		return -1;
	return 0;
}
