/*
 * journal: the collector's append-only journal of received datagrams.
 *
 * Every datagram recv() returns is written (write(2), no fsync: a crashed
 * process loses nothing the kernel has; a crashed machine may lose the
 * last seconds) to the current segment file before anything else is done
 * with it.  The receive loop closes a segment when it hands a batch over;
 * the writer thread replays closed segments, stores their results and
 * removes a segment only after its transaction committed.  Segments left
 * by a crash, a stuck store or a full disk are replayed at the next start.
 *
 * Directory layout: DIR/lock (flock: one collector per journal) and
 * DIR/SEQ.tjr, SEQ 16 lower-case hex digits, increasing.  A segment is a
 * sequence of records, each a 16-byte header in host byte order
 * (magic "TJR2", payload length, UTC day of receipt, the low 32 bits of
 * XXH3-64 of the payload seeded with the day) and the payload (the
 * datagram as received).  Records of magic "TJR1" (earlier versions:
 * zlib CRC-32 of the day and the payload) are replayed too.  A torn
 * or corrupt record ends the segment's replay (it and what follows are
 * counted as torn, never guessed at).
 */
#ifndef TLSRPT_COLLECTOR_JOURNAL_H
#define TLSRPT_COLLECTOR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/err.h"

#define JOURNAL_HDR_BYTES 16
#define JOURNAL_MAGIC 0x32524a54u       /* "TJR2" read as little-endian */
/* Records written by earlier versions ("TJR1", CRC-32) are still replayed. */
#define JOURNAL_MAGIC_V1 0x31524a54u
/* Records appended by one journal_append() call at most. */
#define JOURNAL_APPEND_MAX 256
/* The largest payload a record may hold (a segment's replay refuses more). */
#define JOURNAL_PAYLOAD_MAX (16u << 20)

struct journal;

/* Opens (creating it, mode 0700, if missing) the journal directory dir
 * and locks it.  The segments already there (a previous run's) are
 * returned in *old (ascending, caller frees) with their count in *n_old
 * and their total size in *old_bytes; new segments are numbered after
 * them.  Returns the journal, or NULL with err set (another collector
 * holds the lock, the directory cannot be made or read). */
struct journal *journal_open(const char *dir, uint64_t **old, size_t *n_old,
			     uint64_t *old_bytes, struct err *err);

/* Appends n (<= JOURNAL_APPEND_MAX) records, payloads dg[0..n) received on
 * UTC day `day`, with one writev(2) to the current segment (opened if
 * none is).  Returns 0, or -1 with err set and errno kept (ENOSPC, EIO…):
 * the segment is then cut back to its previous size, so a retry later
 * appends the same records once. */
int journal_append(struct journal *j, int32_t day, const struct iovec *dg, size_t n,
		   struct err *err);

/* Closes the current segment.  Returns its number and sets *bytes and
 * *records, or returns 0 when no segment is open (nothing appended since
 * the last rotation). */
uint64_t journal_rotate(struct journal *j, uint64_t *bytes, uint64_t *records);

/* Bytes in the current (open) segment. */
uint64_t journal_open_bytes(const struct journal *j);

/* The directory given to journal_open() (borrowed). */
const char *journal_dir(const struct journal *j);

/* Closes the current segment (kept) and the lock, frees *j, sets it NULL. */
void journal_close(struct journal **j);

/* What a replay found. */
struct journal_scan_info {
	uint64_t records;       /* valid records handed to the callback */
	uint64_t torn_bytes;    /* bytes from the first bad record to the end */
};

/* Called once per valid record; a non-zero return stops the scan.  hash
 * is XXH3-64 of the payload seeded with the day (the record's check is
 * its low 32 bits, so it is computed anyway): the collector's count hashes
 * datagrams the same way (dgcount_hash()) and takes it as it is. */
typedef int (*journal_record_fn)(void *ctx, int32_t day, const char *data, size_t len,
				 uint64_t hash);

/* Walks the records of a segment's bytes buf[0..len).  Returns what the
 * callback stopped with, or 0.  Pure: no I/O (the fuzz target's entry). */
int journal_scan(const char *buf, size_t len, journal_record_fn fn, void *ctx,
		 struct journal_scan_info *info);

/* Reads segment seq of dir and scans it (journal_scan).  Returns 0 (or
 * the callback's stop value), or -1 with err set when it cannot be read. */
int journal_replay(const char *dir, uint64_t seq, journal_record_fn fn, void *ctx,
		   struct journal_scan_info *info, struct err *err);

/* Removes segment seq of dir.  Returns 0 or -1 with err set. */
int journal_remove(const char *dir, uint64_t seq, struct err *err);

#endif
