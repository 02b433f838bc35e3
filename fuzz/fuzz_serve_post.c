/*
 * fuzz_serve_post: libFuzzer target for the rua=https endpoint.  The
 * first input byte picks the Content-Type (and Content-Encoding), the rest
 * is the POST body; it goes through the route table, ingest, the JSON
 * codec and an in-memory SQLite store, then the failures API and /metrics
 * render whatever was stored.  Answers must be 200, 400 or 415; nothing
 * may crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *types[] = {
	"application/tlsrpt+gzip", "application/tlsrpt+json", "application/json",
	"text/plain", NULL, "application/x-www-form-urlencoded",
};

struct fake {
	const char *ctype, *cenc;
};

static const char *
header(const struct http_request *req, const char *name)
{
	const struct fake *f = req->impl;

	if (strcasecmp(name, "Content-Type") == 0)
		return f->ctype;
	if (strcasecmp(name, "Content-Encoding") == 0)
		return f->cenc;
	return NULL;
}

static const char *
query(const struct http_request *req, const char *name)
{
	(void)req;
	(void)name;
	return NULL;
}

static unsigned
request(struct serve *app, const char *method, const char *path, struct fake *f,
	const char *body, size_t len)
{
	struct http_request req = { .method = method, .path = path, .body = body, .body_len = len,
				    .get_header = header, .get_query = query, .impl = f };
	struct http_response resp;
	unsigned st;

	http_response_init(&resp);
	serve_handle_both(app, &req, &resp);
	st = resp.status;
	http_response_cleanup(&resp);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct serve *app;
	struct serve_config cfg = { .db_url = "sqlite::memory:", .no_auth = 1,
				     .accept_domains = "*" };  /* no login, any domain */
	struct fake f = { NULL, NULL };
	struct err err;
	char *body;
	unsigned st;

	if (app == NULL && (app = serve_new(&cfg, &err)) == NULL)
		abort();
	if (size == 0)
		return 0;
	f.ctype = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	f.cenc = data[0] & 0x80 ? "gzip" : NULL;
	body = malloc(size);               /* NUL-terminated like the server's */
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	st = request(app, "POST", "/tlsrpt", &f, body, size - 1);
	if (st != 200 && st != 400 && st != 415)
		abort();
	free(body);
	if (st == 200) {
		if (request(app, "GET", "/api/failures", &f, "", 0) != 200 ||
		    request(app, "GET", "/metrics", &f, "", 0) != 200)
			abort();
	}
	return 0;
}
