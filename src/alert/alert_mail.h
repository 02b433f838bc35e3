/*
 * alert_mail: the text of alert and digest mails, and the RFC 5322 message
 * around it (gmime 3: headers encoded, body in a text/plain UTF-8 part
 * with the transfer encoding gmime chooses; no hand-written MIME).
 */
#ifndef TLSRPT_ALERT_ALERT_MAIL_H
#define TLSRPT_ALERT_ALERT_MAIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/alert.h"
#include "model/strlist.h"
#include "util/err.h"

/* Plain-text body listing each item with what it means and how to fix it.
 * New string; caller frees with free(). */
char *alert_mail_body(const struct alert_list *l, const struct alert_config *cfg);

/* Subject line for l ("TLSRPT: 3 new TLS failures for example.com, …"). New string. */
char *alert_mail_subject(const struct alert_list *l);

/* Plain-text weekly digest of a dataset (dataset.h) for [since, until).
 * New string; caller frees with free(). */
char *alert_mail_digest_body(json_t *ds, int64_t since, int64_t until);

/* Parses an address list ("a@x, B <b@y>") into bare addresses appended to
 * out.  Returns the number added (>= 1), or -1 with err set. */
int alert_mail_addresses(const char *list, struct strlist *out, struct err *err);

/* Builds the message: From from, To to (address lists), Subject, Date now,
 * a Message-ID, Auto-Submitted: auto-generated, CRLF line ends.  Returns new
 * text (caller frees with free()) and its length in *len_out, or NULL with
 * err set when an address does not parse. */
char *alert_mail_compose(const char *from, const char *to, const char *subject,
			 const char *body, int64_t now, size_t *len_out, struct err *err);

#endif
