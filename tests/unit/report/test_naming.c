/* Unit tests for report/naming: report-id, date-range, filename, Subject
 * (sender.md GEN-02, GEN-16, MAIL-03, MAIL-06). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <regex.h>

#include "report/naming.h"

#define DAY_D 20778             /* 2026-11-21 */
#define B 1795219200LL          /* 2026-11-21T00:00:00Z */
#define E 1795305599LL          /* 2026-11-21T23:59:59Z */

static void
test_day_range_covers_the_whole_utc_day(void **state)
{
	char s[NAMING_DATETIME_SIZE], e[NAMING_DATETIME_SIZE];

	(void)state;
	assert_int_equal(naming_day_begin(DAY_D), B);
	assert_int_equal(naming_day_end(DAY_D), E);
	naming_datetime(naming_day_begin(DAY_D), s);
	naming_datetime(naming_day_end(DAY_D), e);
	assert_string_equal(s, "2026-11-21T00:00:00Z");
	assert_string_equal(e, "2026-11-21T23:59:59Z");
}

static void
test_report_id_is_msg_id_shaped_and_unique_per_day_domain_and_kind(void **state)
{
	char *ids[4];
	regex_t re;

	(void)state;
	assert_int_equal(regcomp(&re, "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$",
				 REG_EXTENDED | REG_NOSUB), 0);
	ids[0] = naming_report_id(DAY_D, "example.com", 1, "mail.sender.example");
	ids[1] = naming_report_id(DAY_D, "example.net", 1, "mail.sender.example");
	ids[2] = naming_report_id(DAY_D + 1, "example.com", 1, "mail.sender.example");
	ids[3] = naming_report_id(DAY_D, "example.com", 2, "mail.sender.example");
	assert_string_equal(ids[0], "20261121.example.com.1@mail.sender.example");
	for (int i = 0; i < 4; i++) {
		assert_int_equal(regexec(&re, ids[i], 0, NULL, 0), 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
	for (int i = 0; i < 4; i++)
		free(ids[i]);
	regfree(&re);
}

static void
test_filename_follows_rfc8460_section_5_1(void **state)
{
	char *gz = naming_filename("mail.sender.example", "example.com", B, E, 1);
	char *js = naming_filename("mail.sender.example", "example.com", B, E, 0);

	(void)state;
	assert_string_equal(gz, "mail.sender.example!example.com!1795219200!1795305599.json.gz");
	assert_string_equal(js, "mail.sender.example!example.com!1795219200!1795305599.json");
	free(gz);
	free(js);
}

static void
test_subject_follows_rfc8460_section_5_3(void **state)
{
	char *s = naming_subject("example.com", "mail.sender.example",
				 "20261121.example.com.1@mail.sender.example");

	(void)state;
	assert_string_equal(s, "Report Domain: example.com Submitter: mail.sender.example "
			       "Report-ID: <20261121.example.com.1@mail.sender.example>");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_range_covers_the_whole_utc_day),
		cmocka_unit_test(test_report_id_is_msg_id_shaped_and_unique_per_day_domain_and_kind),
		cmocka_unit_test(test_filename_follows_rfc8460_section_5_1),
		cmocka_unit_test(test_subject_follows_rfc8460_section_5_3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
