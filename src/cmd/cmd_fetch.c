/*
 * cmd_fetch: `tlsrpt fetch maildir DIR | mbox FILE | dir DIR | imap URL`
 * reads report mail (or report files) and stores every report found:
 * ingest_extract → report_parse_json → store_put_report for each message
 * (ingest_store.h).  Every source treats an item alike: one that holds no
 * report at all (the cron mail, a bounce) is skipped with a notice and
 * does not change the exit status; a bad one (a report that cannot be
 * read) is reported, counted as an error, and the run goes on; a store
 * failure stops the run.  The last line says what happened.
 *
 * Items are stored in batches (fetch.h: FETCH_BATCH_ITEMS / FETCH_BATCH_MS,
 * one transaction each, with what the source remembers of them); a store
 * failure rolls the batch back and stops: its items are read again next
 * time (the reports stored before are recognised as duplicates).
 */
#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "cmd/fetch.h"
#include "ingest/filedir.h"
#include "ingest/maildir.h"
#include "ingest/mbox.h"
#include "store/store.h"
#include "store/store_fetch_seen.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

int cmd_fetch(int argc, char **argv);
extern const char cmd_fetch_summary[];
const char cmd_fetch_summary[] = "store the reports found in a mailbox (IMAP, Maildir, mbox) or directory";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tlsrpt fetch [--db URL] [-v] [--all] maildir DIR\n"
	    "       tlsrpt fetch [--db URL] [-v] [--all] mbox FILE\n"
	    "       tlsrpt fetch [--db URL] [-v] [--all] dir DIR\n"
	    "       tlsrpt fetch [--db URL] [-v] imap [URL] [--user U] [--password-file F]\n"
	    "                    [--cacert F] [--mailbox MAILBOX] [--move-to FOLDER] [--[no-]seen]\n"
	    "(and --config FILE: tlsrpt.conf; its fetch_imap_* settings fill what is not given)\n"
	    "-v, --verbose: a line per report stored (-vv: per duplicate too)\n"
	    "\n"
	    "Stores every TLSRPT report found (mail with a gzip/JSON report part,\n"
	    "or report files) and prints \"fetched N messages: N stored, N duplicates,\n"
	    "N skipped (not a report), N errors\".  A report already stored counts as\n"
	    "a duplicate.  Mail or a file with no report part or attachment at all is\n"
	    "skipped with a notice; one whose report cannot be read is an error.\n"
	    "imap URL is imaps://host[:port][/MAILBOX] or imap://… (STARTTLS is\n"
	    "required; default fetch_imap_url); the password comes from --password-file,\n"
	    "the TLSRPT_IMAP_PASSWORD environment variable or fetch_imap_password_file,\n"
	    "never from the command line.\n"
	    "maildir, mbox, dir: a message or file processed by an earlier run (stored,\n"
	    "a duplicate, or no report) is skipped silently (a digest of its bytes is\n"
	    "kept in the store); --all reads everything again.\n"
	    "Mail already fetched is not fetched again (the last UID is kept in the\n"
	    "store); --seen / --move-to apply only to mail whose reports were stored;\n"
	    "--no-seen leaves it unflagged even if fetch_imap_seen = yes (the last of\n"
	    "--seen and --no-seen wins).\n"
	    "Exit status: 0 all stored (or skipped), %d some messages refused (errors),\n"
	    "%d usage, %d failure.  See tlsrpt-fetch(1).\n",
	    EXIT_PARTIAL, EXIT_USAGE, EXIT_FAILURE_);
}

void
fetch_progress(struct fetch_run *run)
{
	if (!run->progress)
		return;
	fprintf(stderr, "\r%u messages: %u stored, %u duplicates, %u skipped, %u errors",
		run->counts.messages, run->counts.stored, run->counts.duplicates,
		run->counts.skipped, run->counts.errors);
	fflush(stderr);
}

int
fetch_batch_begin(struct fetch_run *run, struct err *err)
{
	if (run->in_batch)
		return 0;
	if (store_begin(run->store, err) < 0)
		return -1;
	run->in_batch = 1;
	run->batch_items = 0;
	run->batch_start_ms = monotime_ms();
	run->batch_counts = run->counts;
	return 0;
}

int
fetch_batch_add(struct fetch_run *run)
{
	run->batch_items++;
	return run->batch_items >= FETCH_BATCH_ITEMS ||
	       monotime_ms() - run->batch_start_ms >= FETCH_BATCH_MS;
}

void
fetch_batch_abort(struct fetch_run *run)
{
	if (!run->in_batch)
		return;
	store_rollback(run->store);
	run->in_batch = 0;
	run->rolled_back += run->counts.messages - run->batch_counts.messages;
	run->counts = run->batch_counts;
}

int
fetch_batch_commit(struct fetch_run *run, struct err *err)
{
	if (!run->in_batch)
		return 0;
	run->in_batch = 0;
	if (store_commit(run->store, err) < 0) {
		/* store_commit() rolled it back */
		run->rolled_back += run->counts.messages - run->batch_counts.messages;
		run->counts = run->batch_counts;
		return -1;
	}
	return 0;
}

/* The key an item is remembered by: the digest of its bytes; the k-th
 * byte-identical copy in one source (k > 1) is told apart by k. */
static int64_t
item_key(struct fetch_run *run, const struct source_item *item)
{
	int64_t d = store_fetch_digest(item->data, item->len);
	gpointer k = GSIZE_TO_POINTER((gsize)d);
	gsize n = GPOINTER_TO_SIZE(g_hash_table_lookup(run->copies, k)) + 1;
	char text[64];

	g_hash_table_insert(run->copies, k, GSIZE_TO_POINTER(n));
	if (n == 1)
		return d;
	snprintf(text, sizeof(text), "%lld#%zu", (long long)d, (size_t)n);
	return store_fetch_digest(text, strlen(text));
}

/* Per-item callback for the file sources; a positive return stops. */
static int
on_item(void *ctx, const struct source_item *item, const char *channel)
{
	struct fetch_run *run = ctx;
	struct err err = { "" };
	unsigned errors = run->counts.errors;
	int64_t digest = 0;
	int rc;

	if (item->error == NULL) {
		digest = item_key(run, item);
		rc = run->all ? 0 : store_fetch_seen(run->store, run->source, digest, &err);
		if (rc < 0)
			goto store_failed;
		if (rc == 1) {
			run->seen_before++;
			/* an open batch is not held longer for this */
			if (run->in_batch && run->batch_items > 0 &&
			    monotime_ms() - run->batch_start_ms >= FETCH_BATCH_MS &&
			    fetch_batch_commit(run, &err) < 0) {
				log_error("%s", err.msg);
				return 1;
			}
			return 0;
		}
	}
	if (item->error != NULL) {
		run->counts.messages++;
		run->counts.errors++;
		log_warn("%s", item->error);
		fetch_progress(run);
		return 0;
	}
	if (fetch_batch_begin(run, &err) < 0)
		goto store_failed;
	rc = ingest_store_bytes_in_batch(run->store, item->data, item->len, &run->limits,
					 channel, item->name, &run->counts, &err);
	fetch_progress(run);
	/* remembered once stored, a duplicate or no report at all; an item in
	 * error is read again next time */
	if (rc >= 0 && run->counts.errors == errors &&
	    store_fetch_remember(run->store, run->source, digest, (int64_t)time(NULL), &err) < 0)
		rc = -1;
	if (rc < 0)
		goto store_failed;
	if (fetch_batch_add(run) && fetch_batch_commit(run, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	return 0;
store_failed:
	fetch_batch_abort(run);
	log_error("%s", err.msg);
	return 1;
}

static int
on_maildir(void *ctx, const struct source_item *item)
{
	return on_item(ctx, item, "maildir");
}

static int
on_mbox(void *ctx, const struct source_item *item)
{
	return on_item(ctx, item, "mbox");
}

static int
on_file(void *ctx, const struct source_item *item)
{
	return on_item(ctx, item, "file");
}

/* Runs the source named by kind on arg.  Returns 0 or -1 (logged). */
static int
run_source(struct fetch_run *run, const char *kind, const char *arg,
	   const struct fetch_imap_options *io)
{
	struct err err = { "" };
	int rc;

	if (strcmp(kind, "maildir") == 0)
		rc = maildir_each(arg, run->limits.max_input, on_maildir, run, &err);
	else if (strcmp(kind, "mbox") == 0)
		rc = mbox_each(arg, run->limits.max_input, on_mbox, run, &err);
	else if (strcmp(kind, "dir") == 0)
		rc = filedir_each(arg, run->limits.max_input, on_file, run, &err);
	else
		rc = fetch_imap(run, io, &err);
	if (rc < 0)
		log_error("%s", err.msg);
	return rc == 0 ? 0 : -1;  /* > 0: a callback stopped on a store failure */
}

int
cmd_fetch(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_USER, OPT_PWFILE, OPT_CACERT, OPT_MAILBOX,
	       OPT_MOVE, OPT_SEEN, OPT_CONFIG, OPT_ALL };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "user", required_argument, NULL, OPT_USER },
		{ "password-file", required_argument, NULL, OPT_PWFILE },
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "mailbox", required_argument, NULL, OPT_MAILBOX },
		{ "move-to", required_argument, NULL, OPT_MOVE },
		{ "seen", no_argument, NULL, OPT_SEEN },
		{ "no-seen", no_argument, NULL, CMD_NO(OPT_SEEN) },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct fetch_imap_options io = { 0 };
	enum cmd_flag seen = CMD_FLAG_UNSET;    /* --seen / --no-seen */
	struct fetch_run run = { 0 };
	struct err err = { "" };
	struct config *conf = NULL;
	const char *db = NULL, *kind, *arg, *env;
	char *abs = NULL, *source = NULL;
	int c, verbose = 0, rc = EXIT_USAGE;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case OPT_USER: io.user = optarg; break;
		case OPT_PWFILE: io.password_file = optarg; break;
		case OPT_CACERT: io.cacert = optarg; break;
		case OPT_MAILBOX: io.mailbox = optarg; break;
		case OPT_MOVE: io.move_to = optarg; break;
		case OPT_SEEN: case CMD_NO(OPT_SEEN): seen = CMD_FLAG(c); break;
		case OPT_CONFIG: break;         /* read by cmd_config_path() */
		case OPT_ALL: run.all = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if ((conf = cmd_config_load("fetch", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	/* the options override tlsrpt.conf */
	if (io.user == NULL)
		io.user = config_get_string_or_null(conf, "fetch_imap_user");
	env = getenv("TLSRPT_IMAP_PASSWORD");
	if (io.password_file == NULL && (env == NULL || *env == '\0'))
		io.password_file = config_get_string_or_null(conf, "fetch_imap_password_file");
	if (io.cacert == NULL)
		io.cacert = config_get_string_or_null(conf, "fetch_imap_cacert");
	if (io.mailbox == NULL)
		io.mailbox = config_get_string_or_null(conf, "fetch_imap_mailbox");
	if (io.move_to == NULL)
		io.move_to = config_get_string_or_null(conf, "fetch_imap_move_to");
	io.mark_seen = cmd_flag_bool(seen, conf, "fetch_imap_seen");
	kind = optind < argc ? argv[optind] : NULL;
	arg = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (kind != NULL && strcmp(kind, "imap") == 0 && arg == NULL && optind + 1 == argc)
		arg = config_get_string_or_null(conf, "fetch_imap_url");
	if (kind == NULL || arg == NULL || argc - optind > 2) {
		fprintf(stderr, "tlsrpt fetch: %s\n",
			kind == NULL ? "which source? maildir DIR, mbox FILE, dir DIR or imap URL"
			: arg == NULL ? "the source needs its directory, file or URL"
				      : "too many arguments");
		usage(stderr);
		goto out;
	}
	if (strcmp(kind, "maildir") != 0 && strcmp(kind, "mbox") != 0 &&
	    strcmp(kind, "dir") != 0 && strcmp(kind, "imap") != 0) {
		fprintf(stderr, "tlsrpt fetch: unknown source '%s' (maildir, mbox, dir, imap)\n",
			kind);
		goto out;
	}
	io.url = arg;
	if (verbose > 0)
		log_init("tlsrpt", verbose > 1 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, 0);
	ingest_limits_default(&run.limits);
	run.progress = isatty(2) && verbose == 0;
	run.store = store_open(cmd_db_url_cfg(conf, db), &err);
	if (run.store == NULL) {
		fprintf(stderr, "tlsrpt fetch: %s\n", err.msg);
		rc = EXIT_FAILURE_;
		goto out;
	}
	abs = realpath(arg, NULL);
	source = xasprintf("%s:%s", kind, abs != NULL ? abs : arg);
	run.source = source;
	run.copies = g_hash_table_new(g_direct_hash, g_direct_equal);
	rc = run_source(&run, kind, arg, &io);
	if (run.in_batch && fetch_batch_commit(&run, &err) < 0) {
		log_error("%s", err.msg);
		rc = -1;
	}
	g_hash_table_destroy(run.copies);
	if (run.progress)
		fputc('\n', stderr);
	printf("fetched %u messages: %u stored, %u duplicates, %u skipped (not a report), "
	       "%u errors\n", run.counts.messages, run.counts.stored,
	       run.counts.duplicates, run.counts.skipped, run.counts.errors);
	if (run.rolled_back > 0)
		printf("%u messages not stored after the store failed (rolled back with their "
		       "batch): they are read again next time\n", run.rolled_back);
	if (run.seen_before > 0)
		printf("%u processed by an earlier run, not read again (--all reads them)\n",
		       run.seen_before);
	store_close(&run.store);
	if (rc != 0)
		rc = EXIT_FAILURE_;
	else    /* skipped items (no report at all) are not errors */
		rc = run.counts.errors > 0 ? EXIT_PARTIAL : EXIT_OK;
out:
	free(abs);
	free(source);
	config_free(&conf);
	return rc;
}
