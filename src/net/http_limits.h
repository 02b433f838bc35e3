/*
 * http_limits: per-connection bookkeeping for http_server (private to
 * src/net): which phase each connection is in (waiting for request
 * headers, receiving a body, being answered), its deadline, and its
 * client address.
 *
 * libmicrohttpd has only an idle timeout, which a client sending one byte
 * a second never reaches, and a per-address connection limit that closes
 * the new connection without an answer (a TCP reset when the client has
 * already sent its request).  This module adds what is missing:
 *  - a deadline per phase: request headers must be complete header_timeout
 *    seconds after the connection opened (or after the previous answer on
 *    a kept-alive connection; 1 s while every connection slot is taken),
 *    a body body_timeout seconds after its headers.  A watchdog thread
 *    shuts the socket of a connection past its deadline down (shutdown(2),
 *    not close: MHD notices the end of the stream and closes it itself);
 *    a plain-HTTP client still waiting for its first request's headers
 *    gets "408 Request Timeout" first.
 *  - a count of requests in progress per client address, so that the
 *    server answers 429 with Retry-After past the limit instead of MHD
 *    closing the connection.  Connections that wait for a request (idle
 *    keep-alive ones, those the client closed and MHD has not yet reaped)
 *    are not counted: they were the cause of the resets.
 * All functions are thread-safe (one mutex); the registry is per server.
 */
#ifndef TLSRPT_NET_HTTP_LIMITS_H
#define TLSRPT_NET_HTTP_LIMITS_H

#include <sys/socket.h>

struct http_limits;
struct http_conn;

/* Creates the registry and starts its watchdog thread.  header_timeout_s
 * and body_timeout_s are > 0; when max_connections are open (every slot
 * of the server taken), connections without complete request headers
 * after 1 s are closed at once.  tls says whether the sockets carry TLS
 * (then no 408 is written).  Returns NULL if the thread cannot start. */
struct http_limits *http_limits_new(unsigned max_connections, unsigned header_timeout_s,
				    unsigned body_timeout_s, int tls);

/* Stops the watchdog and frees the registry; every connection must have
 * been closed (http_limits_conn_closed) before.  NULL is a no-op; clears *l. */
void http_limits_free(struct http_limits **l);

/* Registers a new connection (socket fd, client address): it waits for
 * request headers.  Returns the entry, owned by the registry until
 * http_limits_conn_closed(). */
struct http_conn *http_limits_conn_opened(struct http_limits *l, int fd,
					  const struct sockaddr *addr, socklen_t addrlen);

/* Forgets c (the connection is about to be closed).  NULL is a no-op. */
void http_limits_conn_closed(struct http_limits *l, struct http_conn *c);

/* The headers of a request on c are complete: c now has body_timeout_s for
 * its body.  Counts the requests in progress from the same address
 * (including this one); returns 1 if that is at most per_ip_limit, else 0
 * (the request is then not counted against others: the caller answers
 * 429).  c may be NULL (not registered): returns 1. */
int http_limits_request_started(struct http_limits *l, struct http_conn *c,
				unsigned per_ip_limit);

/* The body is complete: no deadline while the application answers. */
void http_limits_request_answering(struct http_limits *l, struct http_conn *c);

/* The answer went out: c waits for the next request (header deadline). */
void http_limits_request_done(struct http_limits *l, struct http_conn *c);

/* Number of connections shut down so far for missing their deadline. */
unsigned long http_limits_timed_out(struct http_limits *l);

#endif
