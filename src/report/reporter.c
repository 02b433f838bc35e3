/*
 * reporter: set-up, the report mail, and the daily generation step
 * (see reporter.h).  Delivery is in outbound.c.
 */
#include "report/reporter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	r->composer = composer_new();
	r->gzip = gzipper_new();
	if (r->cfg.retry_for <= 0)
		r->cfg.retry_for = SCHEDULE_RETRY_FOR;
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

static int
on_report(void *ctx, struct aggregate_out *o, struct err *err)
{
	struct gen *g = ctx;
	struct strlist dests = { 0 };
	struct err why = { "" };
	enum rua_lookup_result lr = RUA_NONE;
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
	if (g->r->dns != NULL)
		lr = rua_lookup(g->r->dns, o->policy_domain, &dests, &why);
	else
		err_set(&why, "domain=%s: no resolver", o->policy_domain);
	if (g->r->cfg.dry_run_dir != NULL) {
		if (lr != RUA_FOUND)
			printf("%s\t%s\t(none: %s)\n", o->report->report_id, o->policy_domain,
			       why.msg);
		ret = dry_run(g, o->report, o->policy_domain, json, &dests, err);
		goto out;
	}
	if (lr == RUA_NONE) {
		g->st->no_record++;
		log_info("report-id=%s: not sent: %s", o->report->report_id, why.msg);
		goto out;
	}
	rc = store_outbox_add(g->s, o->report->report_id, g->day, o->policy_domain, json,
			      lr == RUA_FOUND ? &dests : NULL, g->now,
			      g->now + schedule_backoff(1), err);
	if (rc < 0) {
		g->fatal = 1;
		ret = -1;
	} else if (rc == 0) {
		g->st->duplicates++;
	} else if (lr == RUA_TEMPFAIL) {
		g->st->deferred++;
		log_warn("report-id=%s: lookup deferred: %s", o->report->report_id, why.msg);
	} else {
		g->st->stored++;
	}
out:
	free(json);
	strlist_clear(&dests);
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
	struct aggregate_config ac = { day, r->cfg.submitter, r->organization, r->contact_info };
	struct gen g = { r, s, NULL, day, now, st, err, 0 };
	struct err local;
	int rc;

	if (err == NULL)
		g.err = &local;
	g.agg = aggregate_new(&ac, on_report, &g);
	rc = store_get_day_results(s, day, on_row, &g, err);
	if (rc == 0 && !g.fatal)
		rc = aggregate_finish(g.agg, err);
	aggregate_free(&g.agg);
	if (rc != 0 || g.fatal)
		return -1;
	if (r->cfg.dry_run_dir == NULL && store_delete_day_results(s, day, NULL, err) < 0)
		return -1;
	return 0;
}
