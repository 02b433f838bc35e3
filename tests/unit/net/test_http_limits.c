/* Unit tests for net/http_limits: requests in progress counted per client
 * address (table-driven), idle connections not counted, and the watchdog
 * closing a connection whose headers are late (a real socketpair: the
 * peer reads the 408 and then the end of the stream). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/http_limits.h"

static struct sockaddr_in
v4(const char *ip)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* Each step opens a connection from ip and starts a request on it; want:
 * whether it is within the limit of 2 per address. */
static void
test_http_limits_counts_requests_per_address(void **state)
{
	static const struct { const char *ip; int want; } steps[] = {
		{ "192.0.2.1", 1 }, { "192.0.2.1", 1 },
		{ "192.0.2.1", 0 },   /* third from one address: over */
		{ "192.0.2.2", 1 },   /* another address has its own count */
		{ "192.0.2.1", 0 },   /* a refused one does not count against others */
		{ "192.0.2.2", 1 },
	};
	struct http_limits *l = http_limits_new(100, 10, 60, 0);
	struct http_conn *c[6];
	struct sockaddr_in a;
	size_t i;

	(void)state;
	assert_non_null(l);
	for (i = 0; i < 6; i++) {
		a = v4(steps[i].ip);
		c[i] = http_limits_conn_opened(l, -1, (struct sockaddr *)&a, sizeof(a));
		assert_int_equal(http_limits_request_started(l, c[i], 2), steps[i].want);
	}
	/* the first answer goes out: that connection idles, a new request fits */
	http_limits_request_answering(l, c[0]);
	http_limits_request_done(l, c[0]);
	a = v4("192.0.2.1");
	{
		struct http_conn *n = http_limits_conn_opened(l, -1, (struct sockaddr *)&a,
							      sizeof(a));
		assert_int_equal(http_limits_request_started(l, n, 2), 1);
		http_limits_conn_closed(l, n);
	}
	for (i = 0; i < 6; i++)
		http_limits_conn_closed(l, c[i]);
	assert_int_equal(http_limits_timed_out(l), 0);
	http_limits_free(&l);
	assert_null(l);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads from fd until the end of the stream (at most 5 s). */
static size_t
read_all(int fd, char *out, size_t max)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len + 1 < max && poll(&p, 1, 5000) == 1) {
		n = read(fd, out + len, max - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}

static void
test_http_limits_closes_connection_with_late_headers_with_408(void **state)
{
	struct http_limits *l = http_limits_new(100, 1, 60, 0);
	struct sockaddr_in a = v4("127.0.0.1");
	struct http_conn *c;
	char got[512];
	double t0, dt;
	int sv[2];

	(void)state;
	assert_non_null(l);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t0 = now_s();
	c = http_limits_conn_opened(l, sv[0], (struct sockaddr *)&a, sizeof(a));
	read_all(sv[1], got, sizeof(got));
	dt = now_s() - t0;
	assert_non_null(strstr(got, "HTTP/1.1 408 Request Timeout\r\n"));
	assert_true(dt >= 0.9 && dt < 3.0);
	assert_int_equal(http_limits_timed_out(l), 1);
	http_limits_conn_closed(l, c);
	http_limits_free(&l);
	close(sv[0]);
	close(sv[1]);
}

static void
test_http_limits_leaves_connection_being_answered_alone(void **state)
{
	struct http_limits *l = http_limits_new(100, 1, 1, 0);
	struct sockaddr_in a = v4("127.0.0.1");
	struct pollfd p;
	struct http_conn *c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c = http_limits_conn_opened(l, sv[0], (struct sockaddr *)&a, sizeof(a));
	assert_int_equal(http_limits_request_started(l, c, 8), 1);
	http_limits_request_answering(l, c);
	p.fd = sv[1];
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 1800), 0);    /* nothing: not shut down */
	assert_int_equal(http_limits_timed_out(l), 0);
	http_limits_conn_closed(l, c);
	http_limits_free(&l);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_limits_counts_requests_per_address),
		cmocka_unit_test(test_http_limits_closes_connection_with_late_headers_with_408),
		cmocka_unit_test(test_http_limits_leaves_connection_being_answered_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
