/*
 * collect_hold: how long the receive loop leaves datagrams in the
 * kernel's socket queue before it reads them, so that one wake-up reads
 * a batch instead of one datagram.
 *
 * A wake-up (poll() returning, the reads, the journal write, going back
 * to sleep) costs tens of µs of CPU on a VM, more than a datagram's own
 * work; at 1 000-20 000 datagrams a second, waking for each one costs
 * more than everything else.  So after a read that emptied the queue the
 * loop leaves the socket alone for hold_ms and then reads what came.
 *
 * The hold is bounded by the queue: the kernel queues at most
 * net.unix.max_dgram_qlen datagrams, then MTAs get EAGAIN and the result
 * is lost.  A hold aims at `target` (an eighth of that limit) datagrams
 * per read at the rate just seen; it grows at most 2x per read (a rate
 * jump within one hold still leaves the queue half empty), drops to 0
 * (wake on the next datagram) when a read finds the queue a quarter full
 * and halves when a read finds nothing (idle: back to waiting for the
 * socket after a few reads).  With a limit under 64 the loop never
 * holds.  A
 * datagram waits at most max_ms in the queue; what waits there dies with
 * a kill -9 as before (at most a quarter of the limit, by the rules above,
 * at a steady rate).
 */
#ifndef TLSRPT_COLLECTOR_COLLECT_HOLD_H
#define TLSRPT_COLLECTOR_COLLECT_HOLD_H

#include <stdint.h>

struct collect_hold {
	uint64_t target;        /* datagrams one read aims at; 0: never hold */
	int max_ms;             /* longest hold */
	int hold_ms;            /* the current hold; 0: wait for the socket */
};

/* Sets h up for a socket whose queue holds at most qlen datagrams
 * (collect_socket_qlen(); < 0: unknown, never hold) and holds of at most
 * max_ms (<= 0: never hold). */
void collect_hold_init(struct collect_hold *h, long qlen, int max_ms);

/* After a read that emptied the queue: `got` datagrams were read, `since_ms`
 * after the previous such read.  Returns the hold before the next read
 * (also kept in h->hold_ms): 0 means wait for the socket to be readable. */
int collect_hold_next(struct collect_hold *h, uint64_t got, int64_t since_ms);

#endif
