/* finding: the result list of `tlsrpt check` (see finding.h). */
#include "check/finding.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

void
findings_add(struct findings *f, const char *check, enum severity sev,
    const char *fix, const char *fmt, ...)
{
	struct finding *x;
	va_list ap;
	int n;

	f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
	x = &f->v[f->n++];
	x->check = xstrdup(check);
	x->sev = sev;
	x->fix = xstrdup(fix);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	x->message = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(x->message, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
}

enum severity
findings_worst(const struct findings *f)
{
	enum severity w = SEV_OK;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].sev > w)
			w = f->v[i].sev;
	return w;
}

void
findings_clear(struct findings *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].check);
		free(f->v[i].message);
		free(f->v[i].fix);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_OK: return "ok";
	case SEV_WARNING: return "warning";
	case SEV_ERROR: return "error";
	}
	return "?";
}
