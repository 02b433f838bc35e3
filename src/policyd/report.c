/*
 * report: failures sent to the collector with libtlsrpt (see report.h).
 */
#include "policyd/report.h"

#include <pthread.h>
#include <stdlib.h>

#include "tlsrpt.h"
#include "util/xalloc.h"

struct policyd_reporter {
	pthread_mutex_t lock;           /* libtlsrpt connections are not shared by threads */
	struct tlsrpt_connection_t *con;
};

struct policyd_reporter *
policyd_reporter_new(const char *socket_path, struct err *err)
{
	struct policyd_reporter *r = xcalloc(1, sizeof(*r));
	int rc;

	if ((rc = tlsrpt_open(&r->con, socket_path)) != 0) {
		err_set(err, "collector socket %s: %s", socket_path, tlsrpt_strerror(rc));
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void
policyd_reporter_free(struct policyd_reporter **r)
{
	if (r == NULL || *r == NULL)
		return;
	tlsrpt_close(&(*r)->con);
	pthread_mutex_destroy(&(*r)->lock);
	free(*r);
	*r = NULL;
}

static tlsrpt_failure_t
code(enum policyd_failure f)
{
	switch (f) {
	case POLICYD_FAIL_INVALID: return TLSRPT_STS_POLICY_INVALID;
	case POLICYD_FAIL_WEBPKI: return TLSRPT_STS_WEBPKI_INVALID;
	default: return TLSRPT_STS_POLICY_FETCH_ERROR;
	}
}

int
policyd_report_failure(struct policyd_reporter *r, const char *domain,
    enum policyd_failure f, const char *why, struct err *err)
{
	struct tlsrpt_dr_t *dr = NULL;
	int rc;

	pthread_mutex_lock(&r->lock);
	/* the TLSRPT record: Postfix looks it up, policyd does not; the
	 * reporter looks up _smtp._tls itself when it sends */
	rc = tlsrpt_init_delivery_request(&dr, r->con, domain, "");
	if (rc == 0) {
		tlsrpt_init_policy(dr, TLSRPT_POLICY_STS, domain);
		tlsrpt_add_delivery_request_failure(dr, code(f), NULL, NULL, NULL, NULL, why, NULL);
		tlsrpt_finish_policy(dr, TLSRPT_FINAL_FAILURE);
		rc = tlsrpt_finish_delivery_request(&dr);
	}
	pthread_mutex_unlock(&r->lock);
	if (rc != 0) {
		err_set(err, "domain=%s: reporting %s to the collector: %s", domain,
		    policyd_failure_name(f), tlsrpt_strerror(rc));
		return -1;
	}
	return 0;
}
