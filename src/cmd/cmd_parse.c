/*
 * cmd_parse: `tlsrpt parse [FILE...]`: reads reports (raw JSON, gzip, zip
 * or mail; stdin when no FILE or "-"), parses, validates and stores them.
 *
 * Each input is bounded by the ingest limits (ingest.h).  Bad input gets
 * one line "FILE: what: why" on stderr and is skipped; the rest goes on.
 * Exit: EXIT_OK, EXIT_PARTIAL when some input was bad, EXIT_FAILURE_ when
 * the store failed (processing stops there), EXIT_USAGE.  With --mta (an
 * MTA alias pipe, `|tlsrpt parse --mta`): EX_TEMPFAIL (75) when the store
 * failed, so the MTA defers and retries; bad input is logged to syslog and
 * exits 0, so the MTA does not bounce it to the (no-reply) reporter.
 *
 * Reports are committed in groups (COMMIT_REPORTS reports or COMMIT_MS
 * milliseconds, whichever comes first), with no savepoint per report
 * (store_put_report_in_batch()): one commit per report cost more than
 * parsing, and a savepoint per report about as much as its rows.  When
 * the store fails, the whole group is rolled back (it may hold part of
 * the report that failed) and the run stops; what was not committed is
 * stored by running parse again (duplicates are recognised).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "ingest/ingest.h"
#include "model/report_json.h"
#include "model/report_validate.h"
#include "store/store_reports.h"
#include "util/buf.h"
#include "util/file_batch.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

#define PARSE_EX_TEMPFAIL 75    /* sysexits.h EX_TEMPFAIL: the MTA defers */

int cmd_parse(int argc, char **argv);
extern const char cmd_parse_summary[];
const char cmd_parse_summary[] = "parse report files (JSON, gzip, zip, mail) and store them";

/* 500 ms bound how long the write lock is held; 10 000 reports fit in
 * them when parsing is fast, and each page a group touches is written
 * to the WAL once per group: 1 000 took ~9 % more CPU (bench_parse). */
#define COMMIT_REPORTS 10000
#define COMMIT_MS 500

struct parse_run {
	const char *name;       /* input name for messages */
	const char *channel;    /* "file" or "stdin" */
	struct store *store;    /* NULL with --no-write */
	int verbose, json, quiet;
	size_t n_doc;           /* documents seen in this input */
	size_t stored, duplicates, parsed, bad;
	int store_failed;
	int in_tx;              /* a group transaction is open */
	size_t tx_reports;      /* reports stored in it */
	int64_t tx_start_ms;
	char *in;               /* the file being read (read_file()), reused */
	size_t in_len, in_cap;
};

/* Commits the open group, if any.  Returns 0 or -1 (message printed). */
static int
commit_group(struct parse_run *run)
{
	struct err err;

	if (!run->in_tx)
		return 0;
	run->in_tx = 0;
	if (store_commit(run->store, &err) < 0) {
		fprintf(stderr, "tlsrpt parse: committing the last %zu reports: %s\n",
			run->tx_reports, err.msg);
		run->stored -= run->tx_reports < run->stored ? run->tx_reports : run->stored;
		run->store_failed = 1;
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: tlsrpt parse [-n|--no-write] [-q|--quiet] [-v|--verbose] [--json] [--mta]\n"
		"                    [--db URL] [FILE...]\n"
		"Reads TLSRPT reports (JSON, gzip, zip or mail; stdin when no FILE or \"-\"),\n"
		"checks them and stores them (duplicates are recognised and skipped).\n"
		"  -n, --no-write  parse and check only\n"
		"  -q, --quiet     do not print the sender's mistakes (warnings, leniencies)\n"
		"  -v, --verbose   one line per report: stored|duplicate|parsed report-id=… org=… domain=…\n"
		"  --json          print each parsed report as JSON on stdout\n"
		"  --db URL        store (sqlite:PATH, PATH or postgresql://…; default $TLSRPT_DB)\n"
		"  --mta           for an MTA alias pipe: store failure exits %d (EX_TEMPFAIL, the MTA\n"
		"                  retries); input that is no report is logged to syslog, exits 0\n"
		"Exit status: 0 all stored, %d some input bad (skipped), %d store failed, %d usage.\n",
		PARSE_EX_TEMPFAIL, EXIT_PARTIAL, EXIT_FAILURE_, EXIT_USAGE);
}

/* "a.example,b.example": the policy domains, for the -v line. */
static char *
domains(const struct report *r)
{
	struct buf b;
	size_t len;

	buf_init(&b, 4096);
	for (size_t i = 0; i < r->n_policies; i++) {
		const char *d = r->policies[i].policy_domain;

		if (d == NULL || *d == '\0')
			continue;
		if (b.len > 0 && buf_append_str(&b, ",") < 0)
			break;
		if (buf_append_str(&b, d) < 0)
			break;
	}
	return buf_steal(&b, &len);
}

static void
say(const struct parse_run *run, const char *what, const struct report *r)
{
	char *d;

	if (!run->verbose)
		return;
	d = domains(r);
	fprintf(stderr, "%s report-id=%s org=%s domain=%s\n", what,
		r->report_id ? r->report_id : "", r->organization_name ? r->organization_name : "",
		d);
	free(d);
}

/* The quirk with every array index "[N]" written "[*]", so that the same
 * leniency in many failure details is one line. */
static char *
quirk_kind(const char *q)
{
	char *k = xstrdup(q), *w = k;

	for (const char *s = q; *s != '\0'; s++) {
		*w++ = *s;
		if (*s == '[' && s[1] >= '0' && s[1] <= '9') {
			const char *e = s + 1;

			while (*e >= '0' && *e <= '9')
				e++;
			if (*e == ']') {
				*w++ = '*';
				s = e - 1;
			}
		}
	}
	*w = '\0';
	return k;
}

/* Prints each leniency the parser applied to r once ("lenient: what",
 * with "(N times)" when it was applied in several places). */
static void
print_leniencies(const struct parse_run *run, const struct report *r)
{
	struct strlist kinds = { 0 };
	size_t *count = xcalloc(r->quirks.n + 1, sizeof(*count));

	for (size_t i = 0; i < r->quirks.n; i++) {
		char *k = quirk_kind(r->quirks.v[i]);
		size_t j;

		for (j = 0; j < kinds.n && strcmp(kinds.v[j], k) != 0; j++)
			;
		if (j == kinds.n)
			strlist_add_owned(&kinds, k);
		else
			free(k);
		count[j]++;
	}
	for (size_t j = 0; j < kinds.n; j++) {
		fprintf(stderr, "%s: report-id=%s: lenient: %s", run->name,
			r->report_id ? r->report_id : "", kinds.v[j]);
		if (count[j] > 1)
			fprintf(stderr, " (%zu times)", count[j]);
		fputc('\n', stderr);
	}
	free(count);
	strlist_clear(&kinds);
}

static int
on_doc(void *ctx, const char *json, size_t len, const struct ingest_meta *meta)
{
	struct parse_run *run = ctx;
	struct strlist problems = { 0 };
	struct err err = { { 0 } };
	struct report *r;
	char *raw = NULL;
	int rc;

	run->n_doc++;
	r = report_parse_json(json, len, &err);
	if (r == NULL) {
		fprintf(stderr, "%s: report %zu (%s): not a valid report: %s\n", run->name,
			run->n_doc, meta->container ? meta->container : "json", err.msg);
		run->bad++;
		return 0;
	}
	/* Problems are the sender's; the report is still evidence and is kept. */
	report_validate(r, &problems);
	if (!run->quiet)
		print_leniencies(run, r);
	for (size_t i = 0; i < problems.n && !run->quiet; i++) {
		int note = strncmp(problems.v[i], "note: ", 6) == 0;

		if (run->verbose || !note)
			fprintf(stderr, "%s: report-id=%s: %s%s\n", run->name,
				r->report_id ? r->report_id : "", note ? "" : "warning: ",
				problems.v[i]);
	}
	if (run->json) {
		char *out = report_write_json(r, REPORT_JSON_PRETTY | REPORT_JSON_KEEP_EXTRA);

		if (out != NULL)
			printf("%s\n", out);
		free(out);
	}
	if (run->store == NULL) {
		run->parsed++;
		say(run, "parsed", r);
		goto out;
	}
	if (!run->in_tx) {
		if (store_begin(run->store, &err) < 0) {
			fprintf(stderr, "%s: %s\n", run->name, err.msg);
			run->store_failed = 1;
			rc = 1;
			goto stop;
		}
		run->in_tx = 1;
		run->tx_reports = 0;
		run->tx_start_ms = monotime_ms();
	}
	raw = xstrndup(json, len);
	rc = store_put_report_in_batch(run->store, r,
				       &(struct report_source){ run->channel,
								meta->filename ? meta->filename
									       : run->name,
								raw, (int64_t)time(NULL) },
				       &err);
	if (rc < 0) {
		/* the group may hold part of this report: none of it counts */
		store_rollback(run->store);
		run->in_tx = 0;
		fprintf(stderr, "%s: %s\n", run->name, err.msg);
		if (run->tx_reports > 0)
			fprintf(stderr, "tlsrpt parse: the last %zu reports stored were rolled back"
				" with it; run parse again to store them\n", run->tx_reports);
		run->stored -= run->tx_reports < run->stored ? run->tx_reports : run->stored;
		run->store_failed = 1;
		rc = 1;
		goto stop;
	}
	if (rc == 1) {
		run->stored++;
		run->tx_reports++;
		say(run, "stored", r);
	} else if (rc == 2) {
		run->duplicates++;
		fprintf(stderr, "%s: report-id=%s org=%s: warning: already stored with different"
			" contents; the first one stored counts, this one is kept as a conflict\n",
			run->name, r->report_id ? r->report_id : "",
			r->organization_name ? r->organization_name : "");
		say(run, "duplicate", r);
	} else {
		run->duplicates++;
		say(run, "duplicate", r);
	}
	if ((run->tx_reports >= COMMIT_REPORTS || monotime_ms() - run->tx_start_ms >= COMMIT_MS) &&
	    commit_group(run) < 0) {
		rc = 1;
		goto stop;
	}
out:
	rc = 0;
stop:
	free(raw);
	strlist_clear(&problems);
	report_free(r);
	return rc;
}

/* Reads all of f into b (at most b->max bytes). */
static int
slurp(FILE *f, struct buf *b, struct err *err)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(b, chunk, n) < 0) {
			err_set(err, "input larger than %zu bytes (ingest limit)", b->max);
			return -1;
		}
	}
	if (ferror(f)) {
		err_set(err, "read error: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the file at path into run->in (reused from file to file, at most
 * max bytes): open, fstat, one read of the size + 1 (a short read of a
 * regular file is its end), close; more reads only for a file that grew
 * or is not regular.  Returns 0 or -1 with err set. */
static int
read_file(struct parse_run *run, const char *path, size_t max, struct err *err)
{
	struct stat st;
	size_t want;
	ssize_t n;
	int fd, ret = -1;

	run->in_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(err, "open: %s", strerror(errno));
		return -1;
	}
	want = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size < max
		? (size_t)st.st_size + 1 : 65536;
	for (;;) {
		if (run->in_len + want > run->in_cap) {
			run->in_cap = run->in_len + want;
			run->in = xrealloc(run->in, run->in_cap + 1);
		}
		n = read(fd, run->in + run->in_len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "read error: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		run->in_len += (size_t)n;
		if (run->in_len > max) {
			err_set(err, "input larger than %zu bytes (ingest limit)", max);
			goto out;
		}
		if (S_ISREG(st.st_mode) && (size_t)n < want)
			break;          /* the end of a regular file */
		want = 65536;
	}
	run->in[run->in_len] = '\0';
	ret = 0;
out:
	close(fd);
	return ret;
}

/* Parses (and stores) the reports in one input: path, or stdin for "-".
 * pre is the file's contents when a batch read it ahead (pre_len bytes,
 * NUL-terminated), or NULL to read it here. */
static void
parse_one(struct parse_run *run, const char *path, const char *pre, size_t pre_len,
	  const struct ingest_limits *lim)
{
	int is_stdin = strcmp(path, "-") == 0;
	struct err err = { { 0 } };
	struct buf b;
	const char *data;
	size_t len;
	int n;

	run->name = is_stdin ? "<stdin>" : path;
	run->channel = is_stdin ? "stdin" : "file";
	run->n_doc = 0;
	buf_init(&b, lim->max_input);
	if (is_stdin) {
		if (slurp(stdin, &b, &err) < 0) {
			fprintf(stderr, "%s: %s\n", run->name, err.msg);
			run->bad++;
			goto out;
		}
		data = b.data ? b.data : "";
		len = b.len;
	} else if (pre != NULL && pre_len <= lim->max_input) {
		data = pre;
		len = pre_len;
	} else {
		if (read_file(run, path, lim->max_input, &err) < 0) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			run->bad++;
			goto out;
		}
		data = run->in;
		len = run->in_len;
	}
	n = ingest_extract(data, len, lim, on_doc, run, &err);
	if (run->store_failed)
		goto out;
	if (n <= 0) {
		fprintf(stderr, "%s: %s: %s\n", run->name,
			n == 0 ? "no report found" : "unreadable", err.msg);
		run->bad++;
	}
out:
	buf_free(&b);
}

/* Parses files[0..n) in order, stopping when the store fails.  Several
 * files are read ahead in batches (file_batch.h) unless TLSRPT_IO_URING
 * is "0" or io_uring is not available; a file a batch did not read is
 * read by parse_one() itself. */
static void
parse_files(struct parse_run *run, char *const *files, size_t n,
	    const struct ingest_limits *lim)
{
	const char *env = getenv("TLSRPT_IO_URING");
	struct file_batch *fb = NULL;

	if (n > 1 && (env == NULL || strcmp(env, "0") != 0))
		fb = file_batch_new();
	for (size_t i = 0; i < n && !run->store_failed;) {
		size_t got = fb != NULL ? file_batch_read(fb, files + i, n - i) : 1;

		for (size_t k = 0; k < got && !run->store_failed; k++) {
			size_t len = 0;
			const char *pre = fb != NULL ? file_batch_data(fb, k, &len) : NULL;

			parse_one(run, files[i + k], pre, len, lim);
		}
		i += got;
	}
	file_batch_free(&fb);
}

int
cmd_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-write", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, 'd' },
		{ "mta", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char *const stdin_only[] = { (char *)"-", NULL };
	struct parse_run run = { 0 };
	struct ingest_limits lim;
	const char *db = NULL;
	char *const *files;
	int no_write = 0, mta = 0, c, nfiles;

	optind = 1;
	while ((c = getopt_long(argc, argv, "nqvh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': no_write = 1; break;
		case 'v': run.verbose = 1; break;
		case 'q': run.quiet = 1; break;
		case 'j': run.json = 1; break;
		case 'd': db = optarg; break;
		case 'm': mta = 1; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	/* Diagnostics come in blocks, not a write() per line, unless someone
	 * watches them: a line or two per report made stderr's writes a
	 * sixth of parse -n's CPU (bench_parse). */
	if (!isatty(STDERR_FILENO))
		setvbuf(stderr, NULL, _IOFBF, BUFSIZ);
	files = optind < argc ? argv + optind : stdin_only;
	nfiles = optind < argc ? argc - optind : 1;
	if (mta)
		log_init("tlsrpt-parse", LOG_LEVEL_WARN, 1);
	if (!no_write && (run.store = cmd_store_open(db)) == NULL)
		return mta ? PARSE_EX_TEMPFAIL : EXIT_FAILURE_;
	ingest_limits_default(&lim);
	parse_files(&run, files, (size_t)nfiles, &lim);
	if (run.store != NULL)
		commit_group(&run);     /* also after a failure: what was stored so far */
	store_close(&run.store);
	free(run.in);
	if (run.verbose)
		fprintf(stderr, "%zu stored, %zu duplicates, %zu parsed only, %zu bad\n",
			run.stored, run.duplicates, run.parsed, run.bad);
	if (run.store_failed) {
		if (mta)
			log_warn("store failed; exit %d so that the MTA retries", PARSE_EX_TEMPFAIL);
		return mta ? PARSE_EX_TEMPFAIL : EXIT_FAILURE_;
	}
	if (mta && run.bad > 0) {
		log_notice("%zu input(s) held no valid report; accepted, not bounced (--mta)", run.bad);
		return EXIT_OK;
	}
	return run.bad > 0 ? EXIT_PARTIAL : EXIT_OK;
}
