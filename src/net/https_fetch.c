/*
 * https_fetch: libcurl easy handle per request (see https_fetch.h).
 * The body is collected in a bounded struct buf: past max_body the write
 * callback refuses the data and the transfer ends with an error.
 */
#include "net/https_fetch.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

void
https_response_clear(struct https_response *r)
{
	free(r->body);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

struct sink {
	struct buf b;
	int too_large;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;

	if (buf_append(&s->b, data, size * nmemb) < 0) {
		s->too_large = 1;
		return 0;
	}
	return size * nmemb;
}

static struct curl_slist *
to_slist(const struct strlist *l)
{
	struct curl_slist *out = NULL, *t;
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++) {
		t = curl_slist_append(out, l->v[i]);
		if (t == NULL)
			break;
		out = t;
	}
	return out;
}

static int
is_cert_error(CURLcode c)
{
	return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
	    c == CURLE_SSL_ISSUER_ERROR || c == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

int
https_get(const struct https_options *o, const char *url,
    struct https_response *r, struct err *err)
{
	CURL *h = NULL;
	struct curl_slist *resolve = NULL, *connect_to = NULL;
	struct sink s;
	char errbuf[CURL_ERROR_SIZE] = "";
	char *ctype = NULL;
	size_t max = o->max_body ? o->max_body : HTTPS_MAX_BODY_DEFAULT;
	CURLcode c;
	int rc = -1;

	https_response_clear(r);
	buf_init(&s.b, max);
	s.too_large = 0;
	if (strncasecmp(url, "https://", 8) != 0) {
		err_set(err, "%s: not an https URL", url);
		goto out;
	}
	h = curl_easy_init();
	if (h == NULL) {
		err_set(err, "%s: curl_easy_init failed", url);
		goto out;
	}
	resolve = to_slist(o->resolve);
	connect_to = to_slist(o->connect_to);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);        /* RFC 8461 §3.3 */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : HTTPS_TIMEOUT_MS_DEFAULT);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tlsrpt-check");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->head_only)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (o->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
	if (resolve != NULL)
		curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	if (connect_to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to);
	c = curl_easy_perform(h);
	if (s.too_large || c == CURLE_FILESIZE_EXCEEDED) {
		err_set(err, "%s: body larger than %zu bytes", url, max);
		goto out;
	}
	if (c != CURLE_OK) {
		r->cert_error = is_cert_error(c);
		err_set(err, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(c));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != NULL)
		r->content_type = xstrdup(ctype);
	if (!o->head_only)
		r->body = buf_steal(&s.b, &r->body_len);
	rc = 0;
out:
	buf_free(&s.b);
	curl_slist_free_all(resolve);
	curl_slist_free_all(connect_to);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc;
}
