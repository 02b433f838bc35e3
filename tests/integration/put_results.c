/*
 * put_results: test helper for test_send.sh — reads result lines from
 * stdin and stores them with store_put_results() (the collector's path),
 * one struct result per session.  Built by the test script against the
 * core library; not part of the product.
 *
 * usage: put_results STORE-URL < lines
 * line (tab-separated; '-' = none; lists '|'-separated):
 *   DAY DOMAIN POLICY-TYPE POLICY-DOMAIN POLICY-STRINGS MX-HOSTS N-OK N-FAIL
 *   [RESULT-TYPE SENDING-IP RECEIVING-IP RECEIVING-MX REASON]
 * DAY is YYYY-MM-DD; each of the N-FAIL sessions carries the failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/result.h"
#include "report/naming.h"
#include "store/store.h"
#include "store/store_results.h"
#include "util/xalloc.h"

#define MAXF 16

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

static int
put_line(struct store *s, char *line, struct err *err)
{
	char *f[MAXF] = { 0 }, *p = line;
	size_t nf = 0;
	long ok, fail;
	int64_t day;
	struct result *v;
	int rc;

	line[strcspn(line, "\r\n")] = '\0';
	if (*line == '\0' || *line == '#')
		return 0;
	while (nf < MAXF && (f[nf] = strsep(&p, "\t")) != NULL)
		nf++;
	if (nf < 8 || naming_parse_day(f[0], &day) < 0) {
		err_set(err, "bad line: %s", line);
		return -1;
	}
	ok = strtol(f[6], NULL, 10);
	fail = strtol(f[7], NULL, 10);
	v = xcalloc((size_t)(ok + fail) + 1, sizeof(*v));
	for (long i = 0; i < ok + fail; i++) {
		struct result *r = &v[i];

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
	rc = store_put_results(s, v, (size_t)(ok + fail), err);
	for (long i = 0; i < ok + fail; i++)
		result_clear(&v[i]);
	free(v);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store *s;
	struct err err;
	char line[4096];
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: put_results STORE-URL < lines\n");
		return 2;
	}
	if ((s = store_open(argv[1], &err)) == NULL) {
		fprintf(stderr, "put_results: %s\n", err.msg);
		return 1;
	}
	while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL)
		if (put_line(s, line, &err) < 0) {
			fprintf(stderr, "put_results: %s\n", err.msg);
			rc = 1;
		}
	store_close(&s);
	return rc;
}
