/*
 * alert_mail: alert and digest text, and the message around it (gmime).
 * The text is for people: each failure says where (domain, MX), how much
 * (failed sessions, the domain's failure rate), what it means and what to
 * do (model/explain.h, via the dataset).  Report content is put in as
 * plain text; the message is text/plain, so nothing in it is markup.
 */
#include "alert/alert_mail.h"

#include <gmime/gmime.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/dataset.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define MAIL_TEXT_MAX (4u * 1024u * 1024u)

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_start(void)
{
	g_mime_init();
}

static double
pct(uint64_t bad, uint64_t ok)
{
	return ok + bad ? 100.0 * (double)bad / (double)(ok + bad) : 0.0;
}

char *
alert_mail_subject(const struct alert_list *l)
{
	struct buf b;
	size_t i, shown = 0;

	buf_init(&b, 998);
	buf_printf(&b, "TLSRPT: %zu new TLS failure%s for ", l->n, l->n == 1 ? "" : "s");
	for (i = 0; i < l->n && shown < 3; i++) {
		size_t j;
		int dup = 0;

		for (j = 0; j < i; j++)
			dup |= strcmp(l->v[j].domain, l->v[i].domain) == 0;
		if (dup)
			continue;
		buf_printf(&b, "%s%.100s", shown ? ", " : "",
			   *l->v[i].domain ? l->v[i].domain : "(unknown domain)");
		shown++;
	}
	if (i < l->n)
		buf_append_str(&b, ", …");
	return buf_steal(&b, NULL);
}

char *
alert_mail_body(const struct alert_list *l, const struct alert_config *cfg)
{
	struct buf b;
	char d1[11], d2[11];
	size_t i;

	buf_init(&b, MAIL_TEXT_MAX);
	buf_printf(&b, "SMTP TLS reports (RFC 8460) received for your domains show %zu new\n"
		   "kind%s of TLS failure when other mail servers delivered to you.\n\n",
		   l->n, l->n == 1 ? "" : "s");
	for (i = 0; i < l->n; i++) {
		const struct alert_item *it = &l->v[i];

		buf_printf(&b, "%zu. %s: %s", i + 1, *it->domain ? it->domain : "(unknown domain)",
			   it->result_type);
		if (*it->mx)
			buf_printf(&b, " at MX %s", it->mx);
		buf_printf(&b, "\n   %" PRIu64 " failed session%s (%s to %s); the domain's failure "
			   "rate: %.2f %% of %" PRIu64 " sessions.\n", it->count,
			   it->count == 1 ? "" : "s", dataset_day(it->first_seen, d1),
			   dataset_day(it->last_seen, d2),
			   pct(it->domain_failure, it->domain_success),
			   it->domain_success + it->domain_failure);
		if (*it->organizations)
			buf_printf(&b, "   Reported by: %s\n", it->organizations);
		if (*it->sending_ips)
			buf_printf(&b, "   Sending servers: %s\n", it->sending_ips);
		buf_printf(&b, "   What it means: %s\n   What to do: %s\n", it->explanation, it->fix);
		if (it->additional != NULL)
			buf_printf(&b, "   The reporter adds: %s\n", it->additional);
		buf_append_str(&b, "\n");
	}
	buf_printf(&b, "Window: reports from %s%s%s.  Thresholds: failure rate >= %.2f %%, "
		   ">= %" PRIu64 " failed session(s) per kind.\n"
		   "You get this mail once per kind of failure; `tlsrpt alert` remembers it.\n",
		   dataset_day(cfg->since, d1), cfg->until ? " to " : " on",
		   cfg->until ? dataset_day(cfg->until, d2) : "", cfg->threshold_rate * 100.0,
		   cfg->min_failures ? cfg->min_failures : 1);
	return buf_steal(&b, NULL);
}

static uint64_t
jnum(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && *s ? s : "(unknown)";
}

char *
alert_mail_digest_body(json_t *ds, int64_t since, int64_t until)
{
	struct buf b;
	char d1[11], d2[11];
	json_t *row;
	size_t i;
	uint64_t ok = jnum(ds, "success"), bad = jnum(ds, "failure");

	buf_init(&b, MAIL_TEXT_MAX);
	buf_printf(&b, "SMTP TLS reporting digest, %s to %s\n\n", dataset_day(since, d1),
		   dataset_day(until, d2));
	buf_printf(&b, "%" PRIu64 " reports; %" PRIu64 " successful and %" PRIu64
		   " failed TLS sessions (%.2f %% failed).\n\n", jnum(ds, "reports"), ok, bad,
		   pct(bad, ok));
	buf_append_str(&b, "By policy:\n");
	json_array_foreach(json_object_get(ds, "policies"), i, row) {
		if (i >= 50)
			break;
		buf_printf(&b, "  %-40s %-16s %10" PRIu64 " ok %8" PRIu64 " failed (%.2f %%)\n",
			   jstr(row, "domain"), jstr(row, "policy_type"), jnum(row, "success"),
			   jnum(row, "failure"), pct(jnum(row, "failure"), jnum(row, "success")));
	}
	buf_append_str(&b, "\nBy reporting organization:\n");
	json_array_foreach(json_object_get(ds, "organizations"), i, row) {
		if (i >= 50)
			break;
		buf_printf(&b, "  %-40s %6" PRIu64 " reports %10" PRIu64 " ok %8" PRIu64 " failed\n",
			   jstr(row, "organization"), jnum(row, "reports"), jnum(row, "success"),
			   jnum(row, "failure"));
	}
	if (json_array_size(json_object_get(ds, "failures")) == 0) {
		buf_append_str(&b, "\nNo failures were reported.\n");
		return buf_steal(&b, NULL);
	}
	buf_append_str(&b, "\nFailures:\n");
	json_array_foreach(json_object_get(ds, "failures"), i, row) {
		if (i >= 30)
			break;
		buf_printf(&b, "- %s: %s at MX %s: %" PRIu64 " failed sessions\n  %s\n  Fix: %s\n",
			   jstr(row, "domain"), jstr(row, "result_type"), jstr(row, "mx"),
			   jnum(row, "count"), jstr(row, "explanation"), jstr(row, "fix"));
	}
	return buf_steal(&b, NULL);
}

int
alert_mail_addresses(const char *list, struct strlist *out, struct err *err)
{
	InternetAddressList *l;
	int i, n, added = 0;

	pthread_once(&gmime_once, gmime_start);
	l = internet_address_list_parse(NULL, list);
	n = l != NULL ? internet_address_list_length(l) : 0;
	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);
		const char *addr;

		if (!INTERNET_ADDRESS_IS_MAILBOX(a))
			continue;
		addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
		if (addr == NULL || strchr(addr, '@') == NULL)
			continue;
		strlist_add(out, addr);
		added++;
	}
	if (l != NULL)
		g_object_unref(l);
	if (added == 0) {
		err_set(err, "\"%.200s\": no mail address found", list);
		return -1;
	}
	return added;
}

char *
alert_mail_compose(const char *from, const char *to, const char *subject,
		   const char *body, int64_t now, size_t *len_out, struct err *err)
{
	GMimeMessage *m = NULL;
	GMimeTextPart *tp = NULL;
	GMimeFormatOptions *fo = NULL;
	InternetAddressList *fl = NULL, *tl = NULL;
	GDateTime *dt = NULL;
	char *text = NULL, *out = NULL, *id = NULL;
	const char *at;

	pthread_once(&gmime_once, gmime_start);
	fl = internet_address_list_parse(NULL, from);
	tl = internet_address_list_parse(NULL, to);
	if (fl == NULL || internet_address_list_length(fl) != 1 ||
	    tl == NULL || internet_address_list_length(tl) < 1) {
		err_set(err, "%s address does not parse: \"%.200s\"",
			fl == NULL || internet_address_list_length(fl) != 1 ? "From" : "To",
			fl == NULL || internet_address_list_length(fl) != 1 ? from : to);
		goto out;
	}
	m = g_mime_message_new(TRUE);
	internet_address_list_append(g_mime_message_get_from(m), fl);
	internet_address_list_append(g_mime_message_get_to(m), tl);
	g_mime_message_set_subject(m, subject, "utf-8");
	dt = g_date_time_new_from_unix_utc(now);
	g_mime_message_set_date(m, dt);
	at = INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(fl, 0)) ?
		internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
			internet_address_list_get_address(fl, 0))) : NULL;
	at = at != NULL ? strrchr(at, '@') : NULL;
	id = g_mime_utils_generate_message_id(at != NULL && at[1] != '\0' ? at + 1 : "localhost");
	g_mime_message_set_message_id(m, id);
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
	tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(tp, body);
	g_mime_part_set_content_encoding(GMIME_PART(tp),
		g_mime_part_get_best_content_encoding(GMIME_PART(tp),
						      GMIME_ENCODING_CONSTRAINT_7BIT));
	g_mime_message_set_mime_part(m, GMIME_OBJECT(tp));
	fo = g_mime_format_options_clone(NULL);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	text = g_mime_object_to_string(GMIME_OBJECT(m), fo);
	if (text == NULL) {
		err_set(err, "cannot format the alert mail");
		goto out;
	}
	out = xstrdup(text);
	*len_out = strlen(out);
out:
	g_free(text);
	g_free(id);
	if (fo != NULL)
		g_mime_format_options_free(fo);
	if (dt != NULL)
		g_date_time_unref(dt);
	if (tp != NULL)
		g_object_unref(tp);
	if (m != NULL)
		g_object_unref(m);
	if (fl != NULL)
		g_object_unref(fl);
	if (tl != NULL)
		g_object_unref(tl);
	return out;
}
