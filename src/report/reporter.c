/*
 * reporter: set-up, the report mail, and the daily generation step
 * (see reporter.h).  Delivery is in outbound.c.
 */
#include "report/reporter.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/report_json.h"
#include "report/aggregate.h"
#include "report/compose.h"
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
reporter_build_mail(struct reporter *r, const char *report_id, const char *policy_domain,
		    int64_t day, const char *json, const char *to, int64_t now, struct buf *out,
		    struct err *err)
{
	struct buf body, mail;
	struct compose_mail m = { 0 };
	int ret = -1;

	buf_init(&body, REPORTER_MAX_SIZE);
	buf_init(&mail, REPORTER_MAX_SIZE * 2);
	if (r->cfg.uncompressed) {
		if (buf_append_str(&body, json) < 0) {
			err_set(err, "report-id=%s: report larger than %u bytes", report_id,
				REPORTER_MAX_SIZE);
			goto out;
		}
	} else if (gzipper_run(r->gzip, json, strlen(json), &body, err) < 0) {
		goto out;
	}
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
	m.body = body.data;
	m.body_len = body.len;
	if (composer_build(r->composer, &m, r->signer ? &mail : out, err) < 0)
		goto out;
	if (r->signer && dkim_signer_sign(r->signer, mail.data, mail.len, out, err) < 0)
		goto out;
	ret = 0;
out:
	buf_free(&body);
	buf_free(&mail);
	return ret;
}

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
};

static int
write_file(const char *dir, const char *name, const void *data, size_t len, struct err *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int ret = -1;

	if (f == NULL || fwrite(data, 1, len, f) != len) {
		err_set(err, "dry run: cannot write %s: %s", path, strerror(errno));
	} else {
		ret = 0;
	}
	if (f != NULL && fclose(f) != 0 && ret == 0) {
		err_set(err, "dry run: cannot write %s: %s", path, strerror(errno));
		ret = -1;
	}
	free(path);
	return ret;
}

/* --dry-run: the report and, for the first mailto destination, the mail. */
static int
dry_run(struct gen *g, const struct report *rep, const char *pd, const char *json,
	const struct strlist *dests, struct err *err)
{
	struct buf b;
	char *name;
	int ret = -1;

	buf_init(&b, REPORTER_MAX_SIZE * 2);
	name = naming_filename(g->r->cfg.submitter, pd, rep->start, rep->end,
			       !g->r->cfg.uncompressed);
	if (g->r->cfg.uncompressed ? buf_append_str(&b, json) < 0
				   : gzipper_run(g->r->gzip, json, strlen(json), &b, err) < 0)
		goto out;
	if (write_file(g->r->cfg.dry_run_dir, name, b.data, b.len, err) < 0)
		goto out;
	for (size_t i = 0; i < dests->n; i++) {
		char *eml;

		printf("%s\t%s\t%s\n", rep->report_id, pd, dests->v[i]);
		if (strncmp(dests->v[i], "mailto:", 7) != 0)
			continue;
		buf_reset(&b);
		if (reporter_build_mail(g->r, rep->report_id, pd, g->day, json, dests->v[i] + 7,
					g->now, &b, err) < 0)
			goto out;
		eml = xasprintf("%s.%zu.eml", rep->report_id, i + 1);
		ret = write_file(g->r->cfg.dry_run_dir, eml, b.data, b.len, err);
		free(eml);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	free(name);
	buf_free(&b);
	return ret;
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

static struct lookup *
do_lookup(struct gen *g, const char *pd)
{
	struct lookup *l = xcalloc(1, sizeof(*l));
	struct buf b;
	char **v;

	if (g->r->dns != NULL) {
		l->lr = rua_lookup(g->r->dns, pd, &l->dests, &l->why);
	} else {
		l->lr = RUA_NONE;
		err_set(&l->why, "domain=%s: no resolver", pd);
	}
	v = xcalloc(l->dests.n + 1, sizeof(*v));
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

/* aggregate's keep_in_host: leave a recipient domain's TLSA results out of
 * the MX host's report when both reports go to the same destinations (the
 * recipient domain's report already carries them; mox does the same). */
static int
keep_in_host(void *ctx, const char *domain, const char *host)
{
	struct gen *g = ctx;
	const char *rd = g_hash_table_lookup(g->rcpt, domain);
	struct lookup *hl;

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

static int
on_report(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct gen *g = ctx;
	struct lookup *l, *owned = NULL;
	char *json = NULL;
	int ret = 0, rc;

	g->st->reports++;
	if (g->r->cfg.only_failures && o->failures == 0) {
		g->st->only_success++;
		log_debug("report-id=%s: no failures, not sent (only_failures)",
			  o->report->report_id);
		return 0;
	}
	json = report_write_json(o->report, 0);
	l = o->host_report ? host_lookup(g, o->policy_domain)
			   : (owned = do_lookup(g, o->policy_domain));
	if (!o->host_report && l->lr == RUA_FOUND && has_host_tlsa(o->report, o->policy_domain))
		g_hash_table_insert(g->rcpt, xstrdup(o->policy_domain), xstrdup(l->joined));
	if (g->r->cfg.dry_run_dir != NULL) {
		g->st->no_record += l->lr == RUA_NONE;
		g->st->deferred += l->lr == RUA_TEMPFAIL;
		if (l->lr == RUA_TEMPFAIL)
			printf("%s\t%s\t(lookup failed: %s; a real run keeps the report and"
			       " retries the lookup)\n", o->report->report_id, o->policy_domain,
			       l->why.msg);
		else if (l->lr != RUA_FOUND)
			printf("%s\t%s\t(none: %s)\n", o->report->report_id, o->policy_domain,
			       l->why.msg);
		ret = dry_run(g, o->report, o->policy_domain, json, &l->dests, err);
		goto out;
	}
	if (l->lr == RUA_NONE) {
		g->st->no_record++;
		log_info("report-id=%s: not sent: %s", o->report->report_id, l->why.msg);
		goto out;
	}
	rc = store_outbox_add(g->s, o->report->report_id, g->day, o->policy_domain, json,
			      l->lr == RUA_FOUND ? &l->dests : NULL, g->now,
			      g->now + schedule_backoff(1), err);
	if (rc < 0) {
		g->fatal = 1;
		ret = -1;
	} else if (rc == 0) {
		g->st->duplicates++;
	} else if (l->lr == RUA_TEMPFAIL) {
		g->st->deferred++;
		log_warn("report-id=%s: lookup deferred: %s", o->report->report_id, l->why.msg);
	} else {
		g->st->stored++;
	}
out:
	free(json);
	lookup_free(owned);
	return ret;
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
	struct gen g = { r, s, NULL, day, now, st, err, 0, NULL, NULL };
	struct aggregate_config ac = { day, r->cfg.submitter, r->organization, r->contact_info,
				       keep_in_host, &g, &r->cfg.privacy };
	struct err local;
	int rc;

	if (err == NULL)
		g.err = &local;
	g.hosts = g_hash_table_new_full(g_str_hash, g_str_equal, free, lookup_free);
	g.rcpt = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	g.agg = aggregate_new(&ac, on_report, &g);
	rc = store_get_day_results(s, day, on_row, &g, err);
	if (rc == 0 && !g.fatal)
		rc = aggregate_finish(g.agg, err);
	aggregate_free(&g.agg);
	g_hash_table_destroy(g.hosts);
	g_hash_table_destroy(g.rcpt);
	if (rc != 0 || g.fatal)
		return -1;
	if (r->cfg.dry_run_dir == NULL && store_delete_day_results(s, day, NULL, err) < 0)
		return -1;
	return 0;
}
