/*
 * outbound: the delivery half of the reporter (see reporter.h): due
 * lookups get their destinations, due deliveries are claimed (committed as
 * "sending" first, so never sent twice), attempted, and recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "report/deliver_https.h"
#include "report/deliver_sendmail.h"
#include "report/deliver_smtp.h"
#include "report/gzip.h"
#include "report/reporter.h"
#include "report/reporter_private.h"
#include "report/rua.h"
#include "report/schedule.h"
#include "store/store_outbox.h"
#include "util/log.h"
#include "util/xalloc.h"

#define BATCH 256

/* Retries the TLSRPT lookups that are due; a lookup deferred again counts
 * in st->deferred, one that gives up in st->lookup_given_up. */
static int
run_lookups(struct reporter *r, struct store *s, int64_t now, struct reporter_stats *st,
	    struct err *err)
{
	struct outbox_item *it = NULL;
	size_t n = 0;
	int ret = 0;

	if (r->dns == NULL)
		return 0;
	if (store_outbox_lookups_due(s, now, BATCH, &it, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct strlist dests = { 0 };
		struct err why = { "" };
		enum rua_lookup_result lr = rua_lookup(r->dns, it[i].policy_domain, &dests, &why);
		int64_t next = 0;

		if (lr == RUA_TEMPFAIL)
			next = schedule_next_try(now, it[i].first_try, it[i].attempts,
						 r->cfg.retry_for);
		if (lr != RUA_FOUND)
			log_warn("report-id=%s: %s%s", it[i].report_id, why.msg,
				 lr == RUA_TEMPFAIL && next ? " (will retry)" : " (dropped)");
		if (lr == RUA_TEMPFAIL && next)
			st->deferred++;
		else if (lr == RUA_TEMPFAIL)
			st->lookup_given_up++;
		ret = store_outbox_set_lookup(s, it[i].report_id, lr == RUA_FOUND ? &dests : NULL,
					      now, next, lr == RUA_FOUND ? NULL : why.msg, err);
		strlist_clear(&dests);
	}
	store_outbox_items_free(it, n);
	return ret;
}

/* One attempt; *by_dest is set when a permanent failure is the
 * destination's refusal (SMTP 5xx to RCPT TO, HTTPS 4xx), not our own
 * problem nor our relay's (SMTP 5xx to MAIL FROM or DATA). */
static enum deliver_result
attempt(struct reporter *r, const struct outbox_item *it, const char *json, int64_t now,
	int *by_dest, struct err *err)
{
	struct buf b;
	enum deliver_result res = DELIVER_TEMPFAIL;

	buf_init(&b, REPORTER_MAX_SIZE * 2);
	if (strncmp(it->destination, "mailto:", 7) == 0) {
		const char *to = it->destination + 7;

		if (reporter_build_mail(r, it->report_id, it->policy_domain, it->day, json, to,
					now, &b, err) < 0) {
			res = DELIVER_PERMFAIL;   /* too big or not an address: final */
			goto out;
		}
		if (r->cfg.smtp.url != NULL) {
			res = deliver_smtp(&r->cfg.smtp, r->from, to, b.data, b.len, by_dest, err);
		} else
			res = deliver_sendmail(r->cfg.sendmail, b.data, b.len, r->cfg.smtp.timeout, err);
	} else {
		if (r->cfg.uncompressed ? buf_append_str(&b, json) < 0
					: gzipper_run(r->gzip, json, strlen(json), &b, err) < 0) {
			res = DELIVER_PERMFAIL;
			goto out;
		}
		res = deliver_https(it->destination, b.data, b.len, !r->cfg.uncompressed,
				    &r->cfg.https, err);
		*by_dest = res == DELIVER_PERMFAIL;
	}
out:
	buf_free(&b);
	return res;
}

/* The time an attempt is made at: the configured clock's (a run lasts; the
 * lease of a claim must count from the claim), never before the run's now. */
static int64_t
attempt_time(const struct reporter *r, int64_t now)
{
	int64_t t;

	if (r->cfg.clock == NULL)
		return now;
	t = r->cfg.clock->now(r->cfg.clock->ctx);
	return t > now ? t : now;
}

/* Puts a destination that refused for good on the suppression list for
 * cfg.suppress_days (logged once: later deliveries are skipped). */
static int
suppress_refuser(struct reporter *r, struct store *s, const struct outbox_item *it,
		 int64_t at, const char *why, struct err *err)
{
	int64_t until = at + r->cfg.suppress_days * 86400;
	char *comment;
	int rc;

	if (r->cfg.suppress_days <= 0)
		return 0;
	comment = xasprintf("automatic: %s", why);
	rc = store_outbox_suppress(s, it->destination, until, comment, err);
	free(comment);
	if (rc == 0)
		log_warn("%s refused a report for good: suppressed for %lld days (`tlsrpt send "
			 "--list-suppressed`, `--unsuppress %s` to lift it)", it->destination,
			 (long long)r->cfg.suppress_days, it->destination);
	return rc;
}

/* Returns 0, or -1 on a store error. */
static int
deliver_one(struct reporter *r, struct store *s, const struct outbox_item *it, int64_t now,
	    struct reporter_stats *st, struct err *err)
{
	struct err why = { "" };
	enum deliver_result res;
	const char *state = "sent";
	int64_t at, next, until;
	char *json;
	int rc, by_dest = 0;

	if (strncmp(it->destination, "mailto:", 7) == 0 && r->cfg.smtp.url == NULL &&
	    r->cfg.sendmail == NULL) {
		log_warn("report-id=%s: %s: no mail transport configured (smtp or sendmail)",
			 it->report_id, it->destination);
		return store_outbox_defer(s, it->id, now + 3600, "no mail transport configured",
					  err);
	}
	if ((rc = store_outbox_suppressed_until(s, it->destination, now, &until, err)) != 0) {
		if (rc < 0)
			return -1;
		log_info("report-id=%s: %s is suppressed until %lld: not sent", it->report_id,
			 it->destination, (long long)until);
		st->suppressed++;
		return store_outbox_skip_suppressed(s, it->id, err);
	}
	if ((json = store_outbox_json(s, it->report_id, err)) == NULL)
		return -1;
	next = at = attempt_time(r, now);
	if ((rc = store_outbox_claim(s, it->id, at, err)) <= 0) {
		free(json);
		return rc;
	}
	res = attempt(r, it, json, at, &by_dest, &why);
	free(json);
	if (res == DELIVER_OK) {
		st->sent++;
		log_info("report-id=%s: delivered to %s", it->report_id, it->destination);
	} else {
		if (res == DELIVER_TEMPFAIL)
			next = schedule_next_try(at, it->first_try ? it->first_try : at,
						 it->attempts + 1, r->cfg.retry_for);
		state = res == DELIVER_TEMPFAIL && next != 0 ? "pending" : "failed";
		if (state[0] == 'p')
			st->retry++;
		else
			st->failed++;
		log_warn("report-id=%s: delivery to %s failed%s: %s", it->report_id,
			 it->destination, state[0] == 'p' ? " (will retry)" : " (given up)",
			 why.msg);
	}
	rc = store_outbox_finish(s, it->id, state, next, res == DELIVER_OK ? NULL : why.msg, err);
	if (rc >= 0 && by_dest && suppress_refuser(r, s, it, at, why.msg, err) < 0)
		return -1;
	if (rc == 0)
		log_warn("report-id=%s: %s: the delivery was requeued (--retry-interrupted) while "
			 "this attempt ran; its outcome is not recorded", it->report_id,
			 it->destination);
	return rc < 0 ? -1 : 0;
}

/* Deliveries whose attempt never ended (the process died while sending):
 * requeued when the configuration says so, else warned about whenever
 * there are more of them than last warned about (once per `tlsrpt send`
 * run; in reportd, which checks at every pass, also when a lease runs out
 * after its first pass: a restart within the hour after a crash).  Not
 * retried by default: the report may have arrived (at most once). */
static int
interrupted(struct reporter *r, struct store *s, int64_t now, struct err *err)
{
	int64_t n = store_outbox_interrupted(s, now, r->cfg.retry_interrupted, err);

	if (n < 0)
		return -1;
	if (r->cfg.retry_interrupted) {
		if (n > 0)
			log_info("%lld interrupted deliveries put back for a retry", (long long)n);
		return 0;
	}
	if (n > r->interrupted_warned)
		log_warn("%lld deliveries were interrupted while sending (the process stopped "
			 "during the attempt) and are not retried, as the report may have arrived; "
			 "`tlsrpt send --list` shows them (state sending), `tlsrpt send "
			 "--retry-interrupted` sends them again", (long long)n);
	r->interrupted_warned = n;
	return 0;
}

int
reporter_run_due(struct reporter *r, struct store *s, int64_t now, struct reporter_stats *st,
		 struct err *err)
{
	struct outbox_item *it = NULL;
	size_t n = 0;
	int ret = 0;

	if (interrupted(r, s, now, err) < 0 || run_lookups(r, s, now, st, err) < 0)
		return -1;
	do {
		if (store_outbox_due(s, now, BATCH, &it, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n && ret == 0; i++)
			ret = deliver_one(r, s, &it[i], now, st, err);
		store_outbox_items_free(it, n);
	} while (ret == 0 && n == BATCH);
	/* finished reports are kept a while (for audit and so that a late
	 * regeneration of the same day is still seen as a duplicate) */
	if (ret == 0 && store_outbox_prune(s, now - REPORTER_KEEP_DAYS * 86400, err) < 0)
		ret = -1;
	return ret;
}
