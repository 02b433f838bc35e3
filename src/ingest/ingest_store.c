/*
 * ingest_store: extract → parse → store for one item (see
 * ingest_store.h).  The store error is kept apart from bad input so that
 * a database outage never marks mail as handled, and bad input apart from
 * input that is no report at all (ingest_extract() returning 0).
 */
#include "ingest/ingest_store.h"

#include <stdlib.h>
#include <string.h>

#include "model/report.h"
#include "model/report_json.h"
#include "store/store_reports.h"
#include "util/log.h"
#include "util/xalloc.h"

struct doc_ctx {
	struct store *store;
	const char *channel;
	const char *name;
	struct ingest_counts *counts;
	int in_batch;          /* store_put_report_in_batch(): the caller's tx */
	int refused;           /* some document was bad input */
	int store_failed;
	struct err *err;       /* the store error */
};

static int
on_doc(void *ctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	struct doc_ctx *d = ctx;
	struct report_source src = { d->channel, d->name, NULL, 0 };
	struct err perr = { "" };
	struct report *r;
	char *raw;
	int rc;

	d->counts->reports++;
	r = report_parse_json(json, len, &perr);
	if (r == NULL) {
		log_warn("%s: %s%s%s: invalid report: %s", d->name, meta->container,
			 meta->filename ? " " : "", meta->filename ? meta->filename : "",
			 perr.msg);
		d->counts->errors++;
		d->refused = 1;
		return 0;
	}
	raw = xstrndup(json, len);
	src.raw_json = raw;
	rc = d->in_batch ? store_put_report_in_batch(d->store, r, &src, d->err)
			 : store_put_report(d->store, r, &src, d->err);
	if (rc < 0) {
		err_prefix(d->err, "%s: report-id=%s org=%s", d->name,
			   r->report_id ? r->report_id : "",
			   r->organization_name ? r->organization_name : "");
		d->store_failed = 1;
	} else if (rc == 0) {
		d->counts->duplicates++;
		log_debug("report-id=%s org=%s: duplicate (%s)", r->report_id,
			  r->organization_name, d->name);
	} else if (rc == 2) {
		d->counts->duplicates++;
		log_warn("report-id=%s org=%s: received again with different contents (%s);"
			 " the first one stored counts, this one is kept as a conflict",
			 r->report_id, r->organization_name, d->name);
	} else {
		d->counts->stored++;
		log_info("report-id=%s org=%s: stored (%s)", r->report_id,
			 r->organization_name, d->name);
	}
	free(raw);
	report_free(r);
	return d->store_failed;  /* stop at the first store failure */
}

static int
store_bytes(struct store *s, const void *data, size_t len, const struct ingest_limits *lim,
	    const char *channel, const char *name, int in_batch,
	    struct ingest_counts *counts, struct err *err)
{
	struct doc_ctx d = { s, channel, name, counts, in_batch, 0, 0, err };
	struct err xerr = { "" };
	int n;

	counts->messages++;
	n = ingest_extract(data, len, lim, on_doc, &d, &xerr);
	if (d.store_failed)
		return INGEST_STORE_FAILED;
	if (n == 0) {
		log_notice("%s: skipped, not a TLSRPT report: %s", name, xerr.msg);
		counts->skipped++;
		return INGEST_STORE_SKIPPED;
	}
	if (n < 0) {
		log_warn("%s: %s", name, xerr.msg);
		counts->errors++;
		return INGEST_STORE_REFUSED;
	}
	return d.refused ? INGEST_STORE_REFUSED : INGEST_STORE_OK;
}

int
ingest_store_bytes(struct store *s, const void *data, size_t len,
		   const struct ingest_limits *lim, const char *channel,
		   const char *name, struct ingest_counts *counts, struct err *err)
{
	return store_bytes(s, data, len, lim, channel, name, 0, counts, err);
}

int
ingest_store_bytes_in_batch(struct store *s, const void *data, size_t len,
			    const struct ingest_limits *lim, const char *channel,
			    const char *name, struct ingest_counts *counts, struct err *err)
{
	return store_bytes(s, data, len, lim, channel, name, 1, counts, err);
}
