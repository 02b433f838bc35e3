/*
 * deliver_https: libcurl POST of a report (see deliver_https.h).
 * Only the https scheme is allowed, for the request and any redirect.
 */
#include "report/deliver_https.h"

#include <curl/curl.h>

/* Discards the response body; only the status matters. */
static size_t
discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

enum deliver_result
deliver_https(const char *url, const void *body, size_t len, int compressed,
	      const struct https_options *o, struct err *err)
{
	CURL *h;
	struct curl_slist *hdrs = NULL;
	char cerr[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	enum deliver_result ret = DELIVER_TEMPFAIL;

	if ((h = curl_easy_init()) == NULL) {
		err_set(err, "https %s: curl_easy_init failed", url);
		return DELIVER_TEMPFAIL;
	}
	hdrs = curl_slist_append(hdrs, compressed ? "Content-Type: application/tlsrpt+gzip"
						  : "Content-Type: application/tlsrpt+json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tlsrpt");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o && o->timeout > 0 ? o->timeout : 120L);
	if (o && o->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
	if (o && o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		err_set(err, "https %s: %s", url, cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		err_set(err, "https %s: HTTP status %ld%s", url, status,
			status >= 300 && status < 400 ? " (redirects are not followed)" :
			status >= 400 && status < 500 && status != 408 && status != 429 ?
			" (permanent)" : "");
		/* a client error is the endpoint's refusal for good, but for
		 * Request Timeout and Too Many Requests */
		if (status >= 400 && status < 500 && status != 408 && status != 429)
			ret = DELIVER_PERMFAIL;
		goto out;
	}
	ret = DELIVER_OK;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}
