/*
 * collect_socket: the collector's unix datagram socket.
 *
 * Binds the path (removing a stale socket file left by a crashed
 * collector, refusing when a live one answers there or the path is not a
 * socket), applies the mode and group, and asks for a large receive
 * buffer.  The kernel's per-socket queue of datagrams is also limited by
 * net.unix.max_dgram_qlen as it was when the socket was created (default
 * 10); collect_socket_qlen() reads it so the daemon can warn.
 */
#ifndef TLSRPT_COLLECTOR_COLLECT_SOCKET_H
#define TLSRPT_COLLECTOR_COLLECT_SOCKET_H

#include <stddef.h>

#include "util/err.h"

/* Binds a SOCK_DGRAM unix socket at path (at most 107 bytes).  mode < 0
 * keeps the umask's mode; group NULL or "" keeps the group.  rcvbuf is
 * the wanted SO_RCVBUF in bytes (SO_RCVBUFFORCE is tried first, which
 * works for root).  Returns the descriptor (non-blocking, close-on-exec;
 * the caller closes it and unlinks path), or -1 with err set. */
int collect_socket_bind(const char *path, int mode, const char *group, size_t rcvbuf,
			struct err *err);

/* Returns the receive buffer the kernel granted fd, in bytes (0 if unknown). */
size_t collect_socket_rcvbuf(int fd);

/* Returns net.unix.max_dgram_qlen, or -1 if it cannot be read. */
long collect_socket_qlen(void);

#endif
