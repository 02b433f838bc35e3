/*
 * bench_lib: libtlsrpt calls per second into a C recv() sink thread.
 *
 * Three figures, each over BENCH_LIB_N events (default 200000) of the
 * Postfix pattern (one STS policy, 4 policy strings, 1 MX, 10 % failures
 * with one failure detail; ~300-byte datagrams), blocking sends so that
 * nothing is dropped:
 *   postfix  open + init + policy + finish + close per event (as Postfix does)
 *   reused   one connection for all events
 *   build    reused, but cancelled instead of sent: the library's own cost
 *   raw      no library: send() of one pre-built datagram of the same size
 *            on a connected socket into the same sink, the kernel's floor
 *            under "reused" (reused minus raw is what the library adds)
 * Prints events/s and µs per event.  Target: <= 2 µs per event reused.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tlsrpt.h"

struct sink {
	int fd;
	long want;
	long got;
	long bytes;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
sink_main(void *arg)
{
	struct sink *s = arg;
	char buf[65536];

	while (__atomic_load_n(&s->got, __ATOMIC_RELAXED) < s->want) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);

		if (n < 0)
			break;
		__atomic_add_fetch(&s->got, 1, __ATOMIC_RELAXED);
		s->bytes += n;
	}
	return NULL;
}

/* One Postfix-style event on con; send (finish) or cancel. */
static int
event(struct tlsrpt_connection_t *con, long i, int send)
{
	struct tlsrpt_dr_t *dr = NULL;
	int fail = i % 10 == 0;

	if (tlsrpt_init_delivery_request(&dr, con, "example.com",
					 "v=TLSRPTv1; rua=mailto:tlsrpt@example.com") != 0)
		return -1;
	tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, "example.com");
	tlsrpt_add_policy_string(dr, "version: STSv1");
	tlsrpt_add_policy_string(dr, "mode: enforce");
	tlsrpt_add_policy_string(dr, "mx: mx1.example.com");
	tlsrpt_add_policy_string(dr, "max_age: 604800");
	tlsrpt_add_mx_host_pattern(dr, "mx1.example.com");
	if (fail)
		tlsrpt_add_delivery_request_failure(dr, TLSRPT_CERTIFICATE_EXPIRED, "192.0.2.25",
						    "mx1.example.com", "250 mx1.example.com",
						    "198.51.100.10", NULL, NULL);
	tlsrpt_finish_policy(dr, fail ? TLSRPT_FINAL_FAILURE : TLSRPT_FINAL_SUCCESS);
	if (!send) {
		tlsrpt_cancel_delivery_request(&dr);
		return 0;
	}
	return tlsrpt_finish_delivery_request(&dr);
}

enum mode { MODE_POSTFIX, MODE_REUSED, MODE_BUILD, MODE_RAW };

/* What the library sends for a success event (sys4's format), padded to
 * the average datagram of the mix (287 bytes). */
static size_t
raw_datagram(char *out, size_t cap)
{
	int n = snprintf(out, cap, "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; "
			 "rua=mailto:tlsrpt@example.com\",\"policies\":[{\"policy-type\":2,"
			 "\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\","
			 "\"mode: enforce\",\"mx: mx1.example.com\",\"max_age: 604800\"],"
			 "\"mx-host\":[\"mx1.example.com\"],\"t\":0,\"f\":0}]}");
	size_t len = n > 0 ? (size_t)n : 0;

	while (len < 287 && len + 1 < cap)
		out[len++] = ' ';
	return len;
}

static int
run(const char *path, enum mode mode, long n)
{
	static const char *names[] = { "postfix (open/close per event)", "reused connection",
				       "build only (no send)", "raw send() floor (no library)" };
	char raw[512];
	size_t raw_len = raw_datagram(raw, sizeof(raw));
	int raw_fd = -1;
	struct sockaddr_un a;
	struct tlsrpt_connection_t *con = NULL;
	struct sink s = { -1, mode == MODE_BUILD ? 0 : n, 0, 0 };
	pthread_t th;
	long errors = 0;
	double t0, t1;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	s.fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s.fd < 0 || bind(s.fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("bench_lib: sink");
		return -1;
	}
	pthread_create(&th, NULL, sink_main, &s);
	if (mode == MODE_RAW) {
		raw_fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (raw_fd < 0 || connect(raw_fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("bench_lib: raw socket");
			return -1;
		}
	} else if (mode != MODE_POSTFIX) {
		tlsrpt_open(&con, path);
	}
	t0 = now_s();
	for (long i = 0; i < n && mode == MODE_RAW; i++)
		if (send(raw_fd, raw, raw_len, MSG_NOSIGNAL) < 0)
			errors++;
	for (long i = 0; i < n && mode != MODE_RAW; i++) {
		if (mode == MODE_POSTFIX)
			tlsrpt_open(&con, path);
		if (event(con, i, mode != MODE_BUILD) != 0)
			errors++;
		if (mode == MODE_POSTFIX)
			tlsrpt_close(&con);
	}
	if (mode != MODE_BUILD)
		while (__atomic_load_n(&s.got, __ATOMIC_RELAXED) + errors < n)
			usleep(100);
	t1 = now_s();
	tlsrpt_close(&con);
	if (raw_fd >= 0)
		close(raw_fd);
	if (errors > 0)
		s.got = n;      /* let the sink stop */
	shutdown(s.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(s.fd);
	unlink(path);
	printf("bench_lib: %-32s %8ld events %10.0f events/s %6.2f us/event%s",
	       names[mode], n, (double)n / (t1 - t0), (t1 - t0) * 1e6 / (double)n,
	       mode == MODE_BUILD ? "\n" : "");
	if (mode != MODE_BUILD)
		printf("  (%ld bytes avg, %ld errors)\n", s.got ? s.bytes / s.got : 0, errors);
	return 0;
}

int
main(void)
{
	const char *env = getenv("BENCH_LIB_N");
	long n = env != NULL ? strtol(env, NULL, 10) : 200000;
	char dir[] = "/tmp/bench_lib.XXXXXX", path[128];

	if (n <= 0 || mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/sink.sock", dir);
	tlsrpt_set_blocking();
	run(path, MODE_POSTFIX, n);
	run(path, MODE_REUSED, n);
	run(path, MODE_BUILD, n);
	run(path, MODE_RAW, n);
	rmdir(dir);
	printf("bench_lib: reference (research/sys4.md \"Measured\"): sys4 libtlsrpt 34,094/s "
	       "postfix pattern, 73,462/s reused (same 2-vCPU class machine); target <= 2 us/event "
	       "reused\n");
	return 0;
}
