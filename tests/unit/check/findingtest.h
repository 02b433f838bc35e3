/*
 * findingtest: what the checker's unit tests share: an expected finding,
 * and the assertion that a run gave the expected worst severity and every
 * expected finding (printing all findings when not).  Header-only, for
 * tests/unit/check/test_check.c and test_check_dkim.c.
 */
#ifndef TLSRPT_TESTS_CHECK_FINDINGTEST_H
#define TLSRPT_TESTS_CHECK_FINDINGTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check/finding.h"
#include "util/xalloc.h"

/* One finding a scenario must produce. */
struct want {
	const char *check;
	enum severity sev;
	const char *text;       /* substring of message (or of fix, if it starts with "fix:") */
};

/* Turns a want's text into what is searched for (a new string); NULL: as is. */
typedef char *(*findingtest_expand_fn)(const char *text);

static inline int
findingtest_has(const struct findings *f, const struct want *w, findingtest_expand_fn expand)
{
	int is_fix = strncmp(w->text, "fix:", 4) == 0, found = 0;
	const char *raw = w->text + (is_fix ? 4 : 0);
	char *text = expand != NULL ? expand(raw) : xstrdup(raw);

	for (size_t i = 0; i < f->n && !found; i++) {
		if (strcmp(f->v[i].check, w->check) != 0 || f->v[i].sev != w->sev)
			continue;
		found = is_fix ? f->v[i].fix != NULL && strstr(f->v[i].fix, text) != NULL
			       : strstr(f->v[i].message, text) != NULL;
	}
	free(text);
	return found;
}

static inline void
findingtest_dump(const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++)
		print_message("  %s %s: %s [fix: %s]\n", severity_name(f->v[i].sev), f->v[i].check,
			      f->v[i].message, f->v[i].fix ? f->v[i].fix : "-");
}

/* Fails scenario `name` unless f's worst severity is `worst` and it has each
 * of the first n wants (a want with a NULL check ends the list early). */
static inline void
findingtest_expect(const char *name, const struct findings *f, enum severity worst,
		   const struct want *want, size_t n, findingtest_expand_fn expand)
{
	if (findings_worst(f) != worst) {
		findingtest_dump(f);
		fail_msg("%s: worst %s, want %s", name, severity_name(findings_worst(f)),
			 severity_name(worst));
	}
	for (size_t j = 0; j < n && want[j].check != NULL; j++) {
		if (!findingtest_has(f, &want[j], expand)) {
			findingtest_dump(f);
			fail_msg("%s: no %s finding %s \"%s\"", name, severity_name(want[j].sev),
				 want[j].check, want[j].text);
		}
	}
}

#endif
