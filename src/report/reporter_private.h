/*
 * reporter_private: the reporter handle, shared by reporter.c (generate)
 * and outbound.c (deliver).  Never include from outside src/report/.
 */
#ifndef TLSRPT_REPORT_REPORTER_PRIVATE_H
#define TLSRPT_REPORT_REPORTER_PRIVATE_H

#include "report/compose.h"
#include "report/dkim.h"
#include "report/gzip.h"
#include "report/reporter.h"

struct reporter {
	struct reporter_config cfg;   /* defaults filled in; strings below owned */
	char *organization;
	char *contact_info;
	char *from;
	struct dkim_signer *signer;   /* NULL: unsigned mail */
	struct dns *dns;              /* borrowed */
	struct composer *composer;    /* reused for every mail */
	struct gzipper *gzip;         /* reused for every report */
	int64_t interrupted_warned;   /* interrupted deliveries last warned about */
};

/* The attachment body of report JSON json (gzip unless configured
 * uncompressed) into body (appended).  Returns 0, or -1 with err set. */
int reporter_body(struct reporter *r, const char *report_id, const char *json,
		  struct buf *body, struct err *err);

/* The mail to `to` (an addr-spec) carrying attachment body (as
 * reporter_body() made it) of report report_id of policy_domain for UTC
 * day `day`, dated now, into out (DKIM-signed when a key is configured).
 * Returns 0, or -1 with err set. */
int reporter_mail_from_body(struct reporter *r, const char *report_id,
			    const char *policy_domain, int64_t day, const struct buf *body,
			    const char *to, int64_t now, struct buf *out, struct err *err);

#endif
