/*
 * dgcache: the decoded-datagram cache (see dgcache.h), two-way set
 * associative with least-recently-used eviction; when both ways of a set
 * are taken, a new datagram only leaves a ghost (its hash and length) and
 * is admitted when it comes again.  The hash mixes 8
 * bytes at a time; a hit is confirmed by comparing the whole datagram, so
 * a collision costs a parse, never a wrong result.
 */
#include "collector/dgcache.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ len, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s + i, len - i);
	h ^= w;
	/* splitmix64's finalizer, so the low bits used for the set index mix well */
	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
	return h ^ (h >> 31);
}

static void
copy_list(struct strlist *dst, const struct strlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

/* Deep copy of src into dst (zeroed by the caller). */
static void
copy_result(struct result *dst, const struct result *src)
{
	dst->day = src->day;
	dst->domain = xstrdup(src->domain);
	dst->tlsrpt_record = xstrdup(src->tlsrpt_record);
	dst->policy_type = src->policy_type;
	dst->policy_domain = xstrdup(src->policy_domain);
	copy_list(&dst->policy_string, &src->policy_string);
	copy_list(&dst->mx_host, &src->mx_host);
	dst->failed = src->failed;
	for (size_t i = 0; i < src->n_failures; i++) {
		const struct result_failure *sf = &src->failures[i];
		struct result_failure *f = result_add_failure(dst);

		f->type = sf->type;
		f->code = sf->code;
		f->sending_mta_ip = xstrdup(sf->sending_mta_ip);
		f->receiving_mx_hostname = xstrdup(sf->receiving_mx_hostname);
		f->receiving_mx_helo = xstrdup(sf->receiving_mx_helo);
		f->receiving_ip = xstrdup(sf->receiving_ip);
		f->additional_information = xstrdup(sf->additional_information);
		f->failure_reason_code = xstrdup(sf->failure_reason_code);
	}
}

static void
slot_clear(struct dgcache_slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		result_clear(&s->v[i]);
	free(s->v);
	free(s->bytes);
	memset(s, 0, sizeof(*s));
}

int
dgcache_get(struct dgcache *c, const char *data, size_t len, int64_t day,
	    struct datagram_batch *b)
{
	uint64_t h;
	struct dgcache_slot *s;

	if (len == 0 || len > DGCACHE_MAX_BYTES)
		return -1;
	h = hash_bytes(data, len);
	s = &c->slot[(h % (DGCACHE_SLOTS / 2)) * 2];
	if (s->bytes == NULL || s->len != len || s->hash != h || memcmp(s->bytes, data, len) != 0) {
		s++;
		if (s->bytes == NULL || s->len != len || s->hash != h ||
		    memcmp(s->bytes, data, len) != 0) {
			c->misses++;
			return -1;
		}
	}
	c->hits++;
	s->used = ++c->clock;
	for (size_t i = 0; i < s->n; i++) {
		if (b->n == b->cap) {
			b->cap = b->cap ? 2 * b->cap : 64;
			b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
		}
		memset(&b->v[b->n], 0, sizeof(b->v[0]));
		copy_result(&b->v[b->n], &s->v[i]);
		b->v[b->n++].day = day;
	}
	return (int)s->n;
}

void
dgcache_put(struct dgcache *c, const char *data, size_t len, const struct datagram_info *info,
	    const struct datagram_batch *b, size_t from)
{
	struct dgcache_slot *s;
	uint64_t h;

	if (len == 0 || len > DGCACHE_MAX_BYTES || info->reason != DATAGRAM_OK ||
	    info->dpv_missing || info->dpv_bad || info->utf8_repaired || info->t_mismatch ||
	    from >= b->n)
		return;
	h = hash_bytes(data, len);
	s = &c->slot[(h % (DGCACHE_SLOTS / 2)) * 2];
	if (s->bytes == NULL && s->len == len && s->hash == h) {
		/* its ghost (way 0): seen before, admit it */
	} else if (s[1].bytes == NULL && s[1].len == len && s[1].hash == h) {
		s++;
	} else if (s->len == 0 || s[1].len == 0) {
		/* a free way: admit at once */
		if (s->len != 0)
			s++;
	} else {
		/* Both ways taken: the one used least recently becomes a ghost
		 * of this datagram, so that a stream of distinct datagrams costs
		 * no copies (only what repeats gets cached). */
		if (s[1].used < s->used)
			s++;
		slot_clear(s);
		s->used = ++c->clock;
		s->hash = h;
		s->len = len;
		return;
	}
	slot_clear(s);
	s->used = ++c->clock;
	s->hash = h;
	s->len = len;
	s->bytes = xmalloc(len);
	memcpy(s->bytes, data, len);
	s->n = b->n - from;
	s->v = xcalloc(s->n, sizeof(*s->v));
	for (size_t i = 0; i < s->n; i++)
		copy_result(&s->v[i], &b->v[from + i]);
}

int
dgcache_decode(struct dgcache *c, const char *data, size_t len, int64_t day,
	       struct datagram_batch *b, struct datagram_info *info, struct err *err)
{
	size_t from = b->n;
	int n = dgcache_get(c, data, len, day, b);

	if (n >= 0) {
		memset(info, 0, sizeof(*info));
		return n;
	}
	n = datagram_decode(data, len, day, b, info, err);
	if (n > 0)
		dgcache_put(c, data, len, info, b, from);
	return n;
}

void
dgcache_clear(struct dgcache *c)
{
	for (size_t i = 0; i < DGCACHE_SLOTS; i++)
		slot_clear(&c->slot[i]);
	c->hits = c->misses = c->clock = 0;
}
