/* Unit tests for ingest/ingest_store: extract → parse → store with a real
 * SQLite store in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/ingest_store.h"
#include "store/store.h"
#include "unit/ingest/sourcetest.h"
#include "unit/ingest/testdata.h"
#include "util/log.h"

static const char good[] =
	"{\"organization-name\":\"Example\",\"date-range\":{\"start-datetime\":"
	"\"2026-01-01T00:00:00Z\",\"end-datetime\":\"2026-01-01T23:59:59Z\"},"
	"\"contact-info\":\"x@example\",\"report-id\":\"unit-1\",\"policies\":[{"
	"\"policy\":{\"policy-type\":\"no-policy-found\",\"policy-domain\":\"example.net\"},"
	"\"summary\":{\"total-successful-session-count\":1,"
	"\"total-failure-session-count\":0}}]}";

/* A mail with no report part: what a cron job or a bounce leaves. */
static const char cron_mail[] =
	"From: root@example.net\r\nTo: tlsrpt@example.net\r\n"
	"Subject: Cron <root@host> run-parts\r\n\r\nnothing to report\r\n";

/* A report mail whose gzip attachment is corrupt (data check fails). */
static const char bad_gzip_mail[] =
	"From: reporter@example.org\r\nTo: tlsrpt@example.net\r\n"
	"Subject: Report Domain: example.net\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\r\n\r\n"
	"--B\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
	"--B\r\nContent-Type: application/tlsrpt+gzip\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n"
	"H4sIAAAAAAAAA3N0cnYBAMmW7UoEAAAA\r\n--B--\r\n";

/* gzip of a DMARC aggregate report's XML, base64 */
#define XML_GZ_B64 "H4sIAAAAAAACA7Oxr8jNUShLLSrOzM+zVTLUM1Cyt7NJS01NSUpMzrazKUotyC8qic9N" \
	"LUlMSSxJ1Lez0YdLcgEAZq5eSz0AAAA="

/* A DMARC aggregate report sent to the same mailbox: a gzip attachment
 * that is not a TLSRPT report and does not claim to be one. */
static const char dmarc_mail[] =
	"From: noreply-dmarc-support@google.com\r\nTo: reports@example.net\r\n"
	"Subject: Report domain: example.net Submitter: google.com Report-ID: 1\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: application/gzip; name=\"google.com!example.net!1!2.xml.gz\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n" XML_GZ_B64 "\r\n";

/* The same XML in a part typed application/tlsrpt+gzip: a broken report. */
static const char xml_as_tlsrpt_mail[] =
	"From: reporter@example.org\r\nTo: tlsrpt@example.net\r\n"
	"Subject: Report Domain: example.net\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/report; report-type=tlsrpt; boundary=\"B\"\r\n\r\n"
	"--B\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
	"--B\r\nContent-Type: application/tlsrpt+gzip\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n" XML_GZ_B64 "\r\n--B--\r\n";

/* The same XML named as a TLSRPT report, in capitals (file names are
 * matched case-insensitively, as when attachments are picked): broken. */
static const char xml_as_json_name_mail[] =
	"From: reporter@example.org\r\nTo: tlsrpt@example.net\r\n"
	"Subject: Report Domain: example.net\r\nMIME-Version: 1.0\r\n"
	"Content-Type: application/gzip; name=\"EXAMPLE.ORG!EXAMPLE.NET!1!2.JSON.GZ\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\n" XML_GZ_B64 "\r\n";

static struct store *
open_store(char *dir)
{
	char url[1100];
	struct err err = { "" };
	struct store *s;

	log_init("test", LOG_LEVEL_ERROR, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
	s = store_open(url, &err);
	if (s == NULL)
		fail_msg("store_open: %s", err.msg);
	return s;
}

static void
test_ingest_store_stores_then_counts_duplicate_and_refuses_bad(void **state)
{
	char dir[] = "/tmp/tlsrpt-ingest-store.XXXXXX";
	struct ingest_counts c = { 0 };
	struct err err = { "" };
	struct store *s = open_store(dir);

	(void)state;
	assert_int_equal(ingest_store_bytes(s, good, strlen(good), NULL, "file", "a",
					    &c, &err), INGEST_STORE_OK);
	assert_int_equal(ingest_store_bytes(s, good, strlen(good), NULL, "file", "b",
					    &c, &err), INGEST_STORE_OK);
	assert_int_equal(ingest_store_bytes(s, "{\"report-id\":1}", 15, NULL, "file",
					    "d", &c, &err), INGEST_STORE_REFUSED);
	assert_int_equal(c.messages, 3);
	assert_int_equal(c.reports, 3);
	assert_int_equal(c.stored, 1);
	assert_int_equal(c.duplicates, 1);
	assert_int_equal(c.skipped, 0);
	assert_int_equal(c.errors, 1);
	store_close(&s);
	sourcetest_rmtree(dir);
}

/* No report candidate at all: skipped, not an error.  A report candidate
 * that cannot be read: an error. */
static void
test_ingest_store_skips_non_reports_refuses_bad_reports(void **state)
{
	char dir[] = "/tmp/tlsrpt-ingest-store.XXXXXX";
	struct ingest_counts c = { 0 };
	struct err err = { "" };
	struct store *s = open_store(dir);
	size_t gzlen;
	unsigned char *gz = testdata_gzip("not json", 8, &gzlen);

	(void)state;
	assert_int_equal(ingest_store_bytes(s, cron_mail, strlen(cron_mail), NULL,
					    "maildir", "cron", &c, &err),
			 INGEST_STORE_SKIPPED);
	assert_int_equal(ingest_store_bytes(s, "hello", 5, NULL, "file", "txt", &c,
					    &err), INGEST_STORE_SKIPPED);
	assert_int_equal(ingest_store_bytes(s, "", 0, NULL, "file", "empty", &c, &err),
			 INGEST_STORE_SKIPPED);
	assert_int_equal(c.skipped, 3);
	assert_int_equal(c.errors, 0);
	assert_int_equal(ingest_store_bytes(s, bad_gzip_mail, strlen(bad_gzip_mail),
					    NULL, "maildir", "badgz", &c, &err),
			 INGEST_STORE_REFUSED);
	/* gzip of something else, claiming nothing: not a report here */
	assert_int_equal(ingest_store_bytes(s, gz, gzlen, NULL, "file", "gz", &c, &err),
			 INGEST_STORE_SKIPPED);
	assert_int_equal(ingest_store_bytes(s, dmarc_mail, strlen(dmarc_mail), NULL,
					    "maildir", "dmarc", &c, &err),
			 INGEST_STORE_SKIPPED);
	assert_int_equal(ingest_store_bytes(s, xml_as_tlsrpt_mail, strlen(xml_as_tlsrpt_mail),
					    NULL, "maildir", "xml", &c, &err),
			 INGEST_STORE_REFUSED);
	assert_int_equal(ingest_store_bytes(s, xml_as_json_name_mail, strlen(xml_as_json_name_mail),
					    NULL, "maildir", "xmlname", &c, &err),
			 INGEST_STORE_REFUSED);
	assert_int_equal(c.messages, 8);
	assert_int_equal(c.reports, 0);
	assert_int_equal(c.stored, 0);
	assert_int_equal(c.skipped, 5);
	assert_int_equal(c.errors, 3);
	free(gz);
	store_close(&s);
	sourcetest_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest_store_stores_then_counts_duplicate_and_refuses_bad),
		cmocka_unit_test(test_ingest_store_skips_non_reports_refuses_bad_reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
