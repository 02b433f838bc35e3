/*
 * lib_sink.h: what the libtlsrpt unit tests share: a real bound unix
 * datagram socket that captures what the library sends, the datagrams of
 * research/sys4.md §2 byte for byte, and Postfix's call sequence.
 * Included by test_tlsrpt.c and test_tlsrpt_send.c only.
 */
#ifndef TESTS_UNIT_LIB_SINK_H
#define TESTS_UNIT_LIB_SINK_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
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

static inline void
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
static inline ssize_t
sink_recv(struct sink *s, char *buf, size_t size)
{
	ssize_t n = recv(s->fd, buf, size - 1, MSG_DONTWAIT);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static inline void
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

static inline int
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


/* One event on an open connection; returns the first error. */
static inline int
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

#endif
