/*
 * fuzz_report_json: libFuzzer target for the report JSON codec.  Parses
 * the input; if it is a report, writes it in every form, parses each
 * output again (which must succeed: we only write what we can read) and
 * validates.  Must neither crash nor leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/explain.h"
#include "model/report_json.h"
#include "model/report_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = {
		0, REPORT_JSON_PRETTY, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED,
		REPORT_JSON_KEEP_EXTRA,
	};
	struct err err;
	struct report *r = report_parse_json((const char *)data, size, &err);
	struct strlist problems = { 0 };

	if (r == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		char *out = report_write_json(r, flags[i]);
		struct report *back;

		if (out == NULL)
			abort();
		back = report_parse_json(out, strlen(out), &err);
		if (back == NULL)
			abort();   /* the writer produced something the parser refuses */
		report_free(back);
		free(out);
	}
	(void)report_validate(r, &problems);
	strlist_clear(&problems);
	for (size_t i = 0; i < r->n_policies; i++)
		for (size_t k = 0; k < r->policies[i].n_failure_details; k++) {
			const struct failure_detail *d = &r->policies[i].failure_details[k];

			free(explain_fix(d->type, d->receiving_mx_hostname, r->policies[i].policy_domain));
		}
	report_free(r);
	return 0;
}
