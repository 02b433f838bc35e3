/*
 * dry_writer: the files of `tlsrpt send --dry-run`, written on a thread of
 * their own so that gzip, the MIME composition, DKIM and the file
 * creation of one report overlap the store read, the aggregation and the
 * TLSRPT lookups of the next ones (issue 12: the reporter end to end on
 * both cores).
 *
 * For each report: the attachment (gzip unless configured uncompressed)
 * as naming_filename() names it, and for the i-th destination (1-based)
 * that is a mailto: URI the mail to it as "<report-id>.<i>.eml".  The
 * files and their contents are those the reporter wrote in line before;
 * jobs are written in the order they were put.
 *
 * Two threads: the writer's builds each job's files (gzip, MIME, DKIM)
 * and hands them to the filer's, which creates them, in order; file
 * creation is as costly as the rest (bench/README, bench_reporter.sh).
 * Thread use: one thread puts jobs and finishes; the writer's thread is
 * the only user of the reporter's composer, gzipper and DKIM signer
 * until dry_writer_finish() returns (the caller must not use them in the
 * meantime).
 */
#ifndef TLSRPT_REPORT_DRY_WRITER_H
#define TLSRPT_REPORT_DRY_WRITER_H

#include <stdint.h>

#include "model/strlist.h"
#include "util/err.h"

struct reporter;
struct dry_writer;

/* One report's files to write. */
struct dry_job {
	char *report_id;              /* owned */
	char *policy_domain;          /* owned */
	char *filename;               /* owned: the attachment's file name */
	char *json;                   /* owned: the report JSON */
	struct strlist dests;         /* owned: every destination, mailto: or not */
};

/* Starts a writer into r's dry_run_dir for reports of UTC day `day`
 * (mails dated `now`).  r is borrowed and must outlive the writer.
 * Returns the writer, or NULL with err set if the directory cannot be
 * opened or its threads not started. */
struct dry_writer *dry_writer_new(struct reporter *r, int64_t day, int64_t now,
				  struct err *err);

/* Hands *job (its contents; *job is zeroed) to the writer; waits while the
 * writer's queue is full.  Returns 0, or -1 with err set when the writer
 * has already failed on a file (the run must stop; the job is dropped). */
int dry_writer_put(struct dry_writer *w, struct dry_job *job, struct err *err);

/* Writes what is queued, stops the threads and releases *w (sets it to
 * NULL; NULL is a no-op).  Returns 0, or -1 with err set to the first file
 * that could not be written.  A report whose mail could not be built is
 * logged and skipped, as the in-line writer did; it does not fail. */
int dry_writer_finish(struct dry_writer **w, struct err *err);

/* Releases the strings of job and zeroes it. */
void dry_job_clear(struct dry_job *job);

#endif
