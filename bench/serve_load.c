/*
 * serve_load: a load generator for the report intake of `tlsrpt serve`
 * (bench_serve.sh, test_serve_durability.sh).  Not a benchmark by itself
 * (bench/run.sh runs only bench_* programs).
 *
 *   serve_load PORT N CLIENTS REPORT.json TAG [IDS_FILE]
 *
 * POSTs N distinct reports (REPORT.json with report-id TAG-0 … TAG-(N-1))
 * over CLIENTS keep-alive HTTP/1.1 connections to 127.0.0.1:PORT, from
 * one thread (epoll), each connection with one request in flight.  The
 * Python generator (tests/integration/serve_load.py) tops out near 5 000
 * requests/s on this VM, below the 20 000/s the intake is asked for;
 * this one costs ~10 us of CPU per request.
 * Each report-id answered 200 is written to IDS_FILE (one a line), so a
 * test can check that each of them is in the store after a crash.  A
 * connection that fails (server gone) is not reopened; the run ends when
 * every report is answered or every connection has failed.
 * Prints one line: answered, 200s, other codes, failures, wall seconds,
 * reports/s and the generator's own CPU seconds; then "RESULT k=v …".
 */
#define _GNU_SOURCE 1   /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MARK "@@REPORT-ID@@"
#define MAX_CLIENTS 1024

struct conn {
	int fd;
	long id;                 /* the report in flight, -1 when none */
	char *out;               /* the request being sent */
	size_t out_len, out_off;
	char in[8192];           /* the answer being read */
	size_t in_len;
};

struct load {
	const char *tag;
	char *prefix, *suffix;   /* the report's JSON around its report-id */
	long n, next, answered, ok, failed;
	long codes[600];
	FILE *ids;
	int ep;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the sample and splits it around a marker report-id. */
static int
load_template(struct load *l, const char *path)
{
	json_error_t jerr;
	json_t *r = json_load_file(path, 0, &jerr);
	char *text, *m;

	if (r == NULL) {
		fprintf(stderr, "serve_load: %s: %s\n", path, jerr.text);
		return -1;
	}
	json_object_set_new(r, "report-id", json_string(MARK));
	text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	m = strstr(text, MARK);
	*m = '\0';
	l->prefix = strdup(text);
	l->suffix = strdup(m + strlen(MARK));
	free(text);
	return 0;
}

/* Starts the next request on c, or leaves it idle when none is left. */
static void
next_request(struct load *l, struct conn *c)
{
	char id[128];
	size_t body;
	int k;

	c->id = -1;
	if (l->next >= l->n)
		return;
	c->id = l->next++;
	snprintf(id, sizeof(id), "%s-%ld", l->tag, c->id);
	body = strlen(l->prefix) + strlen(id) + strlen(l->suffix);
	free(c->out);
	c->out = malloc(body + 256);
	k = snprintf(c->out, body + 256, "POST /tlsrpt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Type: application/tlsrpt+json\r\nContent-Length: %zu\r\n\r\n"
		     "%s%s%s", body, l->prefix, id, l->suffix);
	c->out_len = (size_t)k;
	c->out_off = 0;
	c->in_len = 0;
}

static void
conn_fail(struct load *l, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	if (c->id >= 0)
		l->failed++;
	c->id = -1;
}

/* Returns 1 when c->in holds a complete answer (status in *code), 0 if
 * more is needed, -1 if it is not HTTP. */
static int
answer_complete(struct conn *c, int *code)
{
	char *end, *cl;
	size_t head, len = 0;

	c->in[c->in_len] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (end == NULL)
		return c->in_len + 1 >= sizeof(c->in) ? -1 : 0;
	if (strncmp(c->in, "HTTP/1.", 7) != 0)
		return -1;
	*code = atoi(c->in + 9);
	head = (size_t)(end - c->in) + 4;
	cl = strcasestr(c->in, "\r\ncontent-length:");
	if (cl != NULL && cl < end)
		len = strtoul(cl + 17, NULL, 10);
	if (head + len > sizeof(c->in) - 1)
		return -1;
	return c->in_len >= head + len;
}

static void
on_answer(struct load *l, struct conn *c, int code)
{
	l->answered++;
	if (code > 0 && code < 600)
		l->codes[code]++;
	if (code == 200) {
		l->ok++;
		if (l->ids != NULL)
			fprintf(l->ids, "%s-%ld\n", l->tag, c->id);
	}
	next_request(l, c);
}

/* Handles readiness of c: sends, reads, and waits for what comes next. */
static void
step(struct load *l, struct conn *c)
{
	struct epoll_event ev;
	ssize_t k;
	int code = 0, rc;

	while (c->id >= 0 && c->out_off < c->out_len) {
		k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) {
			conn_fail(l, c);
			return;
		}
		c->out_off += (size_t)k;
	}
	while (c->id >= 0 && c->out_off == c->out_len) {
		k = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (k <= 0) {
			conn_fail(l, c);
			return;
		}
		c->in_len += (size_t)k;
		rc = answer_complete(c, &code);
		if (rc < 0) {
			conn_fail(l, c);
			return;
		}
		if (rc == 1) {
			on_answer(l, c, code);
			if (c->id >= 0) {
				step(l, c);   /* send the next one at once */
				return;
			}
		}
	}
	if (c->fd < 0)
		return;
	if (c->id < 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		return;
	}
	ev.events = c->out_off < c->out_len ? EPOLLOUT : EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
conn_open(struct load *l, struct conn *c, int port)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);  /* once connected */
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev);
	next_request(l, c);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct conn conns[MAX_CLIENTS];
	struct epoll_event evs[64];
	struct load l;
	struct rusage ru;
	int port, clients, live;
	double t0, dt, cpu;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: serve_load PORT N CLIENTS REPORT.json TAG [IDS_FILE]\n");
		return 2;
	}
	memset(&l, 0, sizeof(l));
	port = atoi(argv[1]);
	l.n = atol(argv[2]);
	clients = atoi(argv[3]);
	l.tag = argv[5];
	if (clients < 1 || clients > MAX_CLIENTS || l.n < 1 || load_template(&l, argv[4]) != 0)
		return 2;
	if (argc == 7 && (l.ids = fopen(argv[6], "w")) == NULL) {
		perror(argv[6]);
		return 2;
	}
	l.ep = epoll_create1(0);
	t0 = now();
	for (int i = 0; i < clients; i++)
		if (conn_open(&l, &conns[i], port) != 0) {
			fprintf(stderr, "serve_load: connect: %s\n", strerror(errno));
			conns[i].id = -1;
		}
	for (;;) {
		int k;

		live = 0;
		for (int i = 0; i < clients; i++)
			live += conns[i].fd >= 0;
		if (live == 0)
			break;
		k = epoll_wait(l.ep, evs, 64, 30000);
		if (k == 0) {
			fprintf(stderr, "serve_load: no answer in 30 s\n");
			break;
		}
		for (int i = 0; i < k; i++)
			step(&l, evs[i].data.ptr);
	}
	dt = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (l.ids != NULL)
		fclose(l.ids);
	printf("serve_load: %ld reports, %d clients: answered %ld (200: %ld", l.n, clients,
	       l.answered, l.ok);
	for (int c = 0; c < 600; c++)
		if (l.codes[c] != 0 && c != 200)
			printf(", %d: %ld", c, l.codes[c]);
	printf(") failed %ld, %.2f s, %.0f answers/s, generator CPU %.2f s\n",
	       l.failed + (l.n - l.next), dt, (double)l.answered / dt, cpu);
	printf("RESULT n=%ld answered=%ld ok=%ld failed=%ld secs=%.3f rate=%.0f cpu=%.3f\n",
	       l.n, l.answered, l.ok, l.failed + (l.n - l.next), dt, (double)l.answered / dt,
	       cpu);
	for (int i = 0; i < clients; i++)
		free(conns[i].out);
	free(l.prefix);
	free(l.suffix);
	close(l.ep);
	return 0;
}
