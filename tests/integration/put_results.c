/*
 * put_results: test and bench helper (test_send.sh, bench_reporter.sh) —
 * reads result lines from stdin and stores them with store_put_results()
 * (the collector's path), one struct result per session.  Built by the
 * scripts against the core library; not part of the product.
 *
 * By default every line is stored in its own store_put_results() call
 * (test_send.sh relies on that: rows get ids in line order).  With -b the
 * lines are gathered into batches of about BATCH_RESULTS results, each
 * stored in one call (one transaction), as the collector stores a burst:
 * a million domains fill in seconds, not in a million transactions.
 *
 * usage: put_results [-b] STORE-URL < lines
 * line (tab-separated; '-' = none; lists '|'-separated):
 *   DAY DOMAIN POLICY-TYPE POLICY-DOMAIN POLICY-STRINGS MX-HOSTS N-OK N-FAIL
 *   [RESULT-TYPE SENDING-IP RECEIVING-IP RECEIVING-MX REASON]
 * DAY is YYYY-MM-DD (when_parse_day(), as `tlsrpt send --day`); each of the N-FAIL sessions carries the failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/result.h"
#include "model/when.h"
#include "store/store.h"
#include "store/store_results.h"
#include "util/xalloc.h"

#define MAXF 16
#define BATCH_RESULTS 50000

/* Results gathered for one store_put_results() call. */
struct batch {
	struct result *v;
	size_t n, cap;
};

static char *
opt(const char *s)
{
	return s == NULL || strcmp(s, "-") == 0 ? NULL : xstrdup(s);
}

static void
list(struct strlist *l, const char *s)
{
	char *copy, *p, *tok;

	if (s == NULL || strcmp(s, "-") == 0)
		return;
	copy = xstrdup(s);
	for (p = copy; (tok = strsep(&p, "|")) != NULL;)
		strlist_add(l, tok);
	free(copy);
}

/* Appends the sessions of one line to b.  Returns 0, or -1 with err set. */
static int
add_line(struct batch *b, char *line, struct err *err)
{
	char *f[MAXF] = { 0 }, *p = line;
	size_t nf = 0;
	long ok, fail;
	int64_t day;

	line[strcspn(line, "\r\n")] = '\0';
	if (*line == '\0' || *line == '#')
		return 0;
	while (nf < MAXF && (f[nf] = strsep(&p, "\t")) != NULL)
		nf++;
	if (nf < 8 || when_parse_day(f[0], 0, &day, err) < 0) {
		err_set(err, "bad line: %s", line);
		return -1;
	}
	ok = strtol(f[6], NULL, 10);
	fail = strtol(f[7], NULL, 10);
	if (ok < 0 || fail < 0 || ok + fail > 10000000) {
		err_set(err, "bad counts: %s", line);
		return -1;
	}
	if (b->n + (size_t)(ok + fail) > b->cap) {
		b->cap = b->n + (size_t)(ok + fail) + BATCH_RESULTS;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	for (long i = 0; i < ok + fail; i++) {
		struct result *r = &b->v[b->n++];

		memset(r, 0, sizeof(*r));
		r->day = day;
		r->domain = xstrdup(f[1]);
		r->policy_type = policy_type_from_string(f[2]);
		r->policy_domain = opt(f[3]);
		list(&r->policy_string, f[4]);
		list(&r->mx_host, f[5]);
		r->failed = i >= ok;
		if (r->failed && nf >= 13) {
			struct result_failure *x = result_add_failure(r);

			x->type = result_type_from_string(f[8]);
			x->code = result_type_to_sys4_code(x->type);
			x->sending_mta_ip = opt(f[9]);
			x->receiving_ip = opt(f[10]);
			x->receiving_mx_hostname = opt(f[11]);
			x->failure_reason_code = opt(f[12]);
		}
	}
	return 0;
}

/* Empties the batch. */
static void
batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		result_clear(&b->v[i]);
	b->n = 0;
}

/* Stores the batch in one call and empties it.  Returns 0 or -1. */
static int
flush(struct store *s, struct batch *b, struct err *err)
{
	int rc = b->n > 0 ? store_put_results(s, b->v, b->n, err) : 0;

	batch_clear(b);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store *s;
	struct batch b = { 0 };
	struct err err;
	char line[4096];
	size_t limit = 1;
	int rc = 0;

	if (argc == 3 && strcmp(argv[1], "-b") == 0) {
		limit = BATCH_RESULTS;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: put_results [-b] STORE-URL < lines\n");
		return 2;
	}
	if ((s = store_open(argv[1], &err)) == NULL) {
		fprintf(stderr, "put_results: %s\n", err.msg);
		return 1;
	}
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
		if (add_line(&b, line, &err) < 0 || (b.n >= limit && flush(s, &b, &err) < 0))
			rc = 1;
	}
	if (rc == 0 && flush(s, &b, &err) < 0)
		rc = 1;
	if (rc != 0) {
		fprintf(stderr, "put_results: %s\n", err.msg);
		batch_clear(&b);
	}
	free(b.v);
	store_close(&s);
	return rc;
}
