/*
 * err: the error value every fallible function in src/ fills.
 *
 * A function that can fail takes `struct err *err` as its last argument and
 * returns -1 (or NULL); on failure it has written one human-readable line
 * into err->msg that says what failed, where and why (STYLE.md §3.4).
 * Callers may add context in front with err_prefix().  `err` may be NULL
 * when the caller does not want the message.
 */
#ifndef TLSRPT_UTIL_ERR_H
#define TLSRPT_UTIL_ERR_H

#define ERR_MSG_MAX 1024

struct err {
	char msg[ERR_MSG_MAX];
};

/* Replaces err->msg with the formatted text (truncated to fit). No-op if err is NULL. */
void err_set(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Puts the formatted text and ": " in front of err->msg. No-op if err is NULL. */
void err_prefix(struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empties err->msg. No-op if err is NULL. */
void err_clear(struct err *err);

#endif
