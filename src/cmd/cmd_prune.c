/*
 * cmd_prune: `tlsrpt prune`: retention.  Deletes received reports,
 * collected results and finished outbox entries older than --older-than
 * DAYS or WHEN (when.h; or retention_days) in transactions of at most --batch rows, then
 * gives the space back (store/store_prune.h).  Run daily from a timer.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd.h"
#include "cmd/config_params.h"
#include "model/datetime.h"
#include "model/when.h"
#include "store/store_prune.h"

int cmd_prune(int argc, char **argv);
extern const char cmd_prune_summary[];
const char cmd_prune_summary[] = "delete stored data older than the retention period";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: tlsrpt prune [--older-than DAYS|WHEN] [--batch N] [--vacuum] [--db URL]\n"
"                    [--config FILE] [-q|--quiet]\n"
"Deletes received reports whose period ended, results collected on days, and\n"
"finished outbox entries created, before the limit.\n"
"  --older-than DAYS|WHEN  the limit: DAYS (1 to 36500) days ago, or WHEN:\n"
"                     YYYY-MM-DD (its 00:00 UTC), an RFC 3339 date-time with Z\n"
"                     or an offset, Unix seconds, or Nd / Nh (N days / hours\n"
"                     ago); at least 1 day ago (default: retention_days in\n"
"                     tlsrpt.conf; 0 there means keep everything, and prune\n"
"                     then does nothing)\n"
"  --batch N          rows per transaction (default %d): the collector and the\n"
"                     intake wait for at most one such transaction\n"
"  --vacuum           SQLite stores created before incremental auto-vacuum: run\n"
"                     VACUUM once (blocks writers while it runs) so that the file\n"
"                     shrinks now and after every later prune\n"
"  --db URL           the store (default: $TLSRPT_DB, else database_url)\n"
"  --config FILE      tlsrpt.conf to read\n"
"  -q, --quiet        print nothing unless something fails\n"
"Exit status: 0 ok, %d usage, %d store failed.\n", STORE_PRUNE_BATCH, EXIT_USAGE,
		EXIT_FAILURE_);
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses --older-than: digits alone are days (as retention_days), anything
 * else a WHEN (when.h).  The limit is at least a day ago: what is newer may
 * not be reported yet.  Prints what is wrong. */
static int
parse_older_than(const char *s, int64_t now, int64_t *cutoff)
{
	struct err err = { { 0 } };
	long days;

	if (*s >= '0' && *s <= '9' && parse_long(s, 0, LONG_MAX, &days) == 0) {
		if (days < 1 || days > 36500) {
			fprintf(stderr, "tlsrpt prune: --older-than %s: expected 1 to 36500 days\n", s);
			return -1;
		}
		*cutoff = now - (int64_t)days * 86400;
		return 0;
	}
	if (when_parse(s, WHEN_START, now, cutoff, &err) < 0) {
		fprintf(stderr, "tlsrpt prune: --older-than %s\n", err.msg);
		return -1;
	}
	if (*cutoff > now - 86400) {
		fprintf(stderr, "tlsrpt prune: --older-than %s: less than 1 day ago (what is newer "
			"may not be reported yet)\n", s);
		return -1;
	}
	return 0;
}

int
cmd_prune(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "older-than", required_argument, NULL, 'o' },
		{ "batch", required_argument, NULL, 'b' },
		{ "vacuum", no_argument, NULL, 'V' },
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_prune_stats st = { 0 };
	struct config *conf;
	struct store *s = NULL;
	struct err err;
	const char *db = NULL;
	long days, batch = STORE_PRUNE_BATCH;
	int64_t now = (int64_t)time(NULL), cutoff = 0;
	char when[DATETIME_FMT_SIZE];
	int64_t freed;
	/* 0: retention_days (a flag, not a cutoff value: 36500 days ago is
	 * before 1970, a negative cutoff) */
	int have_cutoff = 0;
	int c, vacuum = 0, quiet = 0, rc = EXIT_USAGE, r;

	if ((conf = cmd_config_load("prune", cmd_config_path(argc, argv))) == NULL)
		return EXIT_FAILURE_;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (parse_older_than(optarg, now, &cutoff) < 0)
				goto out;
			have_cutoff = 1;
			break;
		case 'b':
			if (parse_long(optarg, 1, 1000000, &batch) < 0) {
				fprintf(stderr, "tlsrpt prune: --batch %s: expected 1 to 1000000\n",
					optarg);
				goto out;
			}
			break;
		case 'V': vacuum = 1; break;
		case 'd': db = optarg; break;
		case 'C': break;        /* read by cmd_config_path() */
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tlsrpt prune: unexpected argument \"%s\"\n", argv[optind]);
		goto out;
	}
	days = (long)config_get_int(conf, "retention_days");
	if (!have_cutoff && days == 0) {
		if (!quiet)
			printf("retention_days is 0 and no --older-than: nothing pruned\n");
		rc = EXIT_OK;
		goto out;
	}
	rc = EXIT_FAILURE_;
	if ((s = store_open(cmd_db_url_cfg(conf, db), &err)) == NULL) {
		fprintf(stderr, "tlsrpt prune: store: %s\n", err.msg);
		goto out;
	}
	if (!have_cutoff)
		cutoff = now - (int64_t)days * 86400;
	r = store_prune(s, cutoff, (size_t)batch, &st, &err);
	if (!quiet || r < 0)
		printf("deleted %lld reports, %lld result tuples, %lld outbox reports from before "
		       "%s (%u transactions)\n", (long long)st.reports, (long long)st.results,
		       (long long)st.outbox, datetime_format(cutoff, when), st.transactions);
	if (r < 0) {
		fprintf(stderr, "tlsrpt prune: %s\n", err.msg);
		goto out;
	}
	switch (store_reclaim(s, vacuum, &freed, &err)) {
	case STORE_RECLAIM_SHRUNK:
	case STORE_RECLAIM_VACUUMED:
		if (!quiet)
			printf("%lld free pages returned to the file system%s\n", (long long)freed,
			       vacuum ? " (VACUUM)" : "");
		break;
	case STORE_RECLAIM_NEEDS_VACUUM:
		if (!quiet)
			printf("the store was created without incremental auto-vacuum: the file "
			       "keeps its size (freed pages are reused); run tlsrpt prune --vacuum "
			       "once to shrink it\n");
		break;
	case STORE_RECLAIM_AUTOVACUUM:
		if (!quiet)
			printf("PostgreSQL: autovacuum reclaims the deleted rows\n");
		break;
	default:
		fprintf(stderr, "tlsrpt prune: reclaiming space: %s\n", err.msg);
		goto out;
	}
	rc = EXIT_OK;
out:
	store_close(&s);
	config_free(&conf);
	return rc;
}
