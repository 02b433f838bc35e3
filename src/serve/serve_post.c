/*
 * serve_post: the RFC 8460 §5.4 HTTPS report endpoint.
 *
 * The body is application/tlsrpt+gzip (raw gzip) or application/tlsrpt+json,
 * either possibly with Content-Encoding: gzip (decoded once); application/
 * json and other report-ish types are taken leniently, and so is any type
 * whose body sniffs as gzip (research/sender.md §3 (D)) or JSON.  The bytes
 * go through ingest_extract() (bounded unwrapping), each document through
 * report_parse_json() and store_put_report().  Answers: 200 stored or
 * duplicate, 400 with the reason for bad input, 415 for a foreign type or
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
#include "serve/serve_private.h"
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

struct post_ctx {
	struct serve *serve;
	struct store *store;
	struct buf reply;        /* one line per document */
	int n_docs, n_stored, n_dup, n_bad, store_failed;
	struct err err;          /* first parse or store error */
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
on_doc(void *vctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	struct post_ctx *c = vctx;
	struct report_source src;
	struct report *r;
	struct err perr;
	char *raw;
	int rc;

	(void)meta;
	c->n_docs++;
	atomic_fetch_add(&c->serve->reports_received, 1);
	r = report_parse_json(json, len, &perr);
	if (r == NULL) {
		c->n_bad++;
		if (c->err.msg[0] == '\0')
			err_set(&c->err, "not a valid TLSRPT report: %s", perr.msg);
		buf_printf(&c->reply, "rejected: not a valid TLSRPT report: %s\n", perr.msg);
		return 0;
	}
	raw = xstrndup(json, len);
	memset(&src, 0, sizeof(src));
	src.channel = "https";
	src.name = "POST";
	src.raw_json = raw;
	rc = store_put_report(c->store, r, &src, &perr);
	if (rc < 0) {
		c->store_failed = 1;
		err_set(&c->err, "report-id=%s: cannot store: %s",
			r->report_id != NULL ? r->report_id : "", perr.msg);
		log_error("%s", c->err.msg);
	} else {
		atomic_fetch_add(rc == 1 ? &c->serve->reports_stored :
				 &c->serve->reports_duplicate, 1);
		if (rc == 1)
			c->n_stored++;
		else
			c->n_dup++;
		log_info("report-id=%s org=%s: %s from HTTPS POST",
			 r->report_id != NULL ? r->report_id : "",
			 r->organization_name != NULL ? r->organization_name : "",
			 rc == 1 ? "stored" : "duplicate");
		buf_printf(&c->reply, "%s report-id=%s\n", rc == 1 ? "stored" : "duplicate",
			   r->report_id != NULL ? r->report_id : "");
	}
	free(raw);
	report_free(r);
	return c->store_failed;
}

static void
reject(struct serve *s, struct http_response *resp, unsigned status, const char *msg)
{
	char *line = xasprintf("%s\n", msg);

	atomic_fetch_add(&s->posts_rejected, 1);
	http_response_text(resp, status, "text/plain; charset=utf-8", line);
	free(line);
}

void
serve_post(struct serve *s, const struct http_request *req, struct http_response *resp)
{
	const char *ct = req->get_header(req, "Content-Type");
	const char *ce = req->get_header(req, "Content-Encoding");
	struct ingest_limits lim;
	struct post_ctx c;
	int n;

	if (s->read_only) {
		reject(s, resp, 503, "this server shows the dashboard only (--read-only): "
		       "reports are not accepted here");
		return;
	}
	if (!type_accepted(ct, req)) {
		reject(s, resp, 415, "unsupported Content-Type: send application/tlsrpt+gzip "
		       "or application/tlsrpt+json (RFC 8460 section 5.4)");
		return;
	}
	if (ce != NULL && *ce != '\0' && strcasecmp(ce, "gzip") != 0 &&
	    strcasecmp(ce, "x-gzip") != 0 && strcasecmp(ce, "identity") != 0) {
		reject(s, resp, 415, "unsupported Content-Encoding: only gzip is accepted");
		return;
	}
	if (req->body_len == 0) {
		reject(s, resp, 400, "empty body: expected a TLSRPT report");
		return;
	}
	memset(&c, 0, sizeof(c));
	c.serve = s;
	buf_init(&c.reply, 64 * 1024);
	c.store = serve_store_get(s, SERVE_STORE_WRITE, &c.err);
	if (c.store == NULL) {
		log_error("serve: cannot open the store: %s", c.err.msg);
		reject(s, resp, 500, "temporary failure: the report store is unavailable");
		goto out;
	}
	ingest_limits_default(&lim);
	lim.max_input = s->max_body;
	n = ingest_extract(req->body, req->body_len, &lim, on_doc, &c, &c.err);
	if (c.store_failed) {
		reject(s, resp, 500, "temporary failure: the report could not be stored");
	} else if (n <= 0 && c.n_docs == 0) {
		buf_reset(&c.reply);
		buf_printf(&c.reply, "not a TLSRPT report: %s", c.err.msg);
		reject(s, resp, 400, c.reply.data);
	} else if (n < 0 || c.n_bad > 0) {
		if (n < 0 && c.n_bad == 0)
			buf_printf(&c.reply, "error: %s\n", c.err.msg);
		atomic_fetch_add(&s->posts_rejected, 1);
		http_response_text(resp, 400, "text/plain; charset=utf-8", c.reply.data);
	} else {
		http_response_text(resp, 200, "text/plain; charset=utf-8", c.reply.data);
	}
out:
	serve_store_put(s, SERVE_STORE_WRITE, c.store, c.store_failed);
	buf_free(&c.reply);
}
