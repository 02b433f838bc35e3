/*
 * Unit tests for lib/tlsrpt.c: the datagrams are byte-identical to sys4
 * libtlsrpt's (research/sys4.md §2, captured with Postfix's call
 * sequence), misuse returns error codes instead of crashing, errors stick,
 * the non-blocking EAGAIN path, and allocation failure at every point.
 * Datagrams are captured on a real bound unix datagram socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tlsrpt.h"

struct sink {
	char dir[64];
	char path[128];
	int fd;
};

static void
sink_open(struct sink *s)
{
	struct sockaddr_un a;

	snprintf(s->dir, sizeof(s->dir), "/tmp/tlsrpt-libtest.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/sock", s->dir);
	s->fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(s->fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	memcpy(a.sun_path, s->path, strlen(s->path) + 1);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

/* Receives one datagram (non-blocking); returns its length or -1. */
static ssize_t
sink_recv(struct sink *s, char *buf, size_t size)
{
	ssize_t n = recv(s->fd, buf, size - 1, MSG_DONTWAIT);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
sink_close(struct sink *s)
{
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
}

static const char EHLO[] = "250-mx1.example.com\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME";
static const char PR[] = "v=TLSRPTv1; rua=mailto:tlsrpt@example.com";

/* The three datagrams of research/sys4.md §2, byte for byte. */
static const char DANE_SUCCESS[] =
	"{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\","
	"\"policies\":[{\"policy-type\":1,\"policy-domain\": \"mx1.example.com\",\"policy-string\":"
	"[\"3 1 1 4F4A2B09F1DCEA7E5B2D2AE4E6E1C2C6E1A06C7D5A3E1F0B6C9D8E7F6A5B4C3D2\"],\"t\":0,\"f\":0}]}";
static const char STS_FAILURE[] =
	"{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\","
	"\"policies\":[{\"policy-type\":2,\"policy-domain\": \"example.com\",\"policy-string\":"
	"[\"version: STSv1\",\"mode: enforce\",\"mx: mx1.example.com\",\"max_age: 604800\"],"
	"\"mx-host\":[\"mx1.example.com\"],\"failure-details\":[{\"c\":204,\"s\": \"192.0.2.25\","
	"\"n\": \"mx1.example.com\",\"h\": \"250-mx1.example.com\\r\\n250-PIPELINING\\r\\n"
	"250-STARTTLS\\r\\n250 8BITMIME\",\"r\": \"198.51.100.10\"}],\"t\":1,\"f\":1}]}";
static const char NOPOLICY_FAILURE[] =
	"{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\","
	"\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201,\"s\": \"192.0.2.25\","
	"\"n\": \"mx1.example.com\",\"h\": \"250-mx1.example.com\\r\\n250-PIPELINING\\r\\n"
	"250-STARTTLS\\r\\n250 8BITMIME\",\"r\": \"198.51.100.10\"}],\"t\":1,\"f\":1}]}";

/* One event the way Postfix's tlsrpt_wrapper.c reports it: a complete
 * open/init/policy/finish/close cycle.  Returns the first error. */
struct event {
	const char *name;
	tlsrpt_policy_type_t type;
	const char *policy_domain;
	const char *strings[5];
	const char *mx[3];
	int failure;                    /* 0: success event */
	const char *want;
	size_t want_len;
};

static int
postfix_report(const char *sock, const struct event *e)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	int rc;

	if ((rc = tlsrpt_open(&con, sock)) != 0)
		return rc;
	if ((rc = tlsrpt_init_delivery_request(&dr, con, "example.com", PR)) != 0)
		goto out;
	if ((rc = tlsrpt_init_policy(dr, e->type, e->policy_domain)) != 0)
		goto cancel;
	for (int i = 0; e->strings[i] != NULL; i++)
		if ((rc = tlsrpt_add_policy_string(dr, e->strings[i])) != 0)
			goto cancel;
	for (int i = 0; e->mx[i] != NULL; i++)
		if ((rc = tlsrpt_add_mx_host_pattern(dr, e->mx[i])) != 0)
			goto cancel;
	if (e->failure &&
	    (rc = tlsrpt_add_delivery_request_failure(dr, (tlsrpt_failure_t)e->failure,
						      "192.0.2.25", "mx1.example.com", EHLO,
						      "198.51.100.10", NULL, NULL)) != 0)
		goto cancel;
	if ((rc = tlsrpt_finish_policy(dr, e->failure ? TLSRPT_FINAL_FAILURE
						      : TLSRPT_FINAL_SUCCESS)) != 0)
		goto cancel;
	rc = tlsrpt_finish_delivery_request(&dr);
	goto out;
cancel:
	tlsrpt_cancel_delivery_request(&dr);
out:
	tlsrpt_close(&con);
	return rc;
}

static const struct event events[] = {
	{ "dane success", TLSRPT_POLICY_TLSA, "mx1.example.com",
	  { "3 1 1 4F4A2B09F1DCEA7E5B2D2AE4E6E1C2C6E1A06C7D5A3E1F0B6C9D8E7F6A5B4C3D2", NULL },
	  { NULL }, 0, DANE_SUCCESS, 251 },
	{ "sts failure", TLSRPT_POLICY_STS, "example.com",
	  { "version: STSv1", "mode: enforce", "mx: mx1.example.com", "max_age: 604800", NULL },
	  { "mx1.example.com", NULL }, TLSRPT_CERTIFICATE_EXPIRED, STS_FAILURE, 445 },
	{ "no-policy failure, NULL policy domain", TLSRPT_NO_POLICY_FOUND, NULL, { NULL },
	  { NULL }, TLSRPT_STARTTLS_NOT_SUPPORTED, NOPOLICY_FAILURE, 293 },
};

static void
test_tlsrpt_datagrams_are_byte_identical_to_sys4(void **state)
{
	struct sink s;
	char buf[4096];

	(void)state;
	sink_open(&s);
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		ssize_t n;

		assert_int_equal(postfix_report(s.path, &events[i]), 0);
		n = sink_recv(&s, buf, sizeof(buf));
		assert_int_equal(n, (ssize_t)events[i].want_len);
		assert_int_equal(strlen(events[i].want), events[i].want_len);
		assert_memory_equal(buf, events[i].want, events[i].want_len);
	}
	sink_close(&s);
}

static void
test_tlsrpt_escapes_like_sys4_and_passes_high_bytes(void **state)
{
	static const char want[] =
		"{\"dpv\": \"1\",\"d\": \"a\\\"b\\\\c\",\"pr\": \"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f/\xc3\xa9\xff\","
		"\"policies\":[{\"policy-type\":2,\"mx-host\":[\"\",\"x\"],\"failure-details\":"
		"[{\"c\":301},{\"c\":205,\"a\": \"\",\"f\": \"why\"}],\"t\":2,\"f\":1},"
		"{\"policy-type\":9,\"policy-domain\": \"\",\"t\":0,\"f\":0}]}";
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[4096];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "a\"b\\c",
						      "\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xff"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, NULL), 0);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, ""), 0);
	assert_int_equal(tlsrpt_add_delivery_request_failure(dr, TLSRPT_STS_POLICY_FETCH_ERROR,
							     NULL, NULL, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, "x"), 0);
	assert_int_equal(tlsrpt_add_delivery_request_failure(dr, TLSRPT_VALIDATION_FAILURE,
							     NULL, NULL, NULL, NULL, "", "why"), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_NO_POLICY_FOUND, ""), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS), 0);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_null(dr);
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), (ssize_t)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(tlsrpt_close(&con), 0);
	assert_null(con);
	sink_close(&s);
}

static void
test_tlsrpt_null_arguments_return_errors(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;

	(void)state;
	assert_int_equal(tlsrpt_open(NULL, "/x"), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_open(&con, NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(con);
	assert_int_equal(tlsrpt_close(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_close(&con), 0);
	assert_int_equal(tlsrpt_get_socket(NULL), -1);
	assert_int_equal(tlsrpt_init_delivery_request(NULL, NULL, "d", "r"),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, NULL, "d", "r"),
			 TLSRPT_ERR_TLSRPT_NOCONNECTION);
	assert_null(dr);
	assert_int_equal(tlsrpt_open(&con, "/nonexistent/socket"), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, NULL, "r"),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", NULL),
			 TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_policy(NULL, TLSRPT_POLICY_STS, "d"),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_policy_string(NULL, "x"), TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_mx_host_pattern(NULL, "x"), TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_add_delivery_request_failure(NULL, TLSRPT_DANE_REQUIRED, NULL, NULL,
							     NULL, NULL, NULL, NULL),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_finish_policy(NULL, TLSRPT_FINAL_SUCCESS),
			 TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED);
	assert_int_equal(tlsrpt_finish_delivery_request(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_int_equal(tlsrpt_cancel_delivery_request(NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), 0);

	/* A NULL string inside a policy sticks. */
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, NULL), 0);
	assert_int_equal(tlsrpt_add_policy_string(dr, NULL), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_add_mx_host_pattern(dr, "ok"), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), TLSRPT_ERR_TLSRPT_NULLARGUMENT);
	assert_null(dr);
	assert_int_equal(tlsrpt_close(&con), 0);
}

/* Wrong call orders: the code each gives, and that it sticks (nothing sent). */
struct order_case {
	const char *name;
	int steps[4];                   /* 1 init_policy, 2 add ps, 3 add mx, 4 add failure, 5 finish_policy */
	int want;
};

static int
do_step(struct tlsrpt_dr_t *dr, int step)
{
	switch (step) {
	case 1: return tlsrpt_init_policy(dr, TLSRPT_POLICY_TLSA, "p");
	case 2: return tlsrpt_add_policy_string(dr, "s");
	case 3: return tlsrpt_add_mx_host_pattern(dr, "m");
	case 4: return tlsrpt_add_delivery_request_failure(dr, TLSRPT_TLSA_INVALID, "1", "2", "3",
							   "4", "5", "6");
	case 5: return tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
	default: return 0;
	}
}

static const struct order_case orders[] = {
	{ "policy string before init_policy", { 2, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED },
	{ "mx host before init_policy", { 3, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMMX_NOT_INITIALIZED },
	{ "failure before init_policy", { 4, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED },
	{ "finish_policy before init_policy", { 5, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED },
	{ "nested init_policy", { 1, 1, 0 }, TLSRPT_ERR_TLSRPT_NESTEDPOLICY },
	{ "failure after finish_policy", { 1, 5, 4, 0 }, TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED },
	{ "finish request inside a policy", { 1, 2, 0 }, TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY },
	{ "finish request without policy", { 0 }, TLSRPT_ERR_TLSRPT_NOPOLICIES },
};

static void
test_tlsrpt_wrong_call_order_returns_sticky_error_and_sends_nothing(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct sink s;
	char buf[512];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		struct tlsrpt_dr_t *dr = NULL;
		int first = 0;

		assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
		for (int k = 0; k < 4 && orders[i].steps[k] != 0; k++) {
			int rc = do_step(dr, orders[i].steps[k]);

			if (first == 0)
				first = rc;
		}
		if (orders[i].want == TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY ||
		    orders[i].want == TLSRPT_ERR_TLSRPT_NOPOLICIES) {
			/* only finish_delivery_request can notice these */
			assert_int_equal(first, 0);
		} else {
			assert_int_equal(first, orders[i].want);
			/* sticks: a valid call now returns the same code */
			assert_int_equal(do_step(dr, 3), orders[i].want);
		}
		assert_int_equal(tlsrpt_finish_delivery_request(&dr), orders[i].want);
		assert_null(dr);
		assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
	}
	tlsrpt_close(&con);
	sink_close(&s);
}

static void
test_tlsrpt_cancel_returns_previous_status_and_sends_nothing(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[512];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS), 0);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), 0);
	assert_null(dr);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "d", "r"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "d"), TLSRPT_ERR_TLSRPT_NESTEDPOLICY);
	assert_int_equal(tlsrpt_cancel_delivery_request(&dr), TLSRPT_ERR_TLSRPT_NESTEDPOLICY);
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
	tlsrpt_close(&con);
	sink_close(&s);
}

static void
test_tlsrpt_send_errors_are_block_plus_errno(void **state)
{
	struct event e = events[0];
	struct sink s;
	char longname[200];
	struct tlsrpt_connection_t *con = NULL;
	int rc;

	(void)state;
	rc = postfix_report("/nonexistent-dir/collectd.sock", &e);
	assert_int_equal(rc, TLSRPT_ERR_SENDTO + ENOENT);
	assert_false(tlsrpt_error_code_is_internal(rc));
	assert_int_equal(tlsrpt_errno_from_error_code(rc), ENOENT);

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(tlsrpt_open(&con, longname), TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG);
	assert_null(con);

	/* Stale socket file, nobody reading: ECONNREFUSED. */
	sink_open(&s);
	close(s.fd);
	assert_int_equal(postfix_report(s.path, &e), TLSRPT_ERR_SENDTO + ECONNREFUSED);
	unlink(s.path);
	rmdir(s.dir);
}

/* Sends until the queue is full; returns how many went through (the
 * last call gave TLSRPT_ERR_SENDTO + EAGAIN).  A send that blocks is
 * killed by the alarm, which fails the test program. */
static int
fill_queue(struct sink *s)
{
	int rc = 0, sent = 0;

	alarm(20);
	for (int i = 0; i < 100000 && rc == 0; i++) {
		rc = postfix_report(s->path, &events[1]);
		if (rc == 0)
			sent++;
	}
	alarm(0);
	assert_int_equal(rc, TLSRPT_ERR_SENDTO + EAGAIN);
	return sent;
}

/* Runs first: the default (nothing set) must be non-blocking. */
static void
test_tlsrpt_full_queue_gives_eagain_without_blocking(void **state)
{
	struct sink s;

	(void)state;
	sink_open(&s);
	/* Nobody reads: the queue fills (qlen or rcvbuf) and sends fail fast. */
	assert_true(fill_queue(&s) > 0);
	sink_close(&s);
}

/* tlsrpt_set_blocking() makes a send on a full queue wait until the
 * reader makes room; tlsrpt_set_nonblocking() brings EAGAIN back. */
static void
test_tlsrpt_set_blocking_waits_and_set_nonblocking_restores(void **state)
{
	struct sink s;
	char buf[4096];
	pid_t pid;
	int st = 0;
	struct timespec pause = { 0, 300 * 1000 * 1000 };

	(void)state;
	sink_open(&s);
	assert_true(fill_queue(&s) > 0);
	tlsrpt_set_blocking();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(20);
		_exit(postfix_report(s.path, &events[1]) == 0 ? 0 : 1);
	}
	nanosleep(&pause, NULL);
	/* still waiting for room */
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	assert_true(sink_recv(&s, buf, sizeof(buf)) > 0);
	alarm(20);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	alarm(0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	tlsrpt_set_nonblocking();
	/* the child's datagram took the freed place: full again */
	alarm(20);
	assert_int_equal(postfix_report(s.path, &events[1]), TLSRPT_ERR_SENDTO + EAGAIN);
	alarm(0);
	sink_close(&s);
}

/* Closing a connection before its request is finished must neither crash
 * nor send on a descriptor the process has reused meanwhile (here a
 * stream socket, which send() would happily write to). */
static void
test_tlsrpt_close_before_finish_keeps_the_request_on_its_socket(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	struct tlsrpt_dr_t *dr = NULL;
	struct sink s;
	char buf[4096];
	int fd, sp[2];

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	fd = tlsrpt_get_socket(con);
	assert_int_equal(tlsrpt_init_delivery_request(&dr, con, "example.com", PR), 0);
	assert_int_equal(tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "example.com"), 0);
	assert_int_equal(tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS), 0);
	assert_int_equal(tlsrpt_close(&con), 0);
	assert_null(con);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(tlsrpt_finish_delivery_request(&dr), 0);
	assert_null(dr);
	/* the datagram reached the collector, nothing went to the new socket */
	assert_true(sink_recv(&s, buf, sizeof(buf)) > 0);
	assert_int_equal(recv(sp[0], buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	/* the last reference closed the library's socket */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	close(sp[0]);
	close(sp[1]);
	sink_close(&s);
}

/* One event on an open connection; returns the first error. */
static int
one_event(struct tlsrpt_connection_t *con)
{
	struct tlsrpt_dr_t *dr = NULL;
	int rc = tlsrpt_init_delivery_request(&dr, con, "example.com", PR);

	if (rc == 0)
		rc = tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "example.com");
	if (rc == 0)
		rc = tlsrpt_finish_policy(dr, TLSRPT_FINAL_SUCCESS);
	if (rc == 0)
		return tlsrpt_finish_delivery_request(&dr);
	tlsrpt_cancel_delivery_request(&dr);
	return rc;
}

static void
test_tlsrpt_reused_connection_follows_collector_restarts(void **state)
{
	struct tlsrpt_connection_t *con = NULL, *early = NULL;
	struct sink s, s2;
	char buf[1024];

	(void)state;
	sink_open(&s);
	/* Opened while nobody listens yet: works once the collector is there. */
	snprintf(s2.path, sizeof(s2.path), "%s/later.sock", s.dir);
	assert_int_equal(tlsrpt_open(&early, s2.path), 0);
	assert_int_equal(one_event(early), TLSRPT_ERR_SENDTO + ENOENT);

	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	assert_int_equal(one_event(con), 0);
	assert_true(sink_recv(&s, buf, sizeof(buf)) > 0);
	/* The collector dies: errors, no crash. */
	close(s.fd);
	assert_int_equal(one_event(con), TLSRPT_ERR_SENDTO + ECONNREFUSED);
	unlink(s.path);
	assert_int_equal(one_event(con), TLSRPT_ERR_SENDTO + ENOENT);
	/* ... and comes back at the same path: the same connection reaches it. */
	{
		struct sockaddr_un a;

		memset(&a, 0, sizeof(a));
		a.sun_family = AF_UNIX;
		memcpy(a.sun_path, s.path, strlen(s.path) + 1);
		s.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof(a)), 0);
		memcpy(a.sun_path, s2.path, strlen(s2.path) + 1);
		s2.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		assert_int_equal(bind(s2.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(one_event(con), 0);
	assert_int_equal(one_event(con), 0);
	assert_true(sink_recv(&s, buf, sizeof(buf)) > 0);
	assert_true(sink_recv(&s, buf, sizeof(buf)) > 0);
	assert_int_equal(one_event(early), 0);
	assert_true(sink_recv(&s2, buf, sizeof(buf)) > 0);
	tlsrpt_close(&con);
	tlsrpt_close(&early);
	close(s2.fd);
	unlink(s2.path);
	sink_close(&s);
}

/* Allocator that fails after `budget` allocations. */
static long budget;
static long live;

static void *
failing_malloc(size_t n)
{
	if (budget-- <= 0)
		return NULL;
	live++;
	return malloc(n);
}

static void
counting_free(void *p)
{
	live--;
	free(p);
}

static void
test_tlsrpt_allocation_failure_is_an_error_code_at_every_point(void **state)
{
	char big[3000];
	struct sink s;
	char buf[16384];
	int done = 0;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sink_open(&s);
	tlsrpt_set_malloc_and_free(failing_malloc, counting_free);
	for (long n = 0; n < 100 && !done; n++) {
		struct tlsrpt_connection_t *con = NULL;
		struct tlsrpt_dr_t *dr = NULL;
		int rc;

		budget = n;
		live = 0;
		rc = tlsrpt_open(&con, s.path);
		if (rc == 0)
			rc = tlsrpt_init_delivery_request(&dr, con, big, "r");
		if (rc == 0) {
			tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, big);
			tlsrpt_add_policy_string(dr, big);
			tlsrpt_add_mx_host_pattern(dr, big);
			tlsrpt_add_delivery_request_failure(dr, TLSRPT_STS_POLICY_INVALID, big, NULL,
							    NULL, NULL, NULL, NULL);
			tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
			rc = tlsrpt_finish_delivery_request(&dr);
		}
		tlsrpt_close(&con);
		assert_int_equal(live, 0);
		if (rc == 0) {
			done = 1;
			assert_true(sink_recv(&s, buf, sizeof(buf)) > 4 * 3000);
		} else {
			assert_int_equal(tlsrpt_errno_from_error_code(rc), ENOMEM);
			assert_false(tlsrpt_error_code_is_internal(rc));
			assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
		}
	}
	tlsrpt_set_malloc_and_free(NULL, NULL);
	assert_true(done);
	sink_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: nothing has called tlsrpt_set_*blocking() yet */
		cmocka_unit_test(test_tlsrpt_full_queue_gives_eagain_without_blocking),
		cmocka_unit_test(test_tlsrpt_set_blocking_waits_and_set_nonblocking_restores),
		cmocka_unit_test(test_tlsrpt_close_before_finish_keeps_the_request_on_its_socket),
		cmocka_unit_test(test_tlsrpt_datagrams_are_byte_identical_to_sys4),
		cmocka_unit_test(test_tlsrpt_escapes_like_sys4_and_passes_high_bytes),
		cmocka_unit_test(test_tlsrpt_null_arguments_return_errors),
		cmocka_unit_test(test_tlsrpt_wrong_call_order_returns_sticky_error_and_sends_nothing),
		cmocka_unit_test(test_tlsrpt_cancel_returns_previous_status_and_sends_nothing),
		cmocka_unit_test(test_tlsrpt_send_errors_are_block_plus_errno),
		cmocka_unit_test(test_tlsrpt_reused_connection_follows_collector_restarts),
		cmocka_unit_test(test_tlsrpt_allocation_failure_is_an_error_code_at_every_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
