/*
 * naming: report-id, date-range, filename and Subject of an outgoing report
 * (see naming.h).  Calendar conversion goes through gmtime_r so no date
 * arithmetic is written by hand.
 */
#include "report/naming.h"

#include <time.h>

#include "util/xalloc.h"

int64_t
naming_day_begin(int64_t day)
{
	return day * 86400;
}

int64_t
naming_day_end(int64_t day)
{
	return day * 86400 + 86399;
}

void
naming_datetime(int64_t t, char out[NAMING_DATETIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, NAMING_DATETIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
naming_report_id(int64_t day, const char *policy_domain, int n, const char *submitter)
{
	char ymd[16];
	time_t tt = (time_t)naming_day_begin(day);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(ymd, sizeof(ymd), "%Y%m%d", &tm);
	return xasprintf("%s.%s.%d@%s", ymd, policy_domain, n, submitter);
}

char *
naming_filename(const char *submitter, const char *policy_domain, int64_t begin, int64_t end,
		int compressed)
{
	return xasprintf("%s!%s!%lld!%lld.%s", submitter, policy_domain, (long long)begin,
			 (long long)end, compressed ? "json.gz" : "json");
}

char *
naming_subject(const char *policy_domain, const char *submitter, const char *report_id)
{
	return xasprintf("Report Domain: %s Submitter: %s Report-ID: <%s>", policy_domain,
			 submitter, report_id);
}
