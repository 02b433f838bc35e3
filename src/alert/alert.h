/*
 * alert: which failures deserve a mail, and remembering what was sent.
 *
 * Failures are grouped per (policy domain, result type, receiving MX) over
 * the stored reports of a window (dataset.h).  A group is alerted when its
 * failed sessions reach min_failures and its domain's failure rate in the
 * window reaches threshold_rate, and it is NEW: never alerted before, or
 * last alerted more than renotify seconds ago with failures seen since.
 * What was alerted is kept in the store (store_state namespace "alert"),
 * so a cron job never repeats the same alert.
 */
#ifndef TLSRPT_ALERT_ALERT_H
#define TLSRPT_ALERT_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "model/types.h"
#include "store/store.h"
#include "util/err.h"

#define ALERT_STATE_NS "alert"

struct alert_config {
	double threshold_rate;    /* 0..1; a domain's failed/(all) sessions */
	uint64_t min_failures;    /* failed sessions of one group; 0 = 1 */
	int64_t since;            /* window start (Unix seconds) */
	int64_t until;            /* window end; 0 = no end */
	int64_t now;              /* the time of this run */
	int64_t renotify;         /* seconds; 0 = never repeat */
	const char *domain;       /* only this policy domain ("": the policies
				   * without one), or NULL for all */
};

/* One failure group to alert about.  Strings owned by the item. */
struct alert_item {
	char *domain;
	char *result_type;
	enum result_type type;
	char *mx;
	uint64_t count;           /* failed sessions of this group in the window */
	uint64_t domain_success;  /* the domain's sessions in the window */
	uint64_t domain_failure;
	int64_t first_seen, last_seen;
	char *organizations;      /* reporters, ", "-separated */
	char *sending_ips;        /* ", "-separated, may be "" */
	char *explanation;
	char *fix;
	char *additional;         /* additional-information, or NULL */
	char *key;                /* the memory key */
};

struct alert_list {
	struct alert_item *v;
	size_t n;
};

/* Fills out (zeroed by the caller) with the new alert-worthy groups of the
 * window, most failed sessions first.  Returns the number found, or -1
 * with err set.  Release with alert_list_free(). */
int alert_find(struct store *st, const struct alert_config *cfg,
	       struct alert_list *out, struct err *err);

/* Records that the items of l were alerted at cfg->now. Returns 0 or -1. */
int alert_remember(struct store *st, const struct alert_config *cfg,
		   const struct alert_list *l, struct err *err);

/* Releases what l owns and zeroes it. */
void alert_list_free(struct alert_list *l);

#endif
