/*
 * Unit tests for lib/tlsrpt.c, sending: the default never blocks (EAGAIN
 * on a full queue), tlsrpt_set_blocking() really waits, libc errors are
 * block + errno, a connection follows collector restarts, closing it
 * before a request is finished is safe, threads may share it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "lib_sink.h"

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
	/* the limit is 107 bytes (sun_path with its NUL), as in sys4's library */
	longname[108] = '\0';
	assert_int_equal(tlsrpt_open(&con, longname), TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG);
	assert_null(con);
	longname[107] = '\0';
	assert_int_equal(tlsrpt_open(&con, longname), 0);
	assert_non_null(con);
	assert_int_equal(tlsrpt_close(&con), 0);

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

/* tlsrpt(3): one connection may be shared by threads.  Four threads send
 * through one connection (blocking; the main thread reads); every
 * datagram arrives whole and none is lost or left over. */
#define THREADS 4
#define PER_THREAD 250

static void *
sender(void *arg)
{
	struct tlsrpt_connection_t *con = arg;
	long errors = 0;

	for (int i = 0; i < PER_THREAD; i++)
		if (one_event(con) != 0)
			errors++;
	return (void *)errors;
}

static void
test_tlsrpt_threads_share_a_connection(void **state)
{
	struct tlsrpt_connection_t *con = NULL;
	pthread_t t[THREADS];
	struct sink s;
	char buf[4096], first[4096];
	ssize_t n0 = -1;

	(void)state;
	sink_open(&s);
	assert_int_equal(tlsrpt_open(&con, s.path), 0);
	tlsrpt_set_blocking();
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sender, con), 0);
	alarm(60);
	for (int k = 0; k < THREADS * PER_THREAD; k++) {
		ssize_t n = recv(s.fd, buf, sizeof(buf), 0);

		assert_true(n > 0);
		if (n0 < 0) {
			n0 = n;
			memcpy(first, buf, (size_t)n);
		}
		/* all events are the same: every datagram equals the first */
		assert_int_equal(n, n0);
		assert_memory_equal(buf, first, (size_t)n);
	}
	for (int i = 0; i < THREADS; i++) {
		void *errors;

		assert_int_equal(pthread_join(t[i], &errors), 0);
		assert_null(errors);
	}
	alarm(0);
	tlsrpt_set_nonblocking();
	assert_int_equal(sink_recv(&s, buf, sizeof(buf)), -1);
	assert_int_equal(tlsrpt_close(&con), 0);
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
		cmocka_unit_test(test_tlsrpt_send_errors_are_block_plus_errno),
		cmocka_unit_test(test_tlsrpt_reused_connection_follows_collector_restarts),
		cmocka_unit_test(test_tlsrpt_threads_share_a_connection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
