/*
 * finding: one result line of `tlsrpt check`: which check, how bad
 * (ok / warning / error), what was found, and how to fix it.  A struct
 * findings collects them in order; the worst severity gives the exit code.
 */
#ifndef TLSRPT_CHECK_FINDING_H
#define TLSRPT_CHECK_FINDING_H

#include <stddef.h>

enum severity {
	SEV_OK,
	SEV_WARNING,
	SEV_ERROR,
};

struct finding {
	char *check;            /* e.g. "tlsrpt.record", "mta-sts.policy", "dane.tlsa"; owned */
	enum severity sev;
	char *message;          /* what was found; owned */
	char *fix;              /* how to fix it; owned; NULL when there is nothing to fix */
};

struct findings {
	struct finding *v;      /* owned */
	size_t n;
};

/* Appends a finding; fix may be NULL.  Copies every string. */
void findings_add(struct findings *f, const char *check, enum severity sev,
    const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The worst severity in f (SEV_OK when empty). */
enum severity findings_worst(const struct findings *f);

/* Releases every finding; f is empty afterwards. */
void findings_clear(struct findings *f);

/* "ok", "warning", "error". */
const char *severity_name(enum severity s);

#endif
