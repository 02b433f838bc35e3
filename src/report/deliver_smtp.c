/*
 * deliver_smtp: libcurl SMTP upload of one message, in one transaction to
 * one or several recipients (see deliver_smtp.h).  Which recipients a
 * server refused, and whether a 5xx answered RCPT TO rather than MAIL
 * FROM or DATA, is read from libcurl's protocol trace (smtp_rcpt_log.h):
 * libcurl has no other way to tell.
 */
#include "report/deliver_smtp.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "report/smtp_rcpt_log.h"
#include "util/xalloc.h"

/* curl 8.2 fixed the option's spelling; 7.69 to 8.1 know only this one. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

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

/* libcurl's trace (CURLOPT_VERBOSE): commands and replies go to the log;
 * nothing is printed. */
static int
trace_cb(CURL *h, curl_infotype type, char *data, size_t size, void *ctx)
{
	(void)h;
	if (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN)
		smtp_rcpt_log_feed(ctx, type == CURLINFO_HEADER_OUT, data, size);
	return 0;
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

/* The elements of l joined by sep.  New string. */
static char *
join(const struct strlist *l, const char *sep)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < l->n; i++) {
		t = xasprintf("%s%s%s", s, i > 0 ? sep : "", l->v[i]);
		free(s);
		s = t;
	}
	return s;
}

/* Appends "ADDRESS: REPLY" to out for each recipient of rcpts that the
 * trace does not show accepted (2xx to its RCPT TO). */
static void
find_refused(const struct strlist *rcpts, const struct smtp_rcpt_log *log,
	     struct strlist *out)
{
	const char *reply;
	size_t i;

	for (i = 0; i < rcpts->n; i++) {
		reply = i < log->reply.n ? log->reply.v[i] : NULL;
		if (reply != NULL && smtp_rcpt_log_accepted(reply))
			continue;
		strlist_addf(out, "%s: %s", rcpts->v[i],
			     reply == NULL ? "no reply seen in libcurl's trace, may be refused" :
			     reply[0] != '\0' ? reply : "no reply");
	}
}

/* 1 if the trace shows a reply to the RCPT TO of every recipient and each
 * is a permanent refusal (5xx): the failure was the recipients', not one
 * of MAIL FROM, DATA or the connection. */
static int
all_rcpts_refused_for_good(const struct strlist *rcpts, const struct smtp_rcpt_log *log)
{
	size_t i;

	if (log->reply.n != rcpts->n)
		return 0;
	for (i = 0; i < log->reply.n; i++)
		if (log->reply.v[i][0] != '5')
			return 0;
	return 1;
}

/* deliver_smtp_many(), and *rcpt_refused set (when not NULL) as
 * deliver_smtp() says. */
static enum deliver_result
send_mail(const struct smtp_options *o, const char *mail_from, const struct strlist *rcpts,
	  const char *msg, size_t len, struct strlist *refused_out, int *rcpt_refused,
	  struct err *err)
{
	CURL *h;
	struct curl_slist *list = NULL;
	struct smtp_rcpt_log log = { 0 };
	struct upload up = { msg, len };
	char cerr[CURL_ERROR_SIZE] = "";
	char *url, *from = xasprintf("<%s>", mail_from), *what = NULL;
	struct strlist refused = { 0 };
	long code = 0;
	CURLcode rc;
	size_t i;
	enum deliver_result ret = DELIVER_TEMPFAIL;
	/* a password goes out only over TLS, unless explicitly allowed */
	int tls_for_auth = o->user != NULL && !o->auth_plaintext &&
			   strncasecmp(o->url, "smtps://", 8) != 0;

	url = url_with_helo(o->url, o->helo);
	if ((h = curl_easy_init()) == NULL) {
		err_set(err, "smtp %s: curl_easy_init failed", o->url);
		goto out;
	}
	for (i = 0; i < rcpts->n; i++)
		list = curl_slist_append(list, rcpts->v[i]);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, list);
	if (rcpts->n > 1)
		curl_easy_setopt(h, RCPT_ALLOWFAILS, 1L);
	/* the trace tells a refused recipient from a refused MAIL FROM or DATA */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, trace_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &log);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 120L);
	curl_easy_setopt(h, CURLOPT_USE_SSL, o->require_tls || tls_for_auth ? (long)CURLUSESSL_ALL
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
	if (rcpts->n > 1)
		find_refused(rcpts, &log, &refused);
	if (rc == CURLE_USE_SSL_FAILED && tls_for_auth && !o->require_tls) {
		err_set(err, "smtp %s: the server offers no STARTTLS: refusing to send the "
			"AUTH password for %s in clear (allow it with *_smtp_auth_plaintext = yes "
			"or --smtp-auth-plaintext)", o->url, o->user);
		goto out;
	}
	if (rc != CURLE_OK) {
		int perm = code >= 500 && code < 600;
		int by_rcpt = perm && all_rcpts_refused_for_good(rcpts, &log);

		if (rcpts->n > 1 && refused.n == rcpts->n && log.reply.n == rcpts->n) {
			what = join(&refused, "; ");
			err_set(err, "smtp %s: every recipient refused: %s", o->url, what);
		} else {
			what = join(rcpts, ", ");
			err_set(err, "smtp %s: to %s: %s%s", o->url, what,
				cerr[0] ? cerr : curl_easy_strerror(rc),
				by_rcpt ? " (permanent: the recipient was refused)" :
				perm ? " (permanent: refused, though not the recipient)" : "");
		}
		if (rcpt_refused != NULL)
			*rcpt_refused = by_rcpt;
		ret = perm ? DELIVER_PERMFAIL : DELIVER_TEMPFAIL;
		goto out;
	}
	for (i = 0; i < refused.n && refused_out != NULL; i++)
		strlist_add(refused_out, refused.v[i]);
	ret = DELIVER_OK;
out:
	curl_slist_free_all(list);
	if (h)
		curl_easy_cleanup(h);
	smtp_rcpt_log_clear(&log);
	strlist_clear(&refused);
	free(what);
	free(url);
	free(from);
	return ret;
}

enum deliver_result
deliver_smtp_many(const struct smtp_options *o, const char *mail_from,
		  const struct strlist *rcpts, const char *msg, size_t len,
		  struct strlist *refused_out, struct err *err)
{
	return send_mail(o, mail_from, rcpts, msg, len, refused_out, NULL, err);
}

enum deliver_result
deliver_smtp(const struct smtp_options *o, const char *mail_from, const char *rcpt,
	     const char *msg, size_t len, int *rcpt_refused, struct err *err)
{
	struct strlist one = { 0 };
	enum deliver_result ret;

	if (rcpt_refused != NULL)
		*rcpt_refused = 0;
	strlist_add(&one, rcpt);
	ret = send_mail(o, mail_from, &one, msg, len, NULL, rcpt_refused, err);
	strlist_clear(&one);
	return ret;
}
