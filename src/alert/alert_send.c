/*
 * alert_send: SMTP submission with libcurl and the sendmail pipe
 * (see alert_send.h).  Both are bounded: SMTP has a 120 s timeout; the
 * sendmail child gets the message and is waited for.
 */
#include "alert/alert_send.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/xalloc.h"

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *out, size_t size, size_t n, void *ctx)
{
	struct reader *r = ctx;
	size_t k = size * n < r->left ? size * n : r->left;

	memcpy(out, r->p, k);
	r->p += k;
	r->left -= k;
	return k;
}

int
alert_send_smtp(const struct alert_smtp *o, const char *from, const struct strlist *rcpts,
		const char *msg, size_t len, struct err *err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *rl = NULL;
	struct reader rd = { msg, len };
	char ebuf[CURL_ERROR_SIZE] = "", *mail_from;
	CURLcode rc;
	size_t i;

	if (h == NULL) {
		err_set(err, "smtp: cannot initialise libcurl");
		return -1;
	}
	for (i = 0; i < rcpts->n; i++)
		rl = curl_slist_append(rl, rcpts->v[i]);
	mail_from = xasprintf("<%s>", from);
	curl_easy_setopt(h, CURLOPT_URL, o->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_USE_SSL, o->require_tls ? (long)CURLUSESSL_ALL :
			 (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	if (o->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
	if (o->user != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, o->password != NULL ? o->password : "");
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		err_set(err, "smtp %s: %s", o->url, ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_slist_free_all(rl);
	curl_easy_cleanup(h);
	free(mail_from);
	return rc == CURLE_OK ? 0 : -1;
}

/* Writes all of data[0..n) to fd.  Returns 0 or -1. */
static int
write_all(int fd, const char *data, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

int
alert_send_sendmail(const char *command, const char *msg, size_t len, struct err *err)
{
	struct buf lf;
	int fds[2], status = 0, wrc;
	pid_t pid;
	size_t i;

	buf_init(&lf, len + 1);
	for (i = 0; i < len; i++)
		if (!(msg[i] == '\r' && i + 1 < len && msg[i + 1] == '\n'))
			buf_append(&lf, &msg[i], 1);
	if (pipe(fds) != 0) {
		err_set(err, "sendmail: pipe: %s", strerror(errno));
		buf_free(&lf);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		err_set(err, "sendmail: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		buf_free(&lf);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	wrc = write_all(fds[1], lf.data != NULL ? lf.data : "", lf.len);
	close(fds[1]);
	buf_free(&lf);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wrc == 0)
		return 0;
	if (WIFEXITED(status))
		err_set(err, "sendmail command \"%.200s\" exited with status %d", command,
			WEXITSTATUS(status));
	else
		err_set(err, "sendmail command \"%.200s\" was killed by signal %d", command,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}
