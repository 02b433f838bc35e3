/*
 * test_dns_wire: answer messages in wire format, built here RR by RR
 * (names compressed where a resolver would compress them), read by
 * dns_wire_fill(): status, RRs, CNAME chain, and what it must ignore.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/dns_wire.h"

/* ---- a small message builder ---- */

struct msg {
	unsigned char b[1024];
	size_t n;
	unsigned ancount;
};

static void
put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void
put16(struct msg *m, unsigned v)
{
	unsigned char x[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(m, x, 2);
}

/* "a.b" as labels, ending with the root label; "@12" is a pointer to
 * offset 12 (the question's name); "x.@12" labels then a pointer. */
static void
put_name(struct msg *m, const char *name)
{
	const char *p = name, *dot;

	while (*p != '\0') {
		unsigned char l;

		if (*p == '@') {
			put16(m, 0xC000u | (unsigned)atoi(p + 1));
			return;
		}
		dot = strchr(p, '.');
		l = (unsigned char)(dot ? (size_t)(dot - p) : strlen(p));
		put(m, &l, 1);
		put(m, p, l);
		p += l + (dot != NULL);
	}
	put(m, "", 1);
}

/* Header (RD RA, rcode) and the question qname/type: the question's name
 * is at offset 12. */
static void
begin(struct msg *m, int rcode, const char *qname, unsigned qtype)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0);
	put16(m, 0x8180u | (unsigned)rcode);
	put16(m, 1);
	put16(m, 0);            /* ANCOUNT: set by end() */
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, qtype);
	put16(m, 1);
}

/* An answer RR; rdata given as bytes (rlen) or, with rname, as a name
 * after rlen bytes of prefix (MX preference, CNAME target). */
static void
rr(struct msg *m, const char *owner, unsigned type, unsigned class,
   const void *rdata, size_t rlen, const char *rname)
{
	size_t at;

	put_name(m, owner);
	put16(m, type);
	put16(m, class);
	put16(m, 0);
	put16(m, 300);
	at = m->n;
	put16(m, 0);
	put(m, rdata, rlen);
	if (rname != NULL)
		put_name(m, rname);
	m->b[at] = (unsigned char)((m->n - at - 2) >> 8);
	m->b[at + 1] = (unsigned char)(m->n - at - 2);
	m->ancount++;
}

static void
end(struct msg *m)
{
	m->b[6] = (unsigned char)(m->ancount >> 8);
	m->b[7] = (unsigned char)m->ancount;
}

#define TXT(s) "\x0b" s, 12   /* one 11-character string */

/* ---- the messages ---- */

static void
m_txt(struct msg *m)
{
	begin(m, 0, "_smtp._tls.example.test", 16);
	rr(m, "@12", 16, 1, TXT("v=TLSRPTv1;"), NULL);
	end(m);
}

static void
m_txt_two_strings(struct msg *m)
{
	begin(m, 0, "_smtp._tls.example.test", 16);
	rr(m, "@12", 16, 1, "\x05v=TLS\x06RPTv1;", 13, NULL);
	end(m);
}

/* alias -> b.example.test -> c.example.test (compressed targets) */
static void
m_chain(struct msg *m)
{
	begin(m, 0, "a.example.test", 16);
	rr(m, "@12", 5, 1, "", 0, "b.@14");
	rr(m, "B.example.TEST", 5, 1, "", 0, "c.@14");     /* owner in other case */
	rr(m, "c.example.test", 16, 1, TXT("v=TLSRPTv1;"), NULL);
	end(m);
}

static void
m_mx(struct msg *m)
{
	begin(m, 0, "example.test", 15);
	rr(m, "@12", 15, 1, "\x00\x14", 2, "mx2.@12");
	rr(m, "@12", 15, 1, "\x00\x0a", 2, "mx1.@12");
	end(m);
}

static void
m_nxdomain_after_alias(struct msg *m)
{
	begin(m, 3, "a.example.test", 16);
	rr(m, "@12", 5, 1, "", 0, "gone.@14");
	end(m);
}

static void
m_refused(struct msg *m)
{
	begin(m, 5, "example.test", 16);
	end(m);
}

static void
m_nodata(struct msg *m)
{
	begin(m, 0, "example.test", 52);
	end(m);
}

/* RRs that are not the answer: another owner, another class, another type */
static void
m_ignored(struct msg *m)
{
	begin(m, 0, "example.test", 16);
	rr(m, "other.example.test", 16, 1, TXT("v=TLSRPTv1;"), NULL);
	rr(m, "@12", 16, 3, TXT("v=TLSRPTv1;"), NULL);
	rr(m, "@12", 1, 1, "\x7f\x00\x00\x01", 4, NULL);
	end(m);
}

/* a -> b -> a: a loop, bounded by DNS_MAX_CNAME_CHAIN */
static void
m_loop(struct msg *m)
{
	begin(m, 0, "a.example.test", 16);
	rr(m, "@12", 5, 1, "", 0, "b.@14");
	rr(m, "b.example.test", 5, 1, "", 0, "@12");
	end(m);
}

/* a CNAME query answers the alias itself */
static void
m_cname_query(struct msg *m)
{
	begin(m, 0, "a.example.test", 5);
	rr(m, "@12", 5, 1, "", 0, "b.@14");
	rr(m, "b.example.test", 16, 1, TXT("v=TLSRPTv1;"), NULL);
	end(m);
}

static void
m_truncated(struct msg *m)
{
	m_txt(m);
	m->n -= 5;              /* the TXT RDATA runs past the end */
}

static void
m_header_only(struct msg *m)
{
	m_txt(m);
	m->n = 7;
}

/* an MX whose name points past the message */
static void
m_bad_pointer(struct msg *m)
{
	begin(m, 0, "example.test", 15);
	rr(m, "@12", 15, 1, "\x00\x0a", 2, "@1000");
	end(m);
}

struct wire_case {
	const char *what;
	void (*build)(struct msg *m);
	const char *qname;
	int type;
	enum dns_status status;
	const char *rr;         /* RRs joined with "|" */
	const char *cnames;     /* chain joined with "|" */
	const char *why;        /* NULL: not set */
};

static const struct wire_case cases[] = {
	{ "TXT", m_txt, "_smtp._tls.example.test", 16, DNS_OK, "v=TLSRPTv1;", "", NULL },
	{ "TXT strings are joined", m_txt_two_strings, "_smtp._tls.example.test", 16, DNS_OK,
	  "v=TLSRPTv1;", "", NULL },
	{ "CNAME chain, compressed, owner case differs", m_chain, "a.example.test", 16, DNS_OK,
	  "v=TLSRPTv1;", "a.example.test|b.example.test|c.example.test", NULL },
	{ "MX, compressed, sorted", m_mx, "example.test", 15, DNS_OK,
	  "mx1.example.test|mx2.example.test", "", NULL },
	{ "NXDOMAIN after an alias keeps the chain", m_nxdomain_after_alias, "a.example.test", 16,
	  DNS_NXDOMAIN, "", "a.example.test|gone.example.test", NULL },
	{ "REFUSED", m_refused, "example.test", 16, DNS_SERVFAIL, "", "", "rcode 5" },
	{ "no RR of the type", m_nodata, "example.test", 52, DNS_NODATA, "", "", NULL },
	{ "other owner, class or type ignored", m_ignored, "example.test", 16, DNS_NODATA, "", "",
	  NULL },
	{ "a CNAME loop ends", m_loop, "a.example.test", 16, DNS_NODATA, "",
	  "a.example.test|b.example.test|a.example.test|b.example.test|a.example.test"
	  "|b.example.test|a.example.test|b.example.test|a.example.test", NULL },
	{ "a CNAME query is not followed", m_cname_query, "a.example.test", 5, DNS_OK,
	  "b.example.test", "", NULL },
	{ "truncated RDATA", m_truncated, "_smtp._tls.example.test", 16, DNS_SERVFAIL, "", "",
	  "malformed answer from the resolver" },
	{ "header only", m_header_only, "_smtp._tls.example.test", 16, DNS_SERVFAIL, "", "",
	  "malformed answer from the resolver" },
	{ "name pointer past the end", m_bad_pointer, "example.test", 15, DNS_NODATA, "", "", NULL },
};

/* l joined with "|" into out (1024 bytes) */
static char *
joined(const struct strlist *l, char *out)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < l->n; i++)
		n += (size_t)snprintf(out + n, 1024 - n, "%s%s", i ? "|" : "", l->v[i]);
	return out;
}

static void
test_dns_wire_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wire_case *c = &cases[i];
		struct dns_answer a = { 0 };
		struct msg m;
		char rrs[1024], chain[1024];

		c->build(&m);
		dns_wire_fill(&a, c->qname, c->type, m.b, m.n);
		if (a.status != c->status)
			fail_msg("%s: status %s, want %s", c->what, dns_status_name(a.status),
				 dns_status_name(c->status));
		if (strcmp(joined(&a.rr, rrs), c->rr) != 0)
			fail_msg("%s: rr \"%s\", want \"%s\"", c->what, rrs, c->rr);
		if (strcmp(joined(&a.cnames, chain), c->cnames) != 0)
			fail_msg("%s: cnames \"%s\", want \"%s\"", c->what, chain, c->cnames);
		if ((a.why == NULL) != (c->why == NULL)
		    || (a.why != NULL && strcmp(a.why, c->why) != 0))
			fail_msg("%s: why \"%s\", want \"%s\"", c->what, a.why ? a.why : "(none)",
				 c->why ? c->why : "(none)");
		if (c->type == 15 && c->status == DNS_OK && (a.n_mx != 2 || a.mx[0].pref != 10))
			fail_msg("%s: mx not decoded with preferences", c->what);
		dns_answer_clear(&a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_wire_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
