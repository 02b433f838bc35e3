/*
 * deliver_smtp: libcurl SMTP upload of one message (see deliver_smtp.h).
 */
#include "report/deliver_smtp.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct upload {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *dst, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t k = size * n < u->left ? size * n : u->left;

	memcpy(dst, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* The URL with the EHLO name as its path (curl takes the EHLO name from
 * the path).  Returns a new string. */
static char *
url_with_helo(const char *url, const char *helo)
{
	const char *rest = strstr(url, "://");

	rest = rest ? rest + 3 : url;
	if (strchr(rest, '/') != NULL || helo == NULL)
		return xstrdup(url);
	return xasprintf("%s/%s", url, helo);
}

enum deliver_result
deliver_smtp(const struct smtp_options *o, const char *mail_from, const char *rcpt,
	     const char *msg, size_t len, struct err *err)
{
	CURL *h;
	struct curl_slist *rcpts = NULL;
	struct upload up = { msg, len };
	char cerr[CURL_ERROR_SIZE] = "";
	char *url, *from = xasprintf("<%s>", mail_from);
	long code = 0;
	CURLcode rc;
	enum deliver_result ret = DELIVER_TEMPFAIL;

	url = url_with_helo(o->url, o->helo);
	if ((h = curl_easy_init()) == NULL) {
		err_set(err, "smtp %s: curl_easy_init failed", o->url);
		goto out;
	}
	rcpts = curl_slist_append(rcpts, rcpt);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 120L);
	curl_easy_setopt(h, CURLOPT_USE_SSL, o->require_tls ? (long)CURLUSESSL_ALL
							  : (long)CURLUSESSL_TRY);
	if (o->user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->password ? o->password : "");
	}
	if (o->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
	if (o->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK) {
		err_set(err, "smtp %s: to %s: %s%s", o->url, rcpt,
			cerr[0] ? cerr : curl_easy_strerror(rc),
			code >= 500 && code < 600 ? " (permanent)" : "");
		ret = code >= 500 && code < 600 ? DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
		goto out;
	}
	ret = DELIVER_OK;
out:
	curl_slist_free_all(rcpts);
	if (h)
		curl_easy_cleanup(h);
	free(url);
	free(from);
	return ret;
}
