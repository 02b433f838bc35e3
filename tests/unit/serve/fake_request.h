/* fake_request: an http_request built from arrays, for route tests. */
#ifndef TLSRPT_TESTS_FAKE_REQUEST_H
#define TLSRPT_TESTS_FAKE_REQUEST_H

#include <string.h>
#include <strings.h>

#include "net/http_server.h"

struct fake {
	struct http_request req;
	const char *headers[8][2];
	const char *query[8][2];
};

static const char *
fake_lookup(const char *(*kv)[2], const char *name, int nocase)
{
	int i;

	for (i = 0; i < 8 && kv[i][0] != NULL; i++)
		if ((nocase ? strcasecmp(kv[i][0], name) : strcmp(kv[i][0], name)) == 0)
			return kv[i][1];
	return NULL;
}

static const char *
fake_header(const struct http_request *req, const char *name)
{
	return fake_lookup(((struct fake *)req->impl)->headers, name, 1);
}

static const char *
fake_query(const struct http_request *req, const char *name)
{
	return fake_lookup(((struct fake *)req->impl)->query, name, 0);
}

/* Prepares f as METHOD PATH with body (may be NULL); add headers/query after. */
static void
fake_init(struct fake *f, const char *method, const char *path, const char *body, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->req.method = method;
	f->req.path = path;
	f->req.body = body != NULL ? body : "";
	f->req.body_len = body != NULL ? len : 0;
	f->req.get_header = fake_header;
	f->req.get_query = fake_query;
	f->req.impl = f;
}

#endif
