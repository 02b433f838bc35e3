/*
 * serve_post: the RFC 8460 §5.4 HTTPS report endpoint.
 *
 * The body is application/tlsrpt+gzip (raw gzip) or application/tlsrpt+json,
 * either possibly with Content-Encoding: gzip (decoded once); application/
 * json and other report-ish types are taken leniently, and so is any type
 * whose body sniffs as gzip (research/sender.md §3 (D)) or JSON.  The bytes
 * go through ingest_extract() (bounded unwrapping), each document through
 * report_parse_json(); all of this runs on the connection's worker thread,
 * in parallel with other POSTs.  The reports to store go to the store
 * writer as one job (intake.h: group commit) and the request is suspended
 * (http_request_suspend()) until the writer has committed them; then the
 * answer is built from each report's outcome.  A request that cannot be
 * suspended (a unit test's) waits for the writer instead.  A report none of whose
 * policy domains is ours (serve_config.accept_domains, or granted to a
 * user) is not stored: counted, and answered 403 when nothing else in the
 * POST was stored.  Answers: 200 stored or duplicate, 400 with the reason for bad input, 415 for a foreign type or
 * encoding, 500 when the store fails (the sender should retry).
 * HTTPS reports are unauthenticated (RFC 8460 §7): stored as channel "https".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/ingest.h"
#include "ingest/sniff.h"
#include "model/report_json.h"
#include "serve/intake.h"
#include "serve/serve_private.h"
#include "store/store_conflicts.h"
#include "store/store_reports.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Types a sender may use for a report body (media type only, lower case). */
static const char *const accepted_types[] = {
	"application/tlsrpt+gzip", "application/tlsrpt+json", "application/json",
	"application/gzip", "application/x-gzip", "application/tlsrpt+x-gzip",
	"application/octet-stream", "text/json",
};

/* One document of the POST, in the order it came. */
enum doc_kind { DOC_BAD, DOC_REFUSED, DOC_STORE };

struct post_doc {
	enum doc_kind kind;
	char *line;              /* DOC_BAD, DOC_REFUSED: the answer's line */
	struct report *r;        /* DOC_STORE: owned */
	char *raw;               /* DOC_STORE: the JSON text, owned */
	size_t item;             /* DOC_STORE: its index in items */
};

/* One POST, from its parsing to its answer. */
struct post {
	struct serve *serve;
	struct post_doc *docs;
	size_t n_docs, cap_docs;
	struct intake_item *items;   /* one per DOC_STORE, built after parsing */
	size_t n_items;
	int n_bad, n_refused, grants_failed;
	int extract_rc;              /* ingest_extract()'s value */
	struct domain_scope *grants; /* the users' grants, read at the first report */
	struct err err;              /* first parse error */
	struct intake_job job;
	struct http_suspended *susp;
};

/* Returns 1 if the Content-Type (media type before any ';') is accepted. */
static int
type_accepted(const char *ct, const struct http_request *req)
{
	size_t n, i;
	enum sniff_kind k;

	if (ct == NULL || *ct == '\0')
		return 1;
	n = strcspn(ct, "; \t");
	for (i = 0; i < sizeof(accepted_types) / sizeof(accepted_types[0]); i++)
		if (strlen(accepted_types[i]) == n && strncasecmp(ct, accepted_types[i], n) == 0)
			return 1;
	/* a mislabelled body that is plainly gzip or JSON is taken anyway */
	k = sniff_kind(req->body, req->body_len);
	return k == SNIFF_GZIP || k == SNIFF_JSON;
}

static int
add_grant(void *ctx, const char *pattern)
{
	struct err err;

	(void)domain_scope_add(ctx, pattern, &err);   /* checked when granted */
	return 0;
}

/* Returns 1 if a policy domain of r is accepted here (serve_accept_domains
 * or a user's grant), 0 if none is, -1 when the grants cannot be read. */
static int
accepted(struct post *p, const struct report *r)
{
	struct serve *s = p->serve;

	if (domain_scope_is_all(s->accept))
		return 1;
	if (p->grants == NULL) {
		struct store *st = serve_store_get(s, &p->err);
		int rc;

		p->grants = domain_scope_new();
		if (st == NULL)
			return -1;
		rc = store_grant_list(st, 0, add_grant, p->grants, &p->err);
		serve_store_put(s, st, rc < 0);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_policies; i++)
		if (domain_scope_allows(s->accept, r->policies[i].policy_domain) ||
		    domain_scope_allows(p->grants, r->policies[i].policy_domain))
			return 1;
	return 0;
}

static struct post_doc *
add_doc(struct post *p, enum doc_kind kind)
{
	struct post_doc *d;

	if (p->n_docs == p->cap_docs) {
		p->cap_docs = p->cap_docs != 0 ? 2 * p->cap_docs : 4;
		p->docs = xrealloc(p->docs, p->cap_docs * sizeof(*p->docs));
	}
	d = &p->docs[p->n_docs++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	return d;
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* ingest_extract()'s callback: parses and checks one document. */
static int
on_doc(void *vctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	struct post *p = vctx;
	struct report *r;
	struct err perr;
	int rc;

	(void)meta;
	atomic_fetch_add(&p->serve->reports_received, 1);
	r = report_parse_json(json, len, &perr);
	if (r == NULL) {
		p->n_bad++;
		if (p->err.msg[0] == '\0')
			err_set(&p->err, "not a valid TLSRPT report: %s", perr.msg);
		add_doc(p, DOC_BAD)->line =
			xasprintf("rejected: not a valid TLSRPT report: %s\n", perr.msg);
		return 0;
	}
	rc = accepted(p, r);
	if (rc < 0) {
		p->grants_failed = 1;
		log_error("cannot read the accepted domains: %s", p->err.msg);
		report_free(r);
		return 1;     /* stops: answered 500 */
	}
	if (rc == 0) {
		p->n_refused++;
		atomic_fetch_add(&p->serve->reports_refused, 1);
		log_info("report-id=%s org=%s: refused: no policy domain accepted here"
			 " (first: %s)", or_empty(r->report_id), or_empty(r->organization_name),
			 r->n_policies > 0 && r->policies[0].policy_domain != NULL ?
			 r->policies[0].policy_domain : "none");
		add_doc(p, DOC_REFUSED)->line =
			xasprintf("refused report-id=%s: none of its policy domains "
				  "is accepted by this server\n", or_empty(r->report_id));
		report_free(r);
		return 0;
	}
	{
		struct post_doc *d = add_doc(p, DOC_STORE);

		d->r = r;
		d->raw = xstrndup(json, len);
		d->item = p->n_items++;
	}
	return 0;
}

/* Builds the writer's items from the documents to store. */
static void
make_items(struct post *p)
{
	p->items = xcalloc(p->n_items, sizeof(*p->items));
	for (size_t i = 0; i < p->n_docs; i++) {
		struct post_doc *d = &p->docs[i];
		struct intake_item *it;

		if (d->kind != DOC_STORE)
			continue;
		it = &p->items[d->item];
		it->report = d->r;
		it->src.channel = "https";
		it->src.name = "POST";
		it->src.raw_json = d->raw;
		it->digest = store_report_content_digest(d->r);   /* here, in parallel */
	}
	p->job.items = p->items;
	p->job.n_items = p->n_items;
}

static void
post_free(struct post *p)
{
	for (size_t i = 0; i < p->n_docs; i++) {
		free(p->docs[i].line);
		free(p->docs[i].raw);
		report_free(p->docs[i].r);
	}
	free(p->docs);
	free(p->items);
	domain_scope_free(&p->grants);
	free(p);
}

static void
reject(struct serve *s, struct http_response *resp, unsigned status, const char *msg)
{
	char *line = xasprintf("%s\n", msg);

	atomic_fetch_add(&s->posts_rejected, 1);
	http_response_text(resp, status, "text/plain; charset=utf-8", line);
	free(line);
}

/* Logs and counts the outcome of one stored document; appends its line. */
static void
note_outcome(struct post *p, const struct post_doc *d, struct buf *reply,
	     int *n_stored, int *n_dup, int *n_failed)
{
	const struct intake_item *it = &p->items[d->item];
	const struct report *r = d->r;

	if (it->outcome < 0) {
		(*n_failed)++;
		log_error("report-id=%s: cannot store: %s", or_empty(r->report_id), it->err.msg);
		return;
	}
	atomic_fetch_add(it->outcome == 1 ? &p->serve->reports_stored :
			 &p->serve->reports_duplicate, 1);
	if (it->outcome == 1)
		(*n_stored)++;
	else
		(*n_dup)++;
	if (it->outcome == 2)
		log_warn("report-id=%s org=%s: received again by HTTPS POST with"
			 " different contents; the first one stored counts, this one"
			 " is kept as a conflict", or_empty(r->report_id),
			 or_empty(r->organization_name));
	else
		log_info("report-id=%s org=%s: %s from HTTPS POST", or_empty(r->report_id),
			 or_empty(r->organization_name), it->outcome == 1 ? "stored" : "duplicate");
	buf_printf(reply, "%s report-id=%s\n", it->outcome == 1 ? "stored" : "duplicate",
		   or_empty(r->report_id));
}

/* The answer, once every report to store has its outcome. */
static void
post_answer(struct post *p, struct http_response *resp)
{
	struct serve *s = p->serve;
	int extract_rc = p->extract_rc;
	struct buf reply;
	int n_stored = 0, n_dup = 0, n_failed = 0;

	buf_init(&reply, 64 * 1024);
	for (size_t i = 0; i < p->n_docs; i++) {
		const struct post_doc *d = &p->docs[i];

		if (d->kind == DOC_STORE)
			note_outcome(p, d, &reply, &n_stored, &n_dup, &n_failed);
		else
			buf_append_str(&reply, d->line);
	}
	if (p->grants_failed || n_failed > 0) {
		reject(s, resp, 500, "temporary failure: the report could not be stored");
	} else if (extract_rc <= 0 && p->n_docs == 0) {
		buf_reset(&reply);
		buf_printf(&reply, "not a TLSRPT report: %s", p->err.msg);
		reject(s, resp, 400, reply.data);
	} else if (extract_rc >= 0 && p->n_bad == 0 && p->n_refused > 0 &&
		   n_stored + n_dup == 0) {
		atomic_fetch_add(&s->posts_rejected, 1);
		http_response_text(resp, 403, "text/plain; charset=utf-8", reply.data);
	} else if (extract_rc < 0 || p->n_bad > 0) {
		if (extract_rc < 0 && p->n_bad == 0)
			buf_printf(&reply, "error: %s\n", p->err.msg);
		atomic_fetch_add(&s->posts_rejected, 1);
		http_response_text(resp, 400, "text/plain; charset=utf-8", reply.data);
	} else {
		http_response_text(resp, 200, "text/plain; charset=utf-8", reply.data);
	}
	buf_free(&reply);
}

/* The writer is done with the job: wake the request (writer thread). */
static void
post_done(struct intake_job *job)
{
	struct post *p = job->ctx;

	http_resume(p->susp);
}

/* http_finish_fn: the answer of a resumed request (worker thread). */
static void
post_finish(void *ctx, struct http_response *resp)
{
	struct post *p = ctx;

	if (resp != NULL) {
		post_answer(p, resp);
		serve_count_status(p->serve, resp->status);
	}
	post_free(p);
}

int
serve_post(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	const char *ct = req->get_header(req, "Content-Type");
	const char *ce = req->get_header(req, "Content-Encoding");
	struct ingest_limits lim;
	struct post *p;
	int n;

	if (!type_accepted(ct, req)) {
		reject(s, resp, 415, "unsupported Content-Type: send application/tlsrpt+gzip "
		       "or application/tlsrpt+json (RFC 8460 section 5.4)");
		return 0;
	}
	if (ce != NULL && *ce != '\0' && strcasecmp(ce, "gzip") != 0 &&
	    strcasecmp(ce, "x-gzip") != 0 && strcasecmp(ce, "identity") != 0) {
		reject(s, resp, 415, "unsupported Content-Encoding: only gzip is accepted");
		return 0;
	}
	if (req->body_len == 0) {
		reject(s, resp, 400, "empty body: expected a TLSRPT report");
		return 0;
	}
	p = xcalloc(1, sizeof(*p));
	p->serve = s;
	ingest_limits_default(&lim);
	lim.max_input = s->max_body;
	n = ingest_extract(req->body, req->body_len, &lim, on_doc, p, &p->err);
	p->extract_rc = n;
	if (p->n_items == 0 || p->grants_failed || n < 0 || p->n_bad > 0) {
		/* nothing to store, or answered 4xx/5xx anyway: reports stored
		 * beside a bad one are stored first (the sender is told which) */
		if (p->n_items > 0 && !p->grants_failed) {
			make_items(p);
			intake_store_wait(s->intake, &p->job);
		}
		post_answer(p, resp);
		post_free(p);
		return 0;
	}
	make_items(p);
	p->job.ctx = p;
	p->job.done = post_done;
	p->susp = http_request_suspend(req, post_finish, p);
	if (p->susp != NULL) {
		intake_submit(s->intake, &p->job);
		return 1;
	}
	intake_store_wait(s->intake, &p->job);
	post_answer(p, resp);
	post_free(p);
	return 0;
}
