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

#endif
