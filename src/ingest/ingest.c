/*
 * ingest: sniff → unwrap → recurse until JSON text is reached (see
 * ingest.h).  Each recursion level is one container (mail, gzip, zip,
 * base64) and carries a copy of the metadata found so far; the depth is
 * bounded by ingest_limits.max_depth, every decoded buffer by
 * max_decompressed or by the input size.
 */
#include "ingest/ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ingest/gunzip.h"
#include "ingest/mime.h"
#include "ingest/sniff.h"
#include "ingest/unbase64.h"
#include "ingest/unzip.h"
#include "util/buf.h"

#define INGEST_MIB ((size_t)1024 * 1024)

void
ingest_limits_default(struct ingest_limits *l)
{
	l->max_input = 10 * INGEST_MIB;
	l->max_decompressed = 20 * INGEST_MIB;
	l->max_depth = 4;
	l->max_parts = 64;
}

struct walk {
	const struct ingest_limits *lim;
	ingest_doc_cb cb;
	void *ctx;
	int found;
	int stopped;
	char why[512];            /* first reason nothing was found */
};

/* One level of unwrapping: what is known about the bytes being read. */
struct layer {
	struct ingest_meta meta;  /* borrowed from outer levels */
	char chain[96];           /* containers so far, "mail/gzip" */
	unsigned depth;
};

static int extract(struct walk *w, const void *data, size_t len,
		   const struct layer *up, int required, struct err *err);

static void note_why(struct walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
note_why(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
}

static int
emit(struct walk *w, const void *data, size_t len, const struct layer *at)
{
	struct ingest_meta meta = at->meta;
	size_t skip = sniff_json_skip(data, len);

	meta.container = at->chain[0] != '\0' ? at->chain : "json";
	w->found++;
	if (w->cb(w->ctx, (const char *)data + skip, len - skip, &meta) != 0)
		w->stopped = 1;
	return 0;
}

struct zip_ctx {
	struct walk *w;
	const struct layer *at;
};

static int
zip_entry(void *ctx, const char *name, const void *data, size_t len,
	  struct err *err)
{
	struct zip_ctx *z = ctx;
	struct layer in = *z->at;

	if (strncmp(name, "__MACOSX/", 9) == 0)
		return 0;
	in.meta.filename = name;
	if (extract(z->w, data, len, &in, 0, err) != 0) {
		err_prefix(err, "zip entry \"%s\"", name);
		return -1;
	}
	return z->w->stopped ? 1 : 0;
}

struct mail_ctx {
	struct walk *w;
	const struct layer *at;
	const struct mime_info *info;
};

/* Returns 1 when a mail part says it is a TLSRPT report: an
 * application/tlsrpt type, a file name with ".json" in it (RFC 8460 §5.3
 * names end in .json or .json.gz), or a mail with TLS-Report-Domain.  Its
 * content must then be a report (anything else is an error); the other
 * gzip, zip and JSON attachments are only candidates, and content that is
 * not a report there (the XML of a DMARC aggregate report sent to the
 * same mailbox) means "no report here". */
static int
part_claims_report(const struct mime_info *info, const struct mime_part *part)
{
	const char *f = part->filename;

	/* names compared without case, as mime_part_is_candidate() does */
	for (; f != NULL && *f != '\0'; f++)
		if (strncasecmp(f, ".json", 5) == 0)
			return 1;
	return strncmp(part->content_type, "application/tlsrpt", 18) == 0 ||
	       info->tls_report_domain != NULL;
}

static int
mail_part(void *ctx, const struct mime_part *part, struct err *err)
{
	struct mail_ctx *m = ctx;
	const struct mime_info *info = m->info;
	struct layer in = *m->at;

	/* The innermost mail's headers win (a forwarded report). */
	if (info->subject != NULL)
		in.meta.mail_subject = info->subject;
	if (info->from != NULL)
		in.meta.mail_from = info->from;
	if (info->message_id != NULL)
		in.meta.mail_message_id = info->message_id;
	if (info->tls_report_domain != NULL)
		in.meta.tls_report_domain = info->tls_report_domain;
	if (info->tls_report_submitter != NULL)
		in.meta.tls_report_submitter = info->tls_report_submitter;
	in.meta.has_dkim_signature = info->has_dkim_signature;
	if (part->filename != NULL)
		in.meta.filename = part->filename;
	if (extract(m->w, part->data, part->len, &in, part_claims_report(info, part), err) != 0) {
		err_prefix(err, "MIME part %u (%s%s%s%s)", part->index,
			   part->content_type, part->filename ? ", \"" : "",
			   part->filename ? part->filename : "",
			   part->filename ? "\"" : "");
		return -1;
	}
	return m->w->stopped ? 1 : 0;
}

static int
extract_mail(struct walk *w, const void *data, size_t len,
	     const struct layer *at, struct err *err)
{
	struct mime_info info;
	struct mail_ctx m = { w, at, &info };
	int n, ret = -1;

	n = mime_walk(data, len, w->lim->max_parts, &info, mail_part, &m, err);
	if (n < 0)
		goto out;
	if (n == 0)
		note_why(w, "no TLSRPT report found in message: mail has no "
			 "application/tlsrpt part (nor a gzip, zip or JSON "
			 "attachment)%s%s", info.subject ? "; Subject: " : "",
			 info.subject ? info.subject : "");
	ret = 0;
out:
	mime_info_cleanup(&info);
	return ret;
}

/* required: as for extract(), passed on to what a gzip or base64 layer
 * holds (a zip entry or a mail part decides for itself). */
static int
extract_container(struct walk *w, enum sniff_kind kind, const void *data,
		  size_t len, const struct layer *at, int required, struct err *err)
{
	struct zip_ctx z = { w, at };
	struct buf b;
	int n, ret = -1;

	buf_init(&b, 0);
	switch (kind) {
	case SNIFF_GZIP:
		if (gunzip_decode(data, len, w->lim->max_decompressed, &b, err) != 0)
			break;
		ret = extract(w, b.data ? b.data : "", b.len, at, required, err);
		if (ret != 0 && b.len > 0)
			err_prefix(err, "inside gzip");
		break;
	case SNIFF_BASE64:
		if (unbase64_decode(data, len, &b, err) != 0)
			break;
		ret = extract(w, b.data ? b.data : "", b.len, at, required, err);
		break;
	case SNIFF_ZIP:
		n = unzip_each(data, len, w->lim->max_decompressed, w->lim->max_parts,
			       zip_entry, &z, err);
		if (n >= 0) {
			ret = 0;
			note_why(w, "no TLSRPT report found: the zip archive has no "
				 "JSON or gzip entry");
		}
		break;
	case SNIFF_MAIL:
		ret = extract_mail(w, data, len, at, err);
		break;
	default:
		err_set(err, "internal error: %s is not a container", sniff_kind_name(kind));
		break;
	}
	buf_free(&b);
	return ret;
}

/*
 * Reads data as one of the sniffed kinds.  required: unknown content is an
 * error (a report part, gzip output) rather than "no report here" (the
 * top-level input, a zip entry).  Returns 0 or -1.
 */
static int
extract(struct walk *w, const void *data, size_t len, const struct layer *up,
	int required, struct err *err)
{
	enum sniff_kind kind = sniff_kind(data, len);
	struct layer at = *up;
	char start[32];
	int n;

	if (w->stopped)
		return 0;
	if (kind == SNIFF_JSON)
		return emit(w, data, len, up);
	if (kind == SNIFF_UNKNOWN) {
		sniff_excerpt(data, len, start, sizeof(start));
		if (!required) {
			note_why(w, "no TLSRPT report found: %s is not JSON, gzip, "
				 "zip, base64 or a mail message (starts with \"%s\")",
				 up->meta.filename ? up->meta.filename : "the input", start);
			return 0;
		}
		if (len == 0)
			err_set(err, "content is empty");
		else
			err_set(err, "content is not JSON, gzip or zip (starts with \"%s\")",
				start);
		return -1;
	}
	if (up->depth >= w->lim->max_depth) {
		err_set(err, "%s inside %s: containers nested deeper than %u levels",
			sniff_kind_name(kind), up->chain, w->lim->max_depth);
		return -1;
	}
	at.depth++;
	n = snprintf(at.chain, sizeof(at.chain), "%s%s%s", up->chain,
		     up->chain[0] ? "/" : "", sniff_kind_name(kind));
	if (n < 0 || (size_t)n >= sizeof(at.chain)) {
		err_set(err, "containers nested too deep: %s", up->chain);
		return -1;
	}
	return extract_container(w, kind, data, len, &at, required, err);
}

int
ingest_extract(const void *data, size_t len, const struct ingest_limits *lim,
	       ingest_doc_cb cb, void *ctx, struct err *err)
{
	struct ingest_limits def;
	struct walk w = { 0 };
	struct layer top = { 0 };
	char sz[32];

	if (lim == NULL) {
		ingest_limits_default(&def);
		lim = &def;
	}
	w.lim = lim;
	w.cb = cb;
	w.ctx = ctx;
	if (len > lim->max_input) {
		err_set(err, "input is %zu bytes, over the %s limit", len,
			gunzip_size_text(lim->max_input, sz, sizeof(sz)));
		return -1;
	}
	if (len == 0) {
		err_set(err, "no TLSRPT report found: the input is empty");
		return 0;
	}
	if (extract(&w, data, len, &top, 0, err) != 0)
		return -1;
	if (w.found == 0) {
		err_set(err, "%s", w.why[0] ? w.why : "no TLSRPT report found");
		return 0;
	}
	return w.found;
}
