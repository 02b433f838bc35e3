/*
 * dgknown: one datagram's decoded results and their row keys (see
 * dgknown.h), packed into one allocation: the struct, the results, the
 * keys, the results' arrays and every string.  A collector keeps one per
 * distinct datagram for a day, so this is most of its memory; one block
 * instead of a dozen small ones per datagram saves the allocator's
 * per-chunk overhead, and a decode's own small allocations are freed at
 * once and reused by the next one.
 */
#include "collector/dgknown.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* The block's parts follow each other; each must keep the next aligned. */
_Static_assert(sizeof(struct dgknown) % sizeof(void *) == 0, "dgknown alignment");
_Static_assert(sizeof(struct result) % sizeof(void *) == 0, "result alignment");
_Static_assert(sizeof(struct result_failure) % sizeof(void *) == 0, "failure alignment");

/* The bytes a packed copy of the n results needs beyond the results
 * themselves: their arrays (8-aligned, first) and their strings (after). */
struct pack_size {
	size_t arrays;
	size_t strings;
};

static void
size_str(struct pack_size *z, const char *s)
{
	if (s != NULL)
		z->strings += strlen(s) + 1;
}

static void
size_list(struct pack_size *z, const struct strlist *l)
{
	z->arrays += l->n * sizeof(*l->v);
	for (size_t i = 0; i < l->n; i++)
		size_str(z, l->v[i]);
}

static struct pack_size
pack_size(const struct result *v, size_t n)
{
	struct pack_size z = { 0, 0 };

	for (size_t i = 0; i < n; i++) {
		const struct result *r = &v[i];

		size_str(&z, r->domain);
		size_str(&z, r->tlsrpt_record);
		size_str(&z, r->policy_domain);
		size_list(&z, &r->policy_string);
		size_list(&z, &r->mx_host);
		z.arrays += r->n_failures * sizeof(*r->failures);
		for (size_t j = 0; j < r->n_failures; j++) {
			const struct result_failure *f = &r->failures[j];

			size_str(&z, f->sending_mta_ip);
			size_str(&z, f->receiving_mx_hostname);
			size_str(&z, f->receiving_mx_helo);
			size_str(&z, f->receiving_ip);
			size_str(&z, f->additional_information);
			size_str(&z, f->failure_reason_code);
		}
	}
	return z;
}

/* Where the packed copy's arrays and strings go next. */
struct pack_cursor {
	char *arrays;
	char *strings;
};

static char *
pack_str(struct pack_cursor *c, const char *s)
{
	char *d = c->strings;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strlen(s) + 1;
	memcpy(d, s, len);
	c->strings += len;
	return d;
}

static void *
pack_array(struct pack_cursor *c, size_t bytes)
{
	void *d = c->arrays;

	c->arrays += bytes;
	return bytes > 0 ? d : NULL;
}

static void
pack_list(struct pack_cursor *c, struct strlist *dst, const struct strlist *src)
{
	dst->v = pack_array(c, src->n * sizeof(*src->v));
	dst->n = src->n;
	dst->cap = 0;           /* not growable: the list is read-only */
	for (size_t i = 0; i < src->n; i++)
		dst->v[i] = pack_str(c, src->v[i]);
}

static void
pack_result(struct pack_cursor *c, struct result *d, const struct result *r)
{
	*d = *r;
	d->domain = pack_str(c, r->domain);
	d->tlsrpt_record = pack_str(c, r->tlsrpt_record);
	d->policy_domain = pack_str(c, r->policy_domain);
	pack_list(c, &d->policy_string, &r->policy_string);
	pack_list(c, &d->mx_host, &r->mx_host);
	d->failures = pack_array(c, r->n_failures * sizeof(*r->failures));
	for (size_t j = 0; j < r->n_failures; j++) {
		const struct result_failure *f = &r->failures[j];
		struct result_failure *g = &d->failures[j];

		*g = *f;
		g->sending_mta_ip = pack_str(c, f->sending_mta_ip);
		g->receiving_mx_hostname = pack_str(c, f->receiving_mx_hostname);
		g->receiving_mx_helo = pack_str(c, f->receiving_mx_helo);
		g->receiving_ip = pack_str(c, f->receiving_ip);
		g->additional_information = pack_str(c, f->additional_information);
		g->failure_reason_code = pack_str(c, f->failure_reason_code);
	}
}

struct dgknown *
dgknown_decode(const char *data, size_t len, int32_t day, struct datagram_batch *scratch,
	       struct datagram_info *info, struct err *err)
{
	struct dgknown *k;
	struct pack_size z;
	struct pack_cursor c;
	size_t n, head;
	char *block;

	datagram_batch_clear(scratch);
	if (datagram_decode(data, len, day, scratch, info, err) < 0)
		return NULL;
	n = scratch->n;
	z = pack_size(scratch->v, n);
	/* struct, results, keys and arrays are multiples of 8 bytes long */
	head = sizeof(*k) + n * sizeof(*k->v) + n * sizeof(*k->keys);
	block = xmalloc(head + z.arrays + z.strings);
	k = (struct dgknown *)block;
	k->v = (struct result *)(block + sizeof(*k));
	k->keys = (int64_t *)(block + sizeof(*k) + n * sizeof(*k->v));
	k->n = n;
	k->info = *info;
	memset(k->keys, 0, n * sizeof(*k->keys));
	c.arrays = block + head;
	c.strings = block + head + z.arrays;
	for (size_t i = 0; i < n; i++)
		pack_result(&c, &k->v[i], &scratch->v[i]);
	/* the decode's own allocations go back at once, for the next one */
	datagram_batch_clear(scratch);
	return k;
}

void
dgknown_free(void *k)
{
	free(k);
}
