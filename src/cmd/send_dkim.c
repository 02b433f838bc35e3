/*
 * send_dkim: the start-up DKIM key check of `send` and `reportd` (see
 * send_dkim.h).  Log lines read "CHECK: MESSAGE -- fix: FIX", the
 * checker's line without its severity mark.
 */
#include "cmd/send_dkim.h"

#include <string.h>

#include "check/check.h"
#include "util/log.h"

int
send_dkim_check(const char *key_file, const char *selector, const char *domain, struct dns *dns)
{
	struct check_io io = { 0 };
	struct findings f = { 0 };
	struct err err = { { 0 } };
	int warnings = 0;
	size_t i;

	if (key_file == NULL || selector == NULL)
		return 0;
	io.dns = dns;
	if (check_dkim(&io, selector, domain, key_file, &f, &err) < 0) {
		log_warn("DKIM key record of s=%s d=%s not checked: %s", selector, domain, err.msg);
		return 1;
	}
	for (i = 0; i < f.n; i++) {
		const struct finding *x = &f.v[i];

		if (x->sev == SEV_OK) {
			log_info("%s: %s", x->check, x->message);
		} else if (strcmp(x->check, "dkim.dns") == 0) {
			log_notice("%s: %s (the key record is not checked; sending goes on)", x->check, x->message);
		} else {
			log_warn("%s: %s%s%s", x->check, x->message, x->fix ? " -- fix: " : "", x->fix ? x->fix : "");
			warnings++;
		}
	}
	findings_clear(&f);
	return warnings;
}
