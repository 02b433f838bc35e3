/*
 * intake_checkpoint: the checkpoints of the intake's SQLite write-ahead
 * log, on a thread of their own (see intake.h).
 *
 * The store writer thread is the intake's bound, and a checkpoint made
 * on it (SQLite's autocheckpoint, at the commit that finds the log over
 * 16384 pages) copies those pages into the database and syncs it: about
 * 5 us of its CPU per report in bench_serve, and a stall.  So the
 * writer's handle does not checkpoint (store_wal_manual()); each time
 * its commits have added INTAKE_WAL_FRAMES pages to the log it asks this
 * thread, which has a handle of its own and runs a PASSIVE checkpoint (it
 * never blocks the writer; asked after every commit instead, it copied
 * the same hot pages over and over: more CPU in all).  The log starts
 * over only at a write that finds it all copied, which a busy writer
 * never leaves time for, so at INTAKE_WAL_FRAMES_MAX the writer
 * checkpoints itself (the last quarter), as SQLite did at every
 * INTAKE_WAL_FRAMES; so does it when the thread could not start.  The
 * log file can so reach 4 x 64 MiB during a long burst (64 MiB before).
 */
#ifndef TLSRPT_SERVE_INTAKE_CHECKPOINT_H
#define TLSRPT_SERVE_INTAKE_CHECKPOINT_H

#include "store/store.h"

/* Frames in the log from which the writer asks for a checkpoint (SQLite's
 * wal_autocheckpoint, as the other handles have it, db_sqlite.c), and
 * from which it makes one itself. */
#define INTAKE_WAL_FRAMES 16384
#define INTAKE_WAL_FRAMES_MAX (4 * INTAKE_WAL_FRAMES)

struct intake_checkpoint;

/* Starts the thread, which opens its own handle on db_url when first
 * asked.  Returns NULL with err set when the thread cannot start. */
struct intake_checkpoint *intake_checkpoint_start(const char *db_url, struct err *err);

/* Asks for a checkpoint (several asks before it runs are one). */
void intake_checkpoint_ask(struct intake_checkpoint *c);

/* What the writer does after a commit on its handle st (whose commits do
 * not checkpoint): asks *c (started here when first needed) each time
 * the log has grown by INTAKE_WAL_FRAMES since the last ask, checkpoints
 * on st itself from INTAKE_WAL_FRAMES_MAX.  Nothing on PostgreSQL. */
void intake_checkpoint_after_commit(struct intake_checkpoint **c, const char *db_url,
				    struct store *st);

/* Waits for a checkpoint in progress, stops the thread, closes its handle
 * and frees *c (NULL: nothing). */
void intake_checkpoint_stop(struct intake_checkpoint **c);

/* Checkpoints the thread has run (for tests). */
unsigned long intake_checkpoint_runs(struct intake_checkpoint *c);

#endif
