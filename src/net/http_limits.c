/*
 * http_limits: connection phases, deadlines and per-address request counts
 * for http_server (see http_limits.h).
 *
 * The registry is a doubly linked list under one mutex; the watchdog scans
 * it four times a second (a few thousand entries at most: the server's
 * connection cap), and the per-address count scans it once per request.
 * An entry lives from MHD's "connection started" notification to its
 * "closed" one, which MHD gives before it closes the socket, so a socket
 * in the list is always open and shutting it down is safe.
 */
#include "net/http_limits.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/log.h"
#include "util/monotime.h"
#include "util/xalloc.h"

enum conn_phase {
	PHASE_HEADERS,   /* waiting for (the rest of) request headers */
	PHASE_BODY,      /* headers in, body arriving */
	PHASE_ANSWER,    /* the application and MHD are answering: no deadline */
};

struct http_conn {
	struct http_conn *prev, *next;
	int fd;
	int family;
	unsigned char addr[16];      /* IPv4 (4 bytes) or IPv6 address */
	enum conn_phase phase;
	int counted;                 /* a request in progress for the per-address limit */
	int shut;                    /* already shut down by the watchdog */
	int answered_before;         /* a request was answered on it (keep-alive) */
	int64_t deadline_ms;         /* CLOCK_MONOTONIC; 0 = none */
	int64_t waiting_since_ms;    /* start of PHASE_HEADERS */
};

struct http_limits {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	int tls;
	int64_t header_ms, body_ms;
	unsigned max_connections, n_connections;
	struct http_conn *head;
	unsigned long timed_out;
};

#define WATCHDOG_PERIOD_MS 250
/* With every connection slot taken, a connection still without complete
 * request headers after this long is closed: new clients wait in the
 * listen queue for a slot, and a client that sends its request in one go
 * (every real sender) needs far less than this. */
#define FULL_HEADER_MS 1000

static const char timeout_answer[] =
	"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
	"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 37\r\n\r\n"
	"request headers not complete in time\n";

/* Called with l->mu held: shuts down every connection past its deadline. */
static void
reap_late(struct http_limits *l, int64_t now)
{
	struct http_conn *c;
	int full = l->n_connections >= l->max_connections;

	for (c = l->head; c != NULL; c = c->next) {
		if (c->shut || c->deadline_ms == 0)
			continue;
		if (now < c->deadline_ms &&
		    !(full && c->phase == PHASE_HEADERS && now >= c->waiting_since_ms + FULL_HEADER_MS))
			continue;
		/* an idle kept-alive connection is closed silently, as usual */
		if (c->phase == PHASE_HEADERS && !l->tls && !c->answered_before)
			(void)send(c->fd, timeout_answer, sizeof(timeout_answer) - 1,
				   MSG_DONTWAIT | MSG_NOSIGNAL);
		log_debug("http: closing a connection %s",
			  c->phase == PHASE_HEADERS ? "whose request headers are late" :
			  "whose request body is late");
		shutdown(c->fd, SHUT_RDWR);
		c->shut = 1;
		l->timed_out++;
	}
}

static void *
watchdog(void *arg)
{
	struct http_limits *l = arg;
	struct timespec ts;

	pthread_mutex_lock(&l->mu);
	while (!l->stopping) {
		reap_late(l, monotime_ms());
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCHDOG_PERIOD_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&l->wake, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

struct http_limits *
http_limits_new(unsigned max_connections, unsigned header_timeout_s,
		unsigned body_timeout_s, int tls)
{
	struct http_limits *l = xcalloc(1, sizeof(*l));
	pthread_condattr_t ca;
	int rc;

	l->header_ms = (int64_t)header_timeout_s * 1000;
	l->body_ms = (int64_t)body_timeout_s * 1000;
	l->tls = tls;
	l->max_connections = max_connections;
	pthread_mutex_init(&l->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&l->thread, NULL, watchdog, l);
	if (rc != 0) {
		errno = rc;
		log_warn_errno("http: cannot start the connection watchdog");
		pthread_cond_destroy(&l->wake);
		pthread_mutex_destroy(&l->mu);
		free(l);
		return NULL;
	}
	return l;
}

void
http_limits_free(struct http_limits **lp)
{
	struct http_limits *l;
	struct http_conn *c, *next;

	if (lp == NULL || *lp == NULL)
		return;
	l = *lp;
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	for (c = l->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->mu);
	free(l);
	*lp = NULL;
}

struct http_conn *
http_limits_conn_opened(struct http_limits *l, int fd, const struct sockaddr *addr,
			socklen_t addrlen)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	if (addr != NULL && addr->sa_family == AF_INET &&
	    addrlen >= (socklen_t)sizeof(struct sockaddr_in)) {
		c->family = AF_INET;
		memcpy(c->addr, &((const struct sockaddr_in *)(const void *)addr)->sin_addr, 4);
	} else if (addr != NULL && addr->sa_family == AF_INET6 &&
		   addrlen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		c->family = AF_INET6;
		memcpy(c->addr, &((const struct sockaddr_in6 *)(const void *)addr)->sin6_addr, 16);
	}
	c->phase = PHASE_HEADERS;
	pthread_mutex_lock(&l->mu);
	c->waiting_since_ms = monotime_ms();
	c->deadline_ms = c->waiting_since_ms + l->header_ms;
	l->n_connections++;
	c->next = l->head;
	if (l->head != NULL)
		l->head->prev = c;
	l->head = c;
	pthread_mutex_unlock(&l->mu);
	return c;
}

void
http_limits_conn_closed(struct http_limits *l, struct http_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->n_connections--;
	pthread_mutex_unlock(&l->mu);
	free(c);
}

static int
same_address(const struct http_conn *a, const struct http_conn *b)
{
	return a->family == b->family &&
	       memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

int
http_limits_request_started(struct http_limits *l, struct http_conn *c,
			    unsigned per_ip_limit)
{
	const struct http_conn *o;
	unsigned n = 1;
	int within;

	if (c == NULL)
		return 1;
	pthread_mutex_lock(&l->mu);
	c->phase = PHASE_BODY;
	c->deadline_ms = monotime_ms() + l->body_ms;
	if (c->family != 0)
		for (o = l->head; o != NULL; o = o->next)
			if (o != c && o->counted && same_address(o, c))
				n++;
	within = n <= per_ip_limit;
	c->counted = within;
	pthread_mutex_unlock(&l->mu);
	return within;
}

void
http_limits_request_answering(struct http_limits *l, struct http_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	c->phase = PHASE_ANSWER;
	c->deadline_ms = 0;
	pthread_mutex_unlock(&l->mu);
}

void
http_limits_request_done(struct http_limits *l, struct http_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	c->phase = PHASE_HEADERS;
	c->counted = 0;
	c->answered_before = 1;
	c->waiting_since_ms = monotime_ms();
	c->deadline_ms = c->waiting_since_ms + l->header_ms;
	pthread_mutex_unlock(&l->mu);
}

unsigned long
http_limits_timed_out(struct http_limits *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->mu);
	n = l->timed_out;
	pthread_mutex_unlock(&l->mu);
	return n;
}
