/*
 * summary_print: `tlsrpt summary` output in three forms: a table for
 * people (with the plain-language meaning and fix of each failure type,
 * model/explain.h), one JSON document (jansson) and RFC 4180 CSV (one
 * table; the `record` column says what a row is: "sessions" of a day,
 * "organization" totals, or a "failure" row).
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/summary.h"
#include "model/datetime.h"
#include "model/explain.h"
#include "model/types.h"

#define TOP_FAILURES 5

static double
rate(uint64_t ok, uint64_t failed)
{
	return ok + failed > 0 ? 100.0 * (double)failed / (double)(ok + failed) : 0.0;
}

/* "YYYY-MM-DD" of a UTC day number. */
static const char *
day_text(int64_t day, char out[DATETIME_FMT_SIZE])
{
	datetime_format(day * 86400, out);
	out[10] = '\0';
	return out;
}

static enum result_type
type_of(const struct summary_failure *x)
{
	return x->result_type ? result_type_from_string(x->result_type) : RESULT_UNKNOWN;
}

static void
print_period(FILE *f, const struct summary *sum)
{
	char a[DATETIME_FMT_SIZE], b[DATETIME_FMT_SIZE];

	fprintf(f, "TLS report summary, reports starting %s%s",
		sum->since ? "from " : "at any time",
		sum->since ? day_text(sum->since / 86400, a) : "");
	if (sum->until)
		fprintf(f, " before %s", datetime_format(sum->until, b));
	fputs(" (UTC)\n", f);
}

int
summary_print_text(FILE *f, const struct summary *sum)
{
	char day[DATETIME_FMT_SIZE];

	print_period(f, sum);
	if (sum->conflicts > 0)
		fprintf(f, "Warning: %lld report%s received again with different contents under"
			" the same organization and report-id; the first one stored counts"
			" (tlsrpt(1), parse).\n", (long long)sum->conflicts,
			sum->conflicts == 1 ? " was" : "s were");
	if (sum->n_domains == 0)
		fputs("\nNo reports stored for this period (--since WHEN looks further back).\n", f);
	for (size_t i = 0; i < sum->n_domains; i++) {
		const struct summary_domain *d = &sum->domains[i];

		fprintf(f, "\n%s: %" PRIu64 " sessions ok, %" PRIu64 " failed (%.1f%% failed)"
			" in %" PRIu64 " report%s\n", *d->name ? d->name : "(no policy domain given)",
			d->ok, d->failed, rate(d->ok, d->failed), d->reports,
			d->reports == 1 ? "" : "s");
		fprintf(f, "  %-10s  %12s  %12s  %7s\n", "day", "ok", "failed", "failed%");
		for (size_t k = 0; k < d->n_days; k++)
			fprintf(f, "  %-10s  %12" PRIu64 "  %12" PRIu64 "  %6.1f%%\n",
				day_text(d->days[k].day, day), d->days[k].ok, d->days[k].failed,
				rate(d->days[k].ok, d->days[k].failed));
		fputs("  by reporting organization:\n", f);
		for (size_t k = 0; k < d->n_orgs; k++)
			fprintf(f, "    %-32s %10" PRIu64 " ok %10" PRIu64 " failed %6.1f%%  (%" PRIu64
				" report%s)\n", d->orgs[k].key, d->orgs[k].ok, d->orgs[k].failed,
				rate(d->orgs[k].ok, d->orgs[k].failed), d->orgs[k].reports,
				d->orgs[k].reports == 1 ? "" : "s");
		if (d->n_failures > 0)
			fputs("  top failures:\n", f);
		for (size_t k = 0; k < d->n_failures && k < TOP_FAILURES; k++) {
			const struct summary_failure *x = &d->failures[k];
			char *fix = explain_fix(type_of(x), x->mx, d->name);

			fprintf(f, "    %s: %" PRIu64 " failed session%s", x->result_type ? x->result_type
				: "(no result-type)", x->sessions, x->sessions == 1 ? "" : "s");
			if (x->mx != NULL || x->ip != NULL)
				fprintf(f, " at %s%s%s%s", x->mx ? x->mx : "", x->mx && x->ip ? " [" : "",
					x->ip ? x->ip : "", x->mx && x->ip ? "]" : "");
			if (x->reason != NULL)
				fprintf(f, " (%s)", x->reason);
			fprintf(f, "\n      what: %s\n      fix:  %s\n", explain_result_type(type_of(x)),
				fix);
			free(fix);
		}
		if (d->n_failures > TOP_FAILURES)
			fprintf(f, "    … and %zu more failure rows (--json or --csv lists all)\n",
				d->n_failures - TOP_FAILURES);
	}
	return ferror(f) ? -1 : 0;
}

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
counts(uint64_t ok, uint64_t failed)
{
	return json_pack("{s:I,s:I,s:f}", "successful_sessions", (json_int_t)ok,
			 "failed_sessions", (json_int_t)failed, "failure_rate", rate(ok, failed) / 100);
}

static json_t *
domain_json(const struct summary_domain *d)
{
	json_t *o = counts(d->ok, d->failed), *days = json_array(), *orgs = json_array();
	json_t *fails = json_array(), *x;
	char day[DATETIME_FMT_SIZE];

	json_object_set_new(o, "domain", json_string(d->name));
	json_object_set_new(o, "reports", json_integer((json_int_t)d->reports));
	for (size_t k = 0; k < d->n_days; k++) {
		x = counts(d->days[k].ok, d->days[k].failed);
		json_object_set_new(x, "date", json_string(day_text(d->days[k].day, day)));
		json_object_set_new(x, "reports", json_integer((json_int_t)d->days[k].reports));
		json_array_append_new(days, x);
	}
	for (size_t k = 0; k < d->n_orgs; k++) {
		x = counts(d->orgs[k].ok, d->orgs[k].failed);
		json_object_set_new(x, "organization", json_string(d->orgs[k].key));
		json_object_set_new(x, "reports", json_integer((json_int_t)d->orgs[k].reports));
		json_array_append_new(orgs, x);
	}
	for (size_t k = 0; k < d->n_failures; k++) {
		const struct summary_failure *f = &d->failures[k];
		char *fix = explain_fix(type_of(f), f->mx, d->name);

		x = json_object();
		json_object_set_new(x, "result_type", str_or_null(f->result_type));
		json_object_set_new(x, "receiving_mx_hostname", str_or_null(f->mx));
		json_object_set_new(x, "receiving_ip", str_or_null(f->ip));
		json_object_set_new(x, "failure_reason_code", str_or_null(f->reason));
		json_object_set_new(x, "failed_sessions", json_integer((json_int_t)f->sessions));
		json_object_set_new(x, "reports", json_integer((json_int_t)f->reports));
		json_object_set_new(x, "explanation", json_string(explain_result_type(type_of(f))));
		json_object_set_new(x, "fix", json_string(fix));
		free(fix);
		json_array_append_new(fails, x);
	}
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "organizations", orgs);
	json_object_set_new(o, "failures", fails);
	return o;
}

int
summary_print_json(FILE *f, const struct summary *sum)
{
	char a[DATETIME_FMT_SIZE], b[DATETIME_FMT_SIZE];
	json_t *doc = json_object(), *totals = counts(sum->ok, sum->failed);
	json_t *domains = json_array();
	int rc;

	json_object_set_new(doc, "since", sum->since ? json_string(datetime_format(sum->since, a))
						      : json_null());
	json_object_set_new(doc, "until", sum->until ? json_string(datetime_format(sum->until, b))
						      : json_null());
	json_object_set_new(doc, "reports", json_integer((json_int_t)sum->reports));
	json_object_set_new(doc, "conflicts", json_integer((json_int_t)sum->conflicts));
	json_object_update(doc, totals);
	json_decref(totals);
	for (size_t i = 0; i < sum->n_domains; i++)
		json_array_append_new(domains, domain_json(&sum->domains[i]));
	json_object_set_new(doc, "domains", domains);
	rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(doc);
	return rc < 0 || ferror(f) ? -1 : 0;
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void
csv_num(FILE *f, uint64_t v)
{
	fprintf(f, "%" PRIu64 ",", v);
}

int
summary_print_csv(FILE *f, const struct summary *sum)
{
	char day[DATETIME_FMT_SIZE];

	fputs("record,domain,date,organization,successful_sessions,failed_sessions,failure_rate,"
	      "result_type,receiving_mx_hostname,receiving_ip,failure_reason_code,reports\r\n", f);
	for (size_t i = 0; i < sum->n_domains; i++) {
		const struct summary_domain *d = &sum->domains[i];

		for (size_t k = 0; k < d->n_days; k++) {
			const struct summary_count *c = &d->days[k];

			fputs("sessions,", f);
			csv_field(f, d->name, 0);
			fprintf(f, "%s,,", day_text(c->day, day));
			csv_num(f, c->ok);
			csv_num(f, c->failed);
			fprintf(f, "%.4f,,,,,%" PRIu64 "\r\n", rate(c->ok, c->failed) / 100, c->reports);
		}
		for (size_t k = 0; k < d->n_orgs; k++) {
			const struct summary_count *c = &d->orgs[k];

			fputs("organization,", f);
			csv_field(f, d->name, 0);
			fputs(",", f);
			csv_field(f, c->key, 0);
			csv_num(f, c->ok);
			csv_num(f, c->failed);
			fprintf(f, "%.4f,,,,,%" PRIu64 "\r\n", rate(c->ok, c->failed) / 100, c->reports);
		}
		for (size_t k = 0; k < d->n_failures; k++) {
			const struct summary_failure *x = &d->failures[k];

			fputs("failure,", f);
			csv_field(f, d->name, 0);
			fputs(",,,", f);
			csv_num(f, x->sessions);
			fputs(",", f);
			csv_field(f, x->result_type, 0);
			csv_field(f, x->mx, 0);
			csv_field(f, x->ip, 0);
			csv_field(f, x->reason, 0);
			fprintf(f, "%" PRIu64 "\r\n", x->reports);
		}
	}
	return ferror(f) ? -1 : 0;
}
