/*
 * sourcetest: what the message-source tests share: a temporary directory,
 * a file writer, and a callback that records the items it is given.
 * Header-only, for tests/unit/ingest/test_{filedir,maildir,mbox}.c.
 */
#ifndef TLSRPT_TESTS_INGEST_SOURCETEST_H
#define TLSRPT_TESTS_INGEST_SOURCETEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/source.h"

#define SOURCETEST_MAX 16

struct recorded {
	int n;
	char names[SOURCETEST_MAX][512];
	char data[SOURCETEST_MAX][256];
	int errors[SOURCETEST_MAX];
	int stop_after;
};

static inline int
sourcetest_record(void *ctx, const struct source_item *item)
{
	struct recorded *r = ctx;

	if (r->n < SOURCETEST_MAX) {
		snprintf(r->names[r->n], sizeof(r->names[0]), "%s", item->name);
		if (item->error != NULL)
			snprintf(r->data[r->n], sizeof(r->data[0]), "%s", item->error);
		else
			snprintf(r->data[r->n], sizeof(r->data[0]), "%.*s",
				 (int)item->len, (const char *)item->data);
		r->errors[r->n] = item->error != NULL;
	}
	r->n++;
	return r->stop_after != 0 && r->n >= r->stop_after ? 7 : 0;
}

static inline void
sourcetest_write(const char *dir, const char *name, const char *text)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static inline void
sourcetest_rmtree(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

#endif
