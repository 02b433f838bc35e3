/*
 * dns_rdata: RDATA decoders for TXT, MX, A, AAAA, TLSA and CNAME
 * (RFC 1035 §3.3, RFC 3596, RFC 6698 §2).  Every read is bounds-checked
 * against the RDATA length; malformed data is skipped, never trusted.
 */
#include "net/dns_rdata.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/xalloc.h"

char *
dns_rdata_name(const unsigned char *d, size_t len, size_t *used)
{
	struct buf b;
	size_t i = 0, j, l;

	buf_init(&b, 1024);
	for (;;) {
		if (i >= len)
			goto bad;
		l = d[i++];
		if (l == 0)
			break;
		if (l > 63 || i + l > len)
			goto bad;
		if (b.len > 0 && buf_append(&b, ".", 1) < 0)
			goto bad;
		for (j = 0; j < l; j++) {
			unsigned char c = d[i + j];
			int r = (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
			    ? buf_append(&b, &c, 1) : buf_printf(&b, "\\%03u", c);
			if (r < 0)
				goto bad;
		}
		i += l;
	}
	*used = i;
	return buf_steal(&b, NULL);
bad:
	buf_free(&b);
	return NULL;
}

static void
decode_txt(struct dns_answer *ans, const unsigned char *d, size_t len)
{
	char *s = xmalloc(len + 1);
	size_t i = 0, o = 0, l, j;

	while (i < len) {
		l = d[i++];
		if (i + l > len)
			break;
		for (j = 0; j < l; j++)
			s[o++] = d[i + j] ? (char)d[i + j] : 0x7f;
		i += l;
	}
	s[o] = '\0';
	strlist_add_owned(&ans->rr, s);
}

static void
decode_mx(struct dns_answer *ans, const unsigned char *d, size_t len)
{
	size_t used;
	char *host;

	if (len < 3)
		return;
	host = dns_rdata_name(d + 2, len - 2, &used);
	if (host == NULL)
		return;
	ans->mx = xreallocarray(ans->mx, ans->n_mx + 1, sizeof(*ans->mx));
	ans->mx[ans->n_mx].pref = (unsigned)d[0] << 8 | d[1];
	ans->mx[ans->n_mx].host = host;
	ans->n_mx++;
	strlist_add(&ans->rr, host);
}

static void
decode_tlsa(struct dns_answer *ans, const unsigned char *d, size_t len)
{
	struct dns_tlsa *t;
	char *hex;
	size_t i;

	if (len < 3)
		return;
	hex = xmalloc((len - 3) * 2 + 1);
	for (i = 3; i < len; i++)
		snprintf(hex + (i - 3) * 2, 3, "%02X", d[i]);
	hex[(len - 3) * 2] = '\0';
	ans->tlsa = xreallocarray(ans->tlsa, ans->n_tlsa + 1, sizeof(*ans->tlsa));
	t = &ans->tlsa[ans->n_tlsa++];
	t->usage = d[0];
	t->selector = d[1];
	t->mtype = d[2];
	t->hex = hex;
	strlist_addf(&ans->rr, "%u %u %u %s", d[0], d[1], d[2], hex);
}

void
dns_rdata_decode(struct dns_answer *ans, int type, const unsigned char *d, size_t len)
{
	char addr[64];
	char *name;
	size_t used;

	switch (type) {
	case DNS_TXT:
		decode_txt(ans, d, len);
		break;
	case DNS_MX:
		decode_mx(ans, d, len);
		break;
	case DNS_TLSA:
		decode_tlsa(ans, d, len);
		break;
	case DNS_A:
		if (len == 4 && inet_ntop(AF_INET, d, addr, sizeof(addr)) != NULL)
			strlist_add(&ans->rr, addr);
		break;
	case DNS_AAAA:
		if (len == 16 && inet_ntop(AF_INET6, d, addr, sizeof(addr)) != NULL)
			strlist_add(&ans->rr, addr);
		break;
	case DNS_CNAME:
		name = dns_rdata_name(d, len, &used);
		if (name != NULL)
			strlist_add_owned(&ans->rr, name);
		break;
	default:
		break;
	}
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcasecmp(x->host, y->host);
}

void
dns_rdata_sort_mx(struct dns_answer *ans)
{
	size_t i;

	if (ans->n_mx == 0)
		return;
	qsort(ans->mx, ans->n_mx, sizeof(*ans->mx), mx_cmp);
	strlist_clear(&ans->rr);
	for (i = 0; i < ans->n_mx; i++)
		strlist_add(&ans->rr, ans->mx[i].host);
}
