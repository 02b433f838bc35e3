/*
 * imap: IMAP over libcurl (see imap.h).  Commands other than FETCH go
 * through CURLOPT_CUSTOMREQUEST, whose untagged response lines libcurl
 * hands to the write callback; a FETCH uses the URL form ".../;UID=n",
 * whose literal libcurl decodes.  libcurl only re-SELECTs when the URL's
 * mailbox differs from the one it selected, so after an explicit EXAMINE
 * the URL-form FETCH runs on the read-only mailbox and sets no \Seen.
 * Every response is read into a buffer bounded by max_message.
 */
#include "ingest/imap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/xalloc.h"

struct imap {
	CURL *curl;
	char *base_url;      /* scheme://host:port/ESCAPED-MAILBOX */
	char *mailbox;       /* as given, for commands */
	char *key;           /* user@host:port/mailbox */
	char *user;
	char *password;
	char *cacert;
	size_t max;
	long timeout;
	int examined;        /* the mailbox is open read-only (EXAMINE) */
	int reconnected;     /* a command failed: libcurl may have reconnected
			      * and re-SELECTed read-write */
	struct buf resp;
	char curl_err[CURL_ERROR_SIZE];
};

static size_t
on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct imap *m = ctx;

	if (buf_append(&m->resp, p, size * n) != 0)
		return 0;  /* makes libcurl fail with CURLE_WRITE_ERROR */
	return size * n;
}

/* Splits the URL with libcurl's parser and builds the handle's strings. */
static int
parse_url(struct imap *m, const struct imap_options *o, struct err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *path = NULL;
	char *esc = NULL;
	const char *mailbox;
	int ret = -1;

	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		err_set(err, "%s: not a URL (want imaps://host[:port][/MAILBOX])", o->url);
		goto out;
	}
	if (strcmp(scheme, "imaps") != 0 && strcmp(scheme, "imap") != 0) {
		err_set(err, "%s: scheme must be imaps:// or imap:// (STARTTLS)", o->url);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
	curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
	if (o->user != NULL && o->user[0] != '\0')
		m->user = xstrdup(o->user);
	else if (user != NULL && user[0] != '\0')
		m->user = xstrdup(user);
	else {
		err_set(err, "%s: no user name (give --user or user@ in the URL)", o->url);
		goto out;
	}
	if (o->mailbox != NULL && o->mailbox[0] != '\0')
		mailbox = o->mailbox;
	else if (path != NULL && path[0] == '/' && path[1] != '\0')
		mailbox = path + 1;
	else
		mailbox = "INBOX";
	m->mailbox = xstrdup(mailbox);
	esc = curl_easy_escape(NULL, mailbox, 0);
	m->base_url = xasprintf("%s://%s:%s/%s", scheme, host, port ? port : "",
				esc ? esc : "INBOX");
	/* No port: imaps:// and imap:// (STARTTLS) reach the same mailbox. */
	m->key = xasprintf("%s@%s/%s", m->user, host, mailbox);
	ret = 0;
out:
	curl_free(esc);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

struct imap *
imap_open(const struct imap_options *o, struct err *err)
{
	struct imap *m = xcalloc(1, sizeof(*m));

	if (o->url == NULL || parse_url(m, o, err) != 0) {
		if (o->url == NULL)
			err_set(err, "no IMAP URL given");
		imap_close(&m);
		return NULL;
	}
	m->password = xstrdup(o->password ? o->password : "");
	m->cacert = xstrdup(o->cacert);
	m->max = o->max_message;
	m->timeout = o->timeout_seconds > 0 ? o->timeout_seconds : 60;
	buf_init(&m->resp, m->max);
	m->curl = curl_easy_init();
	if (m->curl == NULL) {
		err_set(err, "cannot initialise libcurl");
		imap_close(&m);
		return NULL;
	}
	curl_easy_setopt(m->curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(m->curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	curl_easy_setopt(m->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(m->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (m->cacert != NULL)
		curl_easy_setopt(m->curl, CURLOPT_CAINFO, m->cacert);
	curl_easy_setopt(m->curl, CURLOPT_USERNAME, m->user);
	curl_easy_setopt(m->curl, CURLOPT_PASSWORD, m->password);
	curl_easy_setopt(m->curl, CURLOPT_TIMEOUT, m->timeout);
	curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, m);
	curl_easy_setopt(m->curl, CURLOPT_ERRORBUFFER, m->curl_err);
	return m;
}

void
imap_close(struct imap **mp)
{
	struct imap *m = mp ? *mp : NULL;

	if (m == NULL)
		return;
	if (m->curl != NULL)
		curl_easy_cleanup(m->curl);
	if (m->password != NULL)
		memset(m->password, 0, strlen(m->password));
	free(m->password);
	free(m->base_url);
	free(m->mailbox);
	free(m->key);
	free(m->user);
	free(m->cacert);
	buf_free(&m->resp);
	free(m);
	*mp = NULL;
}

const char *
imap_mailbox_key(const struct imap *m)
{
	return m->key;
}

/* Runs one request; the response is in m->resp.  what names it in errors.
 * Returns 0, -2 when the response is larger than m->max, or -1. */
static int
perform(struct imap *m, const char *url, const char *custom, const char *what,
	struct err *err)
{
	CURLcode rc;

	buf_reset(&m->resp);
	m->curl_err[0] = '\0';
	curl_easy_setopt(m->curl, CURLOPT_URL, url);
	curl_easy_setopt(m->curl, CURLOPT_CUSTOMREQUEST, custom);
	rc = curl_easy_perform(m->curl);
	if (rc != CURLE_OK)
		m->reconnected = 1;
	if (rc == CURLE_WRITE_ERROR) {
		err_set(err, "%s: %s: response larger than the %zu bytes limit",
			m->key, what, m->max);
		return -2;
	}
	if (rc == CURLE_USE_SSL_FAILED) {
		err_set(err, "%s: the server offers no STARTTLS: refusing to log in, the "
			"password would go in clear (use imaps://, or a server with STARTTLS)",
			m->key);
		return -1;
	}
	if (rc != CURLE_OK) {
		err_set(err, "%s: %s: %s", m->key, what,
			m->curl_err[0] ? m->curl_err : curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* The mailbox as an IMAP quoted string (RFC 3501 §4.3). */
static char *
quoted(const char *s)
{
	struct buf b;
	size_t len;

	buf_init(&b, (size_t)-1 / 2);
	buf_append(&b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_append(&b, "\\", 1);
		if (*s != '\r' && *s != '\n')
			buf_append(&b, s, 1);
	}
	buf_append(&b, "\"", 1);
	return buf_steal(&b, &len);
}

int
imap_examine(struct imap *m, uint64_t *uidvalidity_out, struct err *err)
{
	char *cmd, *q = quoted(m->mailbox);
	const char *v;
	int rc;

	cmd = xasprintf("EXAMINE %s", q);
	m->reconnected = 0;
	rc = perform(m, m->base_url, cmd, "EXAMINE", err);
	free(cmd);
	free(q);
	if (rc != 0)
		return -1;
	m->examined = 1;
	v = m->resp.data ? strstr(m->resp.data, "[UIDVALIDITY ") : NULL;
	if (v == NULL) {
		err_set(err, "%s: EXAMINE: the server gave no UIDVALIDITY", m->key);
		return -1;
	}
	*uidvalidity_out = strtoull(v + 13, NULL, 10);
	return 0;
}

int
imap_search_reports(struct imap *m, uint64_t after_uid, uint64_t **uids_out,
		    size_t *n_out, struct err *err)
{
	char *cmd;
	const char *p;
	uint64_t *uids = NULL;
	size_t n = 0, cap = 0;

	*uids_out = NULL;
	*n_out = 0;
	/* "n:*" also matches the highest UID when n is above it: filtered below. */
	cmd = xasprintf("UID SEARCH UID %llu:* OR HEADER TLS-Report-Domain \"\" "
			"SUBJECT \"Report Domain:\"", (unsigned long long)after_uid + 1);
	if (perform(m, m->base_url, cmd, "UID SEARCH", err) != 0) {
		free(cmd);
		return -1;
	}
	free(cmd);
	for (p = m->resp.data; p != NULL && (p = strstr(p, "* SEARCH")) != NULL;) {
		p += 8;
		while (*p == ' ') {
			char *end;
			unsigned long long uid;

			errno = 0;
			uid = strtoull(p + 1, &end, 10);
			if (end == p + 1 || errno != 0)
				break;
			p = end;
			if (uid <= after_uid)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				uids = xreallocarray(uids, cap, sizeof(*uids));
			}
			uids[n++] = uid;
		}
	}
	*uids_out = uids;
	*n_out = n;
	return 0;
}

int
imap_fetch(struct imap *m, uint64_t uid, struct buf *out, struct err *err)
{
	char *url = xasprintf("%s/;UID=%llu", m->base_url, (unsigned long long)uid);
	char what[64];
	int rc;

	buf_init(out, m->max);
	snprintf(what, sizeof(what), "UID FETCH %llu", (unsigned long long)uid);
	/* After a failure libcurl may be on a new connection where it SELECTed
	 * the mailbox itself (read-write): EXAMINE again so FETCH sets no \Seen. */
	if (m->examined && m->reconnected) {
		uint64_t validity;

		if (imap_examine(m, &validity, err) != 0) {
			free(url);
			return -1;
		}
	}
	rc = perform(m, url, NULL, what, err);
	free(url);
	if (rc == -2)
		return 1;       /* larger than the limit: it never will fit */
	if (rc != 0)
		return -1;
	/* Hand the response over; the handle's buffer starts again empty. */
	*out = m->resp;
	buf_init(&m->resp, m->max);
	return 0;
}

int
imap_select(struct imap *m, struct err *err)
{
	char *q = quoted(m->mailbox), *cmd = xasprintf("SELECT %s", q);
	int rc = perform(m, m->base_url, cmd, "SELECT", err);

	m->examined = 0;
	free(cmd);
	free(q);
	return rc == 0 ? 0 : -1;
}

/* Longest UID set put in one command (RFC 7162 §4 asks clients to keep a
 * command line under 8 192 octets). */
#define IMAP_UID_SET_MAX 4000

/* Appends to b the UIDs uids[*i..n) as an IMAP sequence set ("3:5,9"),
 * consecutive UIDs as ranges, until the set would pass IMAP_UID_SET_MAX
 * bytes; advances *i past the UIDs taken (at least one). */
static void
uid_set(struct buf *b, const uint64_t *uids, size_t n, size_t *i)
{
	while (*i < n && b->len < IMAP_UID_SET_MAX) {
		size_t j = *i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (b->len > 0)
			buf_append(b, ",", 1);
		if (j == *i)
			buf_printf(b, "%llu", (unsigned long long)uids[*i]);
		else
			buf_printf(b, "%llu:%llu", (unsigned long long)uids[*i],
				   (unsigned long long)uids[j]);
		*i = j + 1;
	}
}

int
imap_mark_seen_uids(struct imap *m, const uint64_t *uids, size_t n, struct err *err)
{
	struct buf set;
	size_t i = 0;
	int rc = 0;

	buf_init(&set, IMAP_UID_SET_MAX * 2);
	while (rc == 0 && i < n) {
		char *cmd;

		buf_reset(&set);
		uid_set(&set, uids, n, &i);
		cmd = xasprintf("UID STORE %s +FLAGS.SILENT (\\Seen)", set.data);
		rc = perform(m, m->base_url, cmd, "UID STORE \\Seen", err);
		free(cmd);
	}
	buf_free(&set);
	return rc == 0 ? 0 : -1;
}

int
imap_mark_seen(struct imap *m, uint64_t uid, struct err *err)
{
	return imap_mark_seen_uids(m, &uid, 1, err);
}

int
imap_move_uids(struct imap *m, const uint64_t *uids, size_t n, const char *folder,
	       struct err *err)
{
	char *q = quoted(folder);
	struct buf set;
	size_t i = 0;
	int rc = 0, created = 0;

	buf_init(&set, IMAP_UID_SET_MAX * 2);
	while (rc == 0 && i < n) {
		char *cmd;

		buf_reset(&set);
		uid_set(&set, uids, n, &i);
		cmd = xasprintf("UID MOVE %s %s", set.data, q);
		rc = perform(m, m->base_url, cmd, "UID MOVE", err);
		if (rc != 0 && !created) {
			/* The folder may not exist yet (RFC 3501 [TRYCREATE]):
			 * create it and try once more; the second error is the
			 * one reported. */
			char *create = xasprintf("CREATE %s", q);
			struct err cerr;

			(void)perform(m, m->base_url, create, "CREATE", &cerr);
			free(create);
			created = 1;
			rc = perform(m, m->base_url, cmd, "UID MOVE", err);
		}
		free(cmd);
	}
	buf_free(&set);
	free(q);
	return rc == 0 ? 0 : -1;
}

int
imap_move(struct imap *m, uint64_t uid, const char *folder, struct err *err)
{
	return imap_move_uids(m, &uid, 1, folder, err);
}
