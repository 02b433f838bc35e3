/*
 * cmd_check: `tlsrpt check DOMAIN`: are the domain's TLSRPT, MTA-STS and
 * DANE records right, and what to fix.  With --dkim-selector, the sending
 * side instead: the DKIM key record `tlsrpt send` signs with.  Prints one
 * line per finding (or a JSON document with --json) and exits with the
 * worst severity: EXIT_OK, EXIT_WARNING or EXIT_ERROR (cmd.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "cmd/cmd.h"

int cmd_check(int argc, char **argv);
extern const char cmd_check_summary[];
const char cmd_check_summary[] = "check a domain's TLSRPT, MTA-STS and DANE records (or its DKIM key)";

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt check [--json] [--resolver IP[@PORT]] [--trust-anchor FILE]\n"
	    "                    [--cacert FILE] [--resolve HOST:PORT:ADDR]... [--connect-to HOST:PORT:CHOST:CPORT]...\n"
	    "                    [--timeout SECONDS] DOMAIN\n"
	    "       tlsrpt check [--json] [--resolver IP[@PORT]] [--trust-anchor FILE]\n"
	    "                    [--timeout SECONDS] --dkim-selector SELECTOR [--dkim-key FILE] DOMAIN\n"
	    "Checks _smtp._tls.DOMAIN, its rua targets, the MX set, _mta-sts.DOMAIN and the policy\n"
	    "at https://mta-sts.DOMAIN/.well-known/mta-sts.txt, and the TLSA records of every MX.\n"
	    "With --dkim-selector: checks only the DKIM key record SELECTOR._domainkey.DOMAIN that\n"
	    "tlsrpt send signs with (and that it holds the public half of --dkim-key FILE).\n"
	    "Exit status: 0 all ok, %d warnings, %d errors, %d usage, %d could not run.\n",
	    EXIT_WARNING, EXIT_ERROR, EXIT_USAGE, EXIT_FAILURE_);
}

static int
print_json(const char *domain, const char *selector, const struct findings *f)
{
	json_t *doc = json_object(), *arr = json_array(), *o;
	size_t i;
	int rc;

	for (i = 0; i < f->n; i++) {
		o = json_object();
		json_object_set_new(o, "check", json_string(f->v[i].check));
		json_object_set_new(o, "severity", json_string(severity_name(f->v[i].sev)));
		json_object_set_new(o, "message", json_string(f->v[i].message));
		json_object_set_new(o, "fix", f->v[i].fix ? json_string(f->v[i].fix) : json_null());
		json_array_append_new(arr, o);
	}
	json_object_set_new(doc, "domain", json_string(domain));
	if (selector != NULL)
		json_object_set_new(doc, "dkim-selector", json_string(selector));
	json_object_set_new(doc, "findings", arr);
	json_object_set_new(doc, "worst", json_string(severity_name(findings_worst(f))));
	rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(doc);
	return rc;
}

static void
print_human(const char *domain, const char *selector, const struct findings *f)
{
	static const char *mark[] = { "ok   ", "WARN ", "ERROR" };
	size_t i;

	printf("tlsrpt check %s%s%s%s\n", selector ? "--dkim-selector " : "", selector ? selector : "",
	    selector ? " " : "", domain);
	for (i = 0; i < f->n; i++) {
		printf("%s %s: %s", mark[f->v[i].sev], f->v[i].check, f->v[i].message);
		if (f->v[i].fix != NULL && f->v[i].sev != SEV_OK)
			printf(" -- fix: %s", f->v[i].fix);
		putchar('\n');
	}
	printf("worst: %s\n", severity_name(findings_worst(f)));
}

/* Tells a local resolver failure from the domain's: when the domain's MX
 * lookup gets no answer (SERVFAIL, timeout), asks for the parent zone of
 * domain ("example.com" for "mx.example.com", "com" for
 * "example.com"), which a working resolver answers whatever the domain's
 * own name servers do.  Returns 1 if it answered (any definitive answer:
 * data, no data, no such name) or there is no parent to ask, 0 if not
 * (err says why). */
static int
resolver_answers(struct dns *dns, const char *domain, struct err *err)
{
	const char *parent = strchr(domain, '.');
	struct dns_answer a = { 0 };
	int ok;

	if (parent == NULL || parent[1] == '\0')
		return 1;
	parent++;
	/* only when the domain's own lookup failed for want of an answer (a
	 * DNSSEC failure or a wrong record is an answer) */
	if (dns_lookup(dns, DNS_MX, domain, &a, err) < 0 ||
	    (a.status != DNS_SERVFAIL && a.status != DNS_TIMEOUT)) {
		dns_answer_clear(&a);
		return 1;
	}
	dns_answer_clear(&a);
	if (dns_lookup(dns, DNS_TXT, parent, &a, err) < 0) {
		dns_answer_clear(&a);
		return 1;       /* a bad name, not a resolver failure */
	}
	ok = a.status == DNS_OK || a.status == DNS_NODATA || a.status == DNS_NXDOMAIN;
	if (!ok)
		err_set(err, "the lookup of %s failed too (%s%s%s)", parent,
			dns_status_name(a.status), a.why ? ": " : "", a.why ? a.why : "");
	dns_answer_clear(&a);
	return ok;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "resolver", required_argument, NULL, 'r' },
		{ "trust-anchor", required_argument, NULL, 'a' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "resolve", required_argument, NULL, 'R' },
		{ "connect-to", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dkim-selector", required_argument, NULL, 's' },
		{ "dkim-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dns_options dopt = { 0 };
	struct strlist resolve = { 0 }, connect_to = { 0 };
	struct check_io io = { 0 };
	struct findings f = { 0 };
	struct err err = { { 0 } };
	const char *selector = NULL, *key_file = NULL;
	long timeout_s = 10;
	int json = 0, c, rc = EXIT_FAILURE_;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'r': dopt.resolver = optarg; break;
		case 'a': dopt.trust_anchor_file = optarg; break;
		case 'c': io.https.cacert = optarg; break;
		case 'R': strlist_add(&resolve, optarg); break;
		case 'C': strlist_add(&connect_to, optarg); break;
		case 's': selector = optarg; break;
		case 'k': key_file = optarg; break;
		case 't':
			errno = 0;
			timeout_s = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || timeout_s < 1 || timeout_s > 600) {
				fprintf(stderr, "tlsrpt check: --timeout %s: want 1 to 600 seconds\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); rc = EXIT_USAGE; goto out;
		}
	}
	if (optind != argc - 1 || (key_file != NULL && selector == NULL)) {
		fprintf(stderr, "tlsrpt check: %s\n",
			optind == argc ? "which DOMAIN?" : optind < argc - 1 ? "one DOMAIN only"
			: "--dkim-key needs --dkim-selector");
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	dopt.timeout_ms = (int)timeout_s * 1000;
	io.https.timeout_ms = timeout_s * 1000;
	io.https.resolve = &resolve;
	io.https.connect_to = &connect_to;
	io.dns = dns_new(&dopt, &err);
	if (io.dns == NULL) {
		fprintf(stderr, "tlsrpt check: %s\n", err.msg);
		goto out;
	}
	if ((selector != NULL ? check_dkim(&io, selector, argv[optind], key_file, &f, &err)
	    : check_domain(&io, argv[optind], &f, &err)) < 0) {
		fprintf(stderr, "tlsrpt check: %s\n", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (json)
		print_json(argv[optind], selector, &f);
	else
		print_human(argv[optind], selector, &f);
	switch (findings_worst(&f)) {
	case SEV_OK: rc = EXIT_OK; break;
	case SEV_WARNING: rc = EXIT_WARNING; break;
	default: rc = EXIT_ERROR; break;
	}
	if (rc == EXIT_ERROR && !resolver_answers(io.dns, argv[optind], &err)) {
		fprintf(stderr, "tlsrpt check: the local resolver (%s) does not answer: %s;"
			" the errors above are not the domain's fault, fix the resolver and"
			" check again\n", dopt.resolver ? dopt.resolver : "/etc/resolv.conf",
			err.msg);
		rc = EXIT_FAILURE_;
	}
out:
	findings_clear(&f);
	dns_free(io.dns);
	strlist_clear(&resolve);
	strlist_clear(&connect_to);
	return rc;
}
