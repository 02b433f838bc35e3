/* dns_cares: c-ares, for lookups towards a resolver on loopback (see
 * dns_cares.h). */
#include "net/dns_cares.h"

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/xalloc.h"

/* EDNS0 payload size asked for (the DNS flag day 2020 value) */
#define EDNS_PAYLOAD 1232

struct dns_cares {
	ares_channel channel;
};

/* A query's callback and its argument, until c-ares calls back. */
struct pending {
	dns_cares_answer_fn *fn;
	void *arg;
};

int
dns_cares_server_csv(const char *resolver, char *out, size_t outsz)
{
	char ip[INET6_ADDRSTRLEN];
	const char *at = strchr(resolver, '@');
	size_t iplen = at != NULL ? (size_t)(at - resolver) : strlen(resolver);
	unsigned char bin[16];
	long port = 53;
	char *end;

	if (iplen == 0 || iplen >= sizeof(ip))
		return -1;
	memcpy(ip, resolver, iplen);
	ip[iplen] = '\0';
	if (at != NULL) {
		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (errno != 0 || end == at + 1 || *end != '\0' || port < 1 || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, ip, bin) == 1)
		snprintf(out, outsz, "%s:%ld", ip, port);
	else if (inet_pton(AF_INET6, ip, bin) == 1)
		snprintf(out, outsz, "[%s]:%ld", ip, port);
	else
		return -1;
	return 0;
}

struct dns_cares *
dns_cares_new(const char *resolver, int timeout_ms, struct err *err)
{
	struct dns_cares *c = xcalloc(1, sizeof(*c));
	struct ares_options opt;
	char csv[INET6_ADDRSTRLEN + 16];
	int r;

	memset(&opt, 0, sizeof(opt));
	/* every answer as it came (a SERVFAIL is an answer), EDNS0, one try */
	opt.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	opt.ednspsz = EDNS_PAYLOAD;
	/* dns.c's own deadline (timeout_ms) ends a silent lookup first, with
	 * the same message as through libunbound; c-ares's only frees it */
	opt.timeout = timeout_ms > 0 && timeout_ms < 1000000 ? 2 * timeout_ms : timeout_ms;
	opt.tries = 1;
	if (resolver != NULL && dns_cares_server_csv(resolver, csv, sizeof(csv)) < 0) {
		err_set(err, "dns: resolver \"%s\": want IP or IP@PORT", resolver);
		goto fail;
	}
	r = ares_init_options(&c->channel, &opt,
			      ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (r != ARES_SUCCESS) {
		c->channel = NULL;
		err_set(err, "dns: c-ares: %s", ares_strerror(r));
		goto fail;
	}
	if (resolver != NULL && (r = ares_set_servers_ports_csv(c->channel, csv)) != ARES_SUCCESS) {
		err_set(err, "dns: resolver \"%s\": %s", resolver, ares_strerror(r));
		goto fail;
	}
	return c;
fail:
	dns_cares_free(c);
	return NULL;
}

int
dns_cares_on_loopback(const struct dns_cares *c)
{
	static const unsigned char loopback6[16] = { [15] = 1 };
	struct ares_addr_port_node *list = NULL, *s;
	int all = 1;

	if (ares_get_servers_ports(c->channel, &list) != ARES_SUCCESS || list == NULL)
		return 0;
	for (s = list; s != NULL; s = s->next) {
		if (s->family == AF_INET)
			all &= (ntohl(s->addr.addr4.s_addr) >> 24) == 127;
		else if (s->family == AF_INET6)
			all &= memcmp(&s->addr.addr6, loopback6, sizeof(loopback6)) == 0;
		else
			all = 0;
	}
	ares_free_data(list);
	return all;
}

/* c-ares's callback: hands the message (whatever its RCODE: ares_query
 * passes it along with the status it made of it) or why there is none. */
static void
on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *p = arg;

	(void)timeouts;
	if (abuf != NULL && alen > 0)
		p->fn(p->arg, abuf, (size_t)alen, NULL);
	else
		p->fn(p->arg, NULL, 0, status == ARES_ECONNREFUSED ? "the resolver's port is closed"
		      : ares_strerror(status));
	free(p);
}

void
dns_cares_send(struct dns_cares *c, const char *qname, int type, dns_cares_answer_fn *fn,
	       void *arg)
{
	struct pending *p = xmalloc(sizeof(*p));

	p->fn = fn;
	p->arg = arg;
	ares_query(c->channel, qname, 1 /* IN */, type, on_reply, p);
}

int
dns_cares_wait(struct dns_cares *c, long max_ms, struct err *err)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval max, tv, *t;
	unsigned bits;
	int n = 0, rc;
	long wait_ms = max_ms;

	/* the bit mask as ARES_GETSOCK_READABLE/WRITABLE read it, unsigned
	 * (those macros shift an int into its sign bit) */
	bits = (unsigned)ares_getsock(c->channel, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = (short)(((bits >> i) & 1u ? POLLIN : 0) |
				   ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u ? POLLOUT : 0));

		if (ev == 0)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = ev;
		pfd[n].revents = 0;
		n++;
	}
	if (max_ms < 0)
		max_ms = 0;
	max.tv_sec = max_ms / 1000;
	max.tv_usec = (max_ms % 1000) * 1000;
	/* c-ares's own next timeout, if sooner */
	if ((t = ares_timeout(c->channel, &max, &tv)) != NULL)
		wait_ms = (long)t->tv_sec * 1000 + ((long)t->tv_usec + 999) / 1000;
	rc = poll(pfd, (nfds_t)n, (int)wait_ms);
	if (rc < 0 && errno != EINTR) {
		err_set(err, "dns: poll: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; rc > 0 && i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		ares_process_fd(c->channel,
				(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd : ARES_SOCKET_BAD,
				(pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
	}
	/* queries past c-ares's timeout */
	ares_process_fd(c->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	return 0;
}

void
dns_cares_free(struct dns_cares *c)
{
	if (c == NULL)
		return;
	if (c->channel != NULL)
		ares_destroy(c->channel);       /* calls back what is in flight */
	free(c);
}
