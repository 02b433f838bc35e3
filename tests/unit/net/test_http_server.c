/* Unit tests for net/http_server: a real server on 127.0.0.1:0, libcurl as
 * the client; listen-address parsing; body limits (declared and chunked);
 * stream bodies (http_response_stream) sent and collected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/http_server.h"
#include "util/xalloc.h"

/* A stream body: n pieces of PIECE bytes, piece i all 'a' + i % 26; fill
 * fails at piece fail (never when fail < 0); each release counted. */
#define PIECE 10000
struct stream_test {
	int n, next, fail;
	atomic_int *released;
};

static int
stream_fill(void *cls, struct buf *out)
{
	struct stream_test *t = cls;
	char piece[PIECE];

	if (t->next == t->fail)
		return -1;
	if (t->next < t->n) {
		memset(piece, 'a' + t->next % 26, sizeof(piece));
		if (buf_append(out, piece, sizeof(piece)) != 0)
			return -1;
		t->next++;
	}
	return t->next < t->n;
}

static void
stream_release(void *cls)
{
	struct stream_test *t = cls;

	atomic_fetch_add(t->released, 1);
	free(t);
}

/* A new stream of n pieces failing at fail, counting releases in *released. */
static struct stream_test *
stream_new(int n, int fail, atomic_int *released)
{
	struct stream_test *t = xcalloc(1, sizeof(*t));

	t->n = n;
	t->fail = fail;
	t->released = released;
	return t;
}

/* Echoes "METHOD PATH q=<query q> h=<header X-T> len=<body length>"; on
 * /stream, answers the stream of ?n= pieces failing at ?fail= (app: the
 * release counter). */
static void
echo_handler(void *app, const struct http_request *req, struct http_response *resp)
{
	const char *q = req->get_query(req, "q");
	const char *h = req->get_header(req, "x-t");
	char line[256];

	if (strcmp(req->path, "/stream") == 0) {
		const char *n = req->get_query(req, "n"), *f = req->get_query(req, "fail");

		http_response_stream(resp, 200, "text/plain", stream_fill, stream_release,
				     stream_new(n != NULL ? atoi(n) : 0, f != NULL ? atoi(f) : -1, app));
		return;
	}
	snprintf(line, sizeof(line), "%s %s q=%s h=%s len=%zu", req->method, req->path,
		 q != NULL ? q : "-", h != NULL ? h : "-", req->body_len);
	http_response_text(resp, 200, "text/plain", line);
}

struct reply {
	long status;
	struct buf body;
	CURLcode rc;
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;

	buf_append(&r->body, p, size * n);
	return size * n;
}

/* Sends one request; body may be NULL (GET).  chunked: no Content-Length. */
static void
do_request(unsigned port, const char *path, const char *body, size_t len,
	   int chunked, struct reply *r)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	char url[256];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	buf_init(&r->body, 4 << 20);
	r->status = 0;
	hd = curl_slist_append(hd, "X-T: hdr");
	hd = curl_slist_append(hd, "Expect:");
	if (chunked)
		hd = curl_slist_append(hd, "Transfer-Encoding: chunked");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		if (!chunked)
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	r->rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
}

/* A server on 127.0.0.1:0 answering with echo_handler (app: its release
 * counter for /stream, may be NULL when /stream is not asked). */
static struct http_server *
start_app(size_t max_body, atomic_int *app)
{
	struct http_server_config cfg;
	struct err err;
	struct http_server *s;

	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = "127.0.0.1:0";
	cfg.max_body = max_body;
	cfg.threads = 2;
	cfg.handler = echo_handler;
	cfg.app = app;
	s = http_server_start(&cfg, &err);
	if (s == NULL)
		fail_msg("start: %s", err.msg);
	assert_true(http_server_port(s) > 0);
	return s;
}

static struct http_server *
start(size_t max_body)
{
	return start_app(max_body, NULL);
}

static void
test_http_server_passes_method_path_query_header_body(void **state)
{
	struct http_server *s = start(100);
	struct reply r;

	(void)state;
	do_request(http_server_port(s), "/a/b?q=x%20y", "hello", 5, 0, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body.data, "POST /a/b q=x y h=hdr len=5");
	buf_free(&r.body);
	do_request(http_server_port(s), "/", NULL, 0, 0, &r);
	assert_string_equal(r.body.data, "GET / q=- h=hdr len=0");
	buf_free(&r.body);
	http_server_stop(&s);
	assert_null(s);
}

/* The stream cases: pieces made, the piece whose fill fails (-1: none). */
static const struct {
	int n, fail;
} stream_cases[] = {
	{ 0, -1 }, { 1, -1 }, { 20, -1 }, /* 200 000 bytes: several 64 KiB blocks */
	{ 20, 0 }, { 20, 7 },
};

/* Whether b is the stream of n pieces (piece i all 'a' + i % 26). */
static int
is_stream(const char *b, size_t len, int n)
{
	if (len != (size_t)n * PIECE)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (b[i] != 'a' + (int)(i / PIECE) % 26)
			return 0;
	return 1;
}

static void
test_http_server_sends_stream_bodies(void **state)
{
	atomic_int released = 0;
	struct http_server *s = start_app(100, &released);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stream_cases) / sizeof(stream_cases[0]); i++) {
		struct reply r;
		char path[64];

		snprintf(path, sizeof(path), "/stream?n=%d&fail=%d", stream_cases[i].n,
			 stream_cases[i].fail);
		do_request(http_server_port(s), path, NULL, 0, 0, &r);
		assert_int_equal(r.status, 200);
		if (stream_cases[i].fail < 0) {
			assert_int_equal(r.rc, CURLE_OK);
			assert_true(is_stream(r.body.data != NULL ? r.body.data : "", r.body.len,
					      stream_cases[i].n));
		} else {
			/* a failed stream is a cut answer, not a complete-looking one */
			assert_int_not_equal(r.rc, CURLE_OK);
			assert_true(r.body.len < (size_t)stream_cases[i].n * PIECE);
		}
		buf_free(&r.body);
	}
	http_server_stop(&s);
	assert_int_equal(atomic_load(&released), (int)i);
}

static void
test_http_response_collects_and_releases_streams(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(stream_cases) / sizeof(stream_cases[0]); i++) {
		atomic_int released = 0;
		struct http_response resp;
		int n = stream_cases[i].n, fail = stream_cases[i].fail;

		http_response_init(&resp);
		http_response_stream(&resp, 200, "text/plain", stream_fill, stream_release,
				     stream_new(n, fail, &released));
		assert_int_equal(http_response_collect(&resp), fail < 0 ? 0 : -1);
		assert_int_equal(atomic_load(&released), 1);
		assert_int_equal(resp.status, fail < 0 ? 200 : 500);
		if (fail < 0)
			assert_true(is_stream(resp.body.data != NULL ? resp.body.data : "",
					      resp.body.len, n));
		http_response_cleanup(&resp);
		assert_int_equal(atomic_load(&released), 1);
		/* a stream never sent nor collected is released by the cleanup */
		http_response_init(&resp);
		http_response_stream(&resp, 200, "text/plain", stream_fill, stream_release,
				     stream_new(n, fail, &released));
		http_response_cleanup(&resp);
		assert_int_equal(atomic_load(&released), 2);
	}
}

static void
test_http_server_refuses_declared_body_over_limit_with_413(void **state)
{
	struct http_server *s = start(100);
	struct reply r;
	char *big = xmalloc(101);

	(void)state;
	memset(big, 'a', 101);
	do_request(http_server_port(s), "/", big, 101, 0, &r);
	assert_int_equal(r.status, 413);
	buf_free(&r.body);
	do_request(http_server_port(s), "/", big, 100, 0, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body.data, "len=100"));
	buf_free(&r.body);
	free(big);
	http_server_stop(&s);
}

/* A Content-Length over the limit is refused before any body byte is
 * sent: the client sends only the head and must get 413 at once (the
 * server would otherwise wait for the body, and this read time out). */
static void
test_http_server_refuses_declared_body_before_reading_it(void **state)
{
	struct http_server *s = start(100);
	static const char head[] = "POST / HTTP/1.1\r\nHost: x\r\n"
				   "Content-Length: 1000000\r\n\r\n";
	struct sockaddr_in a;
	struct timeval tv = { .tv_sec = 3 };
	char got[256];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)http_server_port(s));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(write(fd, head, sizeof(head) - 1), (ssize_t)(sizeof(head) - 1));
	n = read(fd, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_memory_equal(got, "HTTP/1.1 413", 12);
	close(fd);
	http_server_stop(&s);
}

static void
test_http_server_refuses_chunked_body_over_limit_with_413(void **state)
{
	struct http_server *s = start(100);
	struct reply r;
	char big[300];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	do_request(http_server_port(s), "/", big, 0, 1, &r);
	assert_int_equal(r.status, 413);
	buf_free(&r.body);
	http_server_stop(&s);
}

static void
test_http_server_parse_listen_table(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *host;
		unsigned port;
	} cases[] = {
		{ "127.0.0.1:8460", 0, "127.0.0.1", 8460 },
		{ "[::1]:80", 0, "::1", 80 },
		{ ":0", 0, "", 0 },
		{ "localhost:65535", 0, "localhost", 65535 },
		{ "127.0.0.1", -1, NULL, 0 },
		{ "127.0.0.1:", -1, NULL, 0 },
		{ "127.0.0.1:65536", -1, NULL, 0 },
		{ "127.0.0.1:8x", -1, NULL, 0 },
		{ "[::1:80", -1, NULL, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[64];
		unsigned port = 1;
		struct err err;
		int rc = http_server_parse_listen(cases[i].in, host, sizeof(host), &port, &err);

		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		}
	}
}

static void
test_http_server_start_fails_on_port_in_use(void **state)
{
	struct http_server *a = start(10), *b;
	struct http_server_config cfg;
	struct err err;
	char listen[64];

	(void)state;
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", http_server_port(a));
	memset(&cfg, 0, sizeof(cfg));
	cfg.listen = listen;
	cfg.handler = echo_handler;
	b = http_server_start(&cfg, &err);
	assert_null(b);
	assert_non_null(strstr(err.msg, "cannot listen"));
	http_server_stop(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_server_passes_method_path_query_header_body),
		cmocka_unit_test(test_http_server_refuses_declared_body_over_limit_with_413),
		cmocka_unit_test(test_http_server_refuses_declared_body_before_reading_it),
		cmocka_unit_test(test_http_server_refuses_chunked_body_over_limit_with_413),
		cmocka_unit_test(test_http_server_sends_stream_bodies),
		cmocka_unit_test(test_http_response_collects_and_releases_streams),
		cmocka_unit_test(test_http_server_parse_listen_table),
		cmocka_unit_test(test_http_server_start_fails_on_port_in_use),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
