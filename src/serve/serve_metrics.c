/*
 * serve_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), read through the viewer-scoped store handle (a tenant
 * sees its own domains' series only; the process counters are for
 * administrators).  Counters from this process (reports received over
 * HTTP, requests by status code) and totals from the store over all time,
 * read from the roll-ups (store_metrics.h), with the
 * figures of store_summary.h: sessions per policy domain (lower case) and
 * reporting organization, failures per domain and result type.  Label
 * values are report content: escaped per the format (backslash, double
 * quote, newline).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/intake.h"
#include "serve/serve_private.h"
#include "store/store_metrics.h"
#include "util/log.h"
#include "util/xalloc.h"

int
serve_metrics_escape(struct buf *b, const char *value)
{
	const char *p = value;
	int rc = 0;

	while (rc == 0 && *p != '\0') {
		size_t plain = strcspn(p, "\\\"\n");

		rc = buf_append(b, p, plain);
		p += plain;
		if (rc != 0 || *p == '\0')
			break;
		rc = buf_append(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n", 2);
		p++;
	}
	return rc;
}

/* The samples of one series group, as the store read them: ordered by
 * domain (equal domains share one string), then by the second label. */
typedef struct store_metrics_table samples_t;

/* Sorts the samples of each domain with cmp (the domains stay in order). */
static void
sort_within_domains(samples_t *m, int (*cmp)(const void *, const void *))
{
	size_t i, k;

	for (i = 0; i < m->n; i = k) {
		for (k = i + 1; k < m->n && m->v[k].domain == m->v[i].domain; k++)
			;
		if (k - i > 1)
			qsort(&m->v[i], k - i, sizeof(m->v[i]), cmp);
	}
}

static int64_t
day_of(int64_t t)
{
	return t >= 0 ? t / 86400 : -((86399 - t) / 86400);
}

/* Sessions of one domain: organizations in the order they first reported
 * it, then by name, as the series have always been listed. */
static int
cmp_sessions(const void *pa, const void *pb)
{
	const struct store_metrics_row *x = pa, *y = pb;
	int64_t dx = day_of(x->first_start), dy = day_of(y->first_start);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Failures of one domain: most failed sessions first, then by type. */
static int
cmp_failures(const void *pa, const void *pb)
{
	const struct store_metrics_row *x = pa, *y = pb;

	if (x->a != y->a)
		return x->a > y->a ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Appends v in decimal. */
static int
append_u64(struct buf *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return buf_append(b, d + i, sizeof(d) - i);
}

/* The series of the store totals, in the order they are written: each is
 * one line per sample, NAME{L1="a",L2="b"EXTRA} value, the value being the
 * sample's a, or b when second is set. */
enum { SERIES_SESSIONS, SERIES_TYPES };

static const struct series {
	const char *help;       /* HELP and TYPE lines before it, or NULL */
	const char *head, *mid, *tail;
	int samples;            /* SERIES_SESSIONS or SERIES_TYPES */
	int second;
} series[] = {
	{ "# HELP tlsrpt_sessions_total TLS sessions in stored reports, by policy domain,"
	  " reporting organization and result.\n# TYPE tlsrpt_sessions_total counter\n",
	  "tlsrpt_sessions_total{domain=\"", "\",org=\"", "\",result=\"success\"} ",
	  SERIES_SESSIONS, 0 },
	{ NULL, "tlsrpt_sessions_total{domain=\"", "\",org=\"", "\",result=\"failure\"} ",
	  SERIES_SESSIONS, 1 },
	{ "# HELP tlsrpt_failures_total Failed sessions in stored reports, by policy domain"
	  " and result type.\n# TYPE tlsrpt_failures_total counter\n",
	  "tlsrpt_failures_total{domain=\"", "\",result_type=\"", "\"} ",
	  SERIES_TYPES, 0 },
};

#define N_SERIES (sizeof(series) / sizeof(series[0]))

/* A piece holds about this much before fill_body() returns it. */
#define PIECE_BYTES (60u * 1024u)

/* The body of one /metrics answer while it is sent: the store totals read
 * when the request came (the samples), the process counters then (tail),
 * and how far the writing got. */
struct metrics_body {
	samples_t m[2];         /* by SERIES_SESSIONS and SERIES_TYPES */
	struct buf tail;        /* process counters (administrators), may be empty */
	size_t part;            /* index into series; N_SERIES: the tail; past: done */
	size_t next;            /* next sample of the part */
};

static void
metrics_body_free(void *cls)
{
	struct metrics_body *mb = cls;

	store_metrics_table_free(&mb->m[SERIES_SESSIONS]);
	store_metrics_table_free(&mb->m[SERIES_TYPES]);
	buf_free(&mb->tail);
	free(mb);
}

/* Appends one sample line of series x. */
static int
write_line(struct buf *b, const struct series *x, const struct store_metrics_row *v)
{
	if (buf_append_str(b, x->head) != 0 || serve_metrics_escape(b, v->domain) != 0 ||
	    buf_append_str(b, x->mid) != 0 || serve_metrics_escape(b, v->key) != 0 ||
	    buf_append_str(b, x->tail) != 0 || append_u64(b, x->second ? v->b : v->a) != 0)
		return -1;
	return buf_append(b, "\n", 1);
}

/* http_body_fill_fn: the next ~60 KiB of lines. */
static int
fill_body(void *cls, struct buf *out)
{
	struct metrics_body *mb = cls;

	while (mb->part < N_SERIES && out->len < PIECE_BYTES) {
		const struct series *x = &series[mb->part];
		const samples_t *m = &mb->m[x->samples];

		if (mb->next == 0 && x->help != NULL && buf_append_str(out, x->help) != 0)
			return -1;
		while (mb->next < m->n && out->len < PIECE_BYTES)
			if (write_line(out, x, &m->v[mb->next++]) != 0)
				return -1;
		if (mb->next == m->n) {
			mb->part++;
			mb->next = 0;
		}
	}
	if (mb->part == N_SERIES && out->len < PIECE_BYTES) {
		if (buf_append(out, mb->tail.data, mb->tail.len) != 0)
			return -1;
		mb->part++;
	}
	return mb->part <= N_SERIES;
}

/* Reads the store totals over all time from the roll-ups (store_metrics.h):
 * sessions per (domain, organization), failed sessions per (domain,
 * result type); the figures of store_summary.h. */
static int
read_totals(struct store *st, struct metrics_body *mb, struct err *err)
{
	if (store_metrics_sessions_table(st, &mb->m[SERIES_SESSIONS], err) != 0 ||
	    store_metrics_failure_types_table(st, &mb->m[SERIES_TYPES], err) != 0)
		return -1;
	sort_within_domains(&mb->m[SERIES_SESSIONS], cmp_sessions);
	sort_within_domains(&mb->m[SERIES_TYPES], cmp_failures);
	return 0;
}

/* The process counters since start, mixed over every tenant. */
static void
write_process_counters(struct serve *s, struct buf *b)
{
	unsigned code;
	uint64_t n, groups, written;

	buf_printf(b, "# HELP tlsrpt_reports_received_total Report documents received "
		   "by HTTP POST since start.\n# TYPE tlsrpt_reports_received_total counter\n"
		   "tlsrpt_reports_received_total %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_received));
	buf_printf(b, "# HELP tlsrpt_reports_stored_total Reports stored from HTTP POST "
		   "since start, by outcome.\n# TYPE tlsrpt_reports_stored_total counter\n"
		   "tlsrpt_reports_stored_total{outcome=\"stored\"} %" PRIuFAST64 "\n"
		   "tlsrpt_reports_stored_total{outcome=\"duplicate\"} %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_stored), atomic_load(&s->reports_duplicate));
	buf_printf(b, "# HELP tlsrpt_reports_refused_total Reports refused by HTTP POST "
		   "since start because none of their policy domains is accepted here.\n"
		   "# TYPE tlsrpt_reports_refused_total counter\n"
		   "tlsrpt_reports_refused_total %" PRIuFAST64 "\n",
		   atomic_load(&s->reports_refused));
	intake_counts(s->intake, &groups, &written);
	buf_printf(b, "# HELP tlsrpt_intake_commits_total Transactions in which the intake"
		   " stored POSTed reports (group commit) since start.\n"
		   "# TYPE tlsrpt_intake_commits_total counter\n"
		   "tlsrpt_intake_commits_total %" PRIu64 "\n"
		   "# HELP tlsrpt_intake_written_total Reports the intake wrote in those"
		   " transactions (stored, duplicate or failed).\n"
		   "# TYPE tlsrpt_intake_written_total counter\n"
		   "tlsrpt_intake_written_total %" PRIu64 "\n"
		   "# HELP tlsrpt_intake_writers Store writer threads of the intake"
		   " (--intake-writers; one on SQLite).\n"
		   "# TYPE tlsrpt_intake_writers gauge\n"
		   "tlsrpt_intake_writers %zu\n", groups, written, intake_writers(s->intake));
	buf_printf(b, "# HELP tlsrpt_logins_total Dashboard logins since start, by outcome.\n"
		   "# TYPE tlsrpt_logins_total counter\n"
		   "tlsrpt_logins_total{outcome=\"ok\"} %" PRIuFAST64 "\n"
		   "tlsrpt_logins_total{outcome=\"failed\"} %" PRIuFAST64 "\n"
		   "tlsrpt_logins_total{outcome=\"throttled\"} %" PRIuFAST64 "\n",
		   atomic_load(&s->logins_ok), atomic_load(&s->logins_failed),
		   atomic_load(&s->logins_throttled));
	buf_append_str(b, "# HELP tlsrpt_http_requests_total HTTP requests answered, "
		       "by status code.\n# TYPE tlsrpt_http_requests_total counter\n");
	for (code = 100; code < 600; code++) {
		n = atomic_load(&s->http_by_code[code]);
		if (n > 0)
			buf_printf(b, "tlsrpt_http_requests_total{code=\"%u\"} %" PRIu64 "\n",
				   code, n);
	}
}

void
serve_metrics(struct serve_ctx *ctx, const struct http_request *req,
	      struct http_response *resp)
{
	struct metrics_body *mb = xcalloc(1, sizeof(*mb));
	struct err err;

	(void)req;
	buf_init(&mb->tail, HTTP_RESPONSE_MAX_BODY);
	/* ctx->store is scoped to the viewer: a tenant gets its domains' series */
	if (read_totals(ctx->store, mb, &err) != 0) {
		metrics_body_free(mb);
		ctx->store_broken = 1;
		log_error("metrics: %s", err.msg);
		http_response_text(resp, 503, "text/plain; charset=utf-8", "store unavailable\n");
		return;
	}
	/* the process counters mix every tenant: administrators only */
	if (ctx->viewer->user.admin)
		write_process_counters(ctx->serve, &mb->tail);
	/* tens of MB for a big store: written while sent, never held whole */
	http_response_stream(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
			     fill_body, metrics_body_free, mb);
}
