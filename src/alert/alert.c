/*
 * alert: selection of new failure groups and the alert memory
 * (see alert.h).  The figures come from dataset_build(), the same numbers
 * the dashboard shows; the memory is one store_state value per group:
 * "ALERTED_AT LAST_SEEN" (Unix seconds).
 */
#include "alert/alert.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/dataset.h"
#include "store/store_reports.h"
#include "store/store_state.h"
#include "util/buf.h"
#include "util/xalloc.h"

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static uint64_t
num(json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

static char *
joined(json_t *o, const char *k)
{
	struct buf b;
	json_t *v;
	size_t i;

	buf_init(&b, 4096);
	json_array_foreach(json_object_get(o, k), i, v) {
		if (i > 0)
			buf_append_str(&b, ", ");
		buf_append_str(&b, json_string_value(v));
	}
	return buf_steal(&b, NULL);
}

/* A domain's sessions, from the dataset's per-domain totals. */
static void
domain_sums(json_t *ds, const char *domain, uint64_t *ok, uint64_t *bad)
{
	json_t *d;
	size_t i;

	*ok = *bad = 0;
	json_array_foreach(json_object_get(ds, "domain_totals"), i, d) {
		if (strcmp(str(d, "domain"), domain) == 0) {
			*ok = num(d, "success");
			*bad = num(d, "failure");
			return;
		}
	}
}

/* Returns 1 if the group (remembered under key) is new at cfg->now. */
static int
is_new(struct store *st, const struct alert_config *cfg, const char *key,
       int64_t last_seen, struct err *err)
{
	char *val = NULL;
	long long alerted = 0, seen = 0;
	int rc = store_state_get(st, ALERT_STATE_NS, key, &val, err);

	if (rc <= 0)
		return rc == 0 ? 1 : -1;
	if (sscanf(val, "%lld %lld", &alerted, &seen) != 2)
		alerted = seen = 0;     /* unreadable memory: alert again */
	free(val);
	if (alerted == 0)
		return 1;
	return cfg->renotify > 0 && cfg->now - alerted >= cfg->renotify && last_seen > seen;
}

static void
fill(struct alert_item *it, json_t *row, const char *key, uint64_t ok, uint64_t bad)
{
	const char *add = str(row, "additional_information");

	memset(it, 0, sizeof(*it));
	it->domain = xstrdup(str(row, "domain"));
	it->result_type = xstrdup(str(row, "result_type"));
	it->type = result_type_from_string(it->result_type);
	it->mx = xstrdup(str(row, "mx"));
	it->count = num(row, "count");
	it->domain_success = ok;
	it->domain_failure = bad;
	it->first_seen = (int64_t)num(row, "first_seen");
	it->last_seen = (int64_t)num(row, "last_seen");
	it->organizations = joined(row, "organizations");
	it->sending_ips = joined(row, "sending_ips");
	it->explanation = xstrdup(str(row, "explanation"));
	it->fix = xstrdup(str(row, "fix"));
	it->additional = *add != '\0' ? xstrdup(add) : NULL;
	it->key = xstrdup(key);
}

int
alert_find(struct store *st, const struct alert_config *cfg,
	   struct alert_list *out, struct err *err)
{
	struct report_query q;
	json_t *ds, *row;
	uint64_t ok, bad, min = cfg->min_failures ? cfg->min_failures : 1;
	size_t i;
	char *key;
	int rc = 0, n;

	memset(&q, 0, sizeof(q));
	q.since = cfg->since;
	q.until = cfg->until;
	q.domain = cfg->domain;
	ds = dataset_build(st, &q, err);
	if (ds == NULL)
		return -1;
	json_array_foreach(json_object_get(ds, "failures"), i, row) {
		if (num(row, "count") < min)
			continue;
		domain_sums(ds, str(row, "domain"), &ok, &bad);
		if (ok + bad == 0 || (double)bad / (double)(ok + bad) < cfg->threshold_rate)
			continue;
		key = xasprintf("failure:%s|%s|%s", str(row, "domain"), str(row, "result_type"),
				str(row, "mx"));
		n = is_new(st, cfg, key, (int64_t)num(row, "last_seen"), err);
		if (n < 0) {
			free(key);
			rc = -1;
			break;
		}
		if (n == 1) {
			out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
			fill(&out->v[out->n++], row, key, ok, bad);
		}
		free(key);
	}
	json_decref(ds);
	return rc < 0 ? -1 : (int)out->n;
}

int
alert_remember(struct store *st, const struct alert_config *cfg,
	       const struct alert_list *l, struct err *err)
{
	char val[64];
	size_t i;

	if (store_begin(st, err) != 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		snprintf(val, sizeof(val), "%" PRId64 " %" PRId64, cfg->now, l->v[i].last_seen);
		if (store_state_set(st, ALERT_STATE_NS, l->v[i].key, val, err) != 0) {
			store_rollback(st);
			return -1;
		}
	}
	return store_commit(st, err);
}

void
alert_list_free(struct alert_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct alert_item *it = &l->v[i];

		free(it->domain);
		free(it->result_type);
		free(it->mx);
		free(it->organizations);
		free(it->sending_ips);
		free(it->explanation);
		free(it->fix);
		free(it->additional);
		free(it->key);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
