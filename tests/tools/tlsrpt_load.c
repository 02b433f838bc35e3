/*
 * tlsrpt_load: sends TLSRPT results through libtlsrpt, the way an MTA
 * does, for integration tests and benchmarks.  Uses only <tlsrpt.h>.
 *
 *   tlsrpt_load SOCKET COUNT [DOMAINS [FAIL_PERCENT [MODE [RATE]]]]
 *     DOMAINS       distinct recipient domains, d0.example … (default 100)
 *     FAIL_PERCENT  share of failure events (default 10)
 *     MODE          "postfix": open/close per event (default);
 *                   "reuse": one connection; "nonblock": postfix, non-blocking
 *     RATE          events per second (0: as fast as possible)
 *
 * Sends block (tlsrpt_set_blocking) unless MODE is "nonblock", so nothing
 * is lost to a full queue.  Prints "sent N errors N seconds S rate R";
 * exits 1 if any event failed, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsrpt.h"
#include "load_event.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct tlsrpt_connection_t *con = NULL;
	long count, domains = 100, fail_pct = 10, rate = 0, errors = 0, sent = 0;
	const char *mode = "postfix";
	int reuse, last_err = 0;
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: tlsrpt_load SOCKET COUNT [DOMAINS [FAIL_PERCENT [MODE [RATE]]]]\n");
		return 2;
	}
	count = strtol(argv[2], NULL, 10);
	if (count < 1) {
		fprintf(stderr, "tlsrpt_load: COUNT must be a positive number, not '%s'\n", argv[2]);
		return 2;
	}
	if (argc > 3)
		domains = strtol(argv[3], NULL, 10);
	if (argc > 4)
		fail_pct = strtol(argv[4], NULL, 10);
	if (argc > 5)
		mode = argv[5];
	if (argc > 6)
		rate = strtol(argv[6], NULL, 10);
	if (domains < 1)
		domains = 1;
	reuse = strcmp(mode, "reuse") == 0;
	if (strcmp(mode, "nonblock") == 0)
		tlsrpt_set_nonblocking();
	else
		tlsrpt_set_blocking();
	if (reuse && tlsrpt_open(&con, argv[1]) != 0) {
		fprintf(stderr, "tlsrpt_load: cannot open %s\n", argv[1]);
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		int fail = (i % 100) < fail_pct, rc;

		if (rate > 0) {
			double due = t0 + (double)i / (double)rate;

			while (now_s() < due)
				;
		}
		if (!reuse && (rc = tlsrpt_open(&con, argv[1])) != 0) {
			errors++;
			last_err = rc;
			continue;
		}
		rc = load_event(con, i, domains, fail);
		if (!reuse)
			tlsrpt_close(&con);
		if (rc != 0) {
			errors++;
			last_err = rc;
		} else {
			sent++;
		}
	}
	t1 = now_s();
	tlsrpt_close(&con);
	printf("sent %ld errors %ld seconds %.3f rate %.0f\n", sent, errors, t1 - t0,
	       (double)count / (t1 - t0));
	if (errors > 0)
		fprintf(stderr, "tlsrpt_load: last error %d: %s\n", last_err, tlsrpt_strerror(last_err));
	return errors > 0 ? 1 : 0;
}
