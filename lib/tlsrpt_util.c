/*
 * tlsrpt_util: libtlsrpt's settings (allocator, blocking), text buffers
 * with sys4's JSON escaping, and the error-code and version helpers.
 *
 * The settings are the only process-wide state; the API defines them as
 * global (sys4 compatibility) and they are meant to be set once at start.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tlsrpt.h"
#include "tlsrpt_private.h"

static void *(*alloc_fn)(size_t) = malloc;
static void (*free_fn)(void *) = free;
static int send_flags = MSG_DONTWAIT;

void *
tlsrpt_priv_alloc(size_t n)
{
	return alloc_fn(n == 0 ? 1 : n);
}

void
tlsrpt_priv_dealloc(void *p)
{
	if (p != NULL)
		free_fn(p);
}

int
tlsrpt_priv_send_flags(void)
{
	return send_flags;
}

TLSRPT_API void
tlsrpt_set_malloc_and_free(void *(*malloc_function)(size_t size), void (*free_function)(void *ptr))
{
	if (malloc_function == NULL || free_function == NULL) {
		alloc_fn = malloc;
		free_fn = free;
	} else {
		alloc_fn = malloc_function;
		free_fn = free_function;
	}
}

TLSRPT_API void
tlsrpt_set_blocking(void)
{
	send_flags = 0;
}

TLSRPT_API void
tlsrpt_set_nonblocking(void)
{
	send_flags = MSG_DONTWAIT;
}

/* ---- buffers ---------------------------------------------------------- */

void
tlsrpt_priv_buf_init(struct tlsrpt_priv_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->owned = 0;
}

void
tlsrpt_priv_buf_reset(struct tlsrpt_priv_buf *b)
{
	b->len = 0;
}

void
tlsrpt_priv_buf_release(struct tlsrpt_priv_buf *b)
{
	if (b->owned)
		tlsrpt_priv_dealloc(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->owned = 0;
}

int
tlsrpt_priv_buf_grow(struct tlsrpt_priv_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 64;
	char *p;

	if (need > SIZE_MAX / 2)
		return -1;
	while (cap < need)
		cap *= 2;
	p = tlsrpt_priv_alloc(cap);
	if (p == NULL)
		return -1;
	if (b->len > 0)
		memcpy(p, b->p, b->len);
	if (b->owned)
		tlsrpt_priv_dealloc(b->p);
	b->p = p;
	b->cap = cap;
	b->owned = 1;
	return 0;
}

int
tlsrpt_priv_buf_putint(struct tlsrpt_priv_buf *b, long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[--i] = '-';
	return tlsrpt_priv_buf_put(b, tmp + i, sizeof(tmp) - i);
}

/* 1 for the bytes that end a run of plain bytes in putesc: NUL, the
 * controls, '"', '\\' and 0x7f. */
static const unsigned char esc_stop[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
	[0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
	[0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
	[0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
	[0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
};

int
tlsrpt_priv_buf_putesc(struct tlsrpt_priv_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char e[6];
	size_t en;

	for (;;) {
		const unsigned char *run = u;
		unsigned char c;

		while (!esc_stop[*u])
			u++;
		if (u > run && tlsrpt_priv_buf_put(b, (const char *)run, (size_t)(u - run)) < 0)
			return -1;
		c = *u++;
		if (c == '\0')
			return 0;
		e[0] = '\\';
		en = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			e[1] = 'u';
			e[2] = '0';
			e[3] = '0';
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			en = 6;
		}
		if (tlsrpt_priv_buf_put(b, e, en) < 0)
			return -1;
	}
}

/* ---- errors and version ----------------------------------------------- */

TLSRPT_API int
tlsrpt_errno_from_error_code(int errorcode)
{
	return errorcode % 1000;
}

TLSRPT_API int
tlsrpt_error_code_is_internal(int errorcode)
{
	return errorcode - errorcode % 1000 == TLSRPT_ERR_TLSRPT;
}

struct code_text {
	int code;
	const char *text;
};

static const struct code_text code_texts[] = {
	{ TLSRPT_ERR_TLSRPT_CANCELLED, "delivery request was cancelled" },
	{ TLSRPT_ERR_TLSRPT_SOCKETNAMETOOLONG, "socket name too long" },
	{ TLSRPT_ERR_TLSRPT_UNFINISHEDPOLICY, "delivery request finished with an unfinished policy" },
	{ TLSRPT_ERR_TLSRPT_NOCONNECTION, "no connection (NULL)" },
	{ TLSRPT_ERR_TLSRPT_MEMSTREAM_NOT_INITIALIZED, "no delivery request (NULL)" },
	{ TLSRPT_ERR_TLSRPT_MEMSTREAMPS_NOT_INITIALIZED, "no policy open (policy string or finish policy)" },
	{ TLSRPT_ERR_TLSRPT_MEMSTREAMMX_NOT_INITIALIZED, "no policy open (mx host pattern)" },
	{ TLSRPT_ERR_TLSRPT_MEMSTREAMFD_NOT_INITIALIZED, "no policy open (failure detail)" },
	{ TLSRPT_ERR_TLSRPT_NESTEDPOLICY, "nested policy (init_policy inside a policy)" },
	{ TLSRPT_ERR_TLSRPT_NOPOLICIES, "delivery request without any policy" },
	{ TLSRPT_ERR_TLSRPT_NULLARGUMENT, "required argument is NULL" },
	{ TLSRPT_ERR_SOCKET, "socket() failed" },
	{ TLSRPT_ERR_CLOSE, "close() failed" },
	{ TLSRPT_ERR_SENDTO, "sendto() failed" },
	{ TLSRPT_ERR_OPEN_MEMSTREAM_INITDR, "buffer creation failed in init_delivery_request" },
	{ TLSRPT_ERR_OPEN_MEMSTREAM_INITPOLICY, "buffer creation failed in init_policy" },
	{ TLSRPT_ERR_FCLOSE_FINISHPOLICY, "buffer close failed in finish_policy" },
	{ TLSRPT_ERR_FCLOSE_FINISHDR, "buffer close failed in finish_delivery_request" },
	{ TLSRPT_ERR_FPRINTF_INITDR, "write failed in init_delivery_request" },
	{ TLSRPT_ERR_FPRINTF_INITPOLICY, "write failed in init_policy" },
	{ TLSRPT_ERR_FPRINTF_ADDPOLICYSTRING, "write failed in add_policy_string" },
	{ TLSRPT_ERR_FPRINTF_ADDMXHOSTPATTERN, "write failed in add_mx_host_pattern" },
	{ TLSRPT_ERR_FPRINTF_FINISHPOLICY, "write failed in finish_policy" },
	{ TLSRPT_ERR_FPRINTF_ADDFAILURE, "write failed in add_delivery_request_failure" },
	{ TLSRPT_ERR_FPRINTF_FINISHDR, "write failed in finish_delivery_request" },
	{ TLSRPT_ERR_MALLOC_OPENCON, "memory allocation failed in open" },
	{ TLSRPT_ERR_MALLOC_OPENDR, "memory allocation failed in init_delivery_request" },
};

TLSRPT_API const char *
tlsrpt_strerror(int errorcode)
{
	int code = errorcode;

	if (!tlsrpt_error_code_is_internal(errorcode))
		code = errorcode - errorcode % 1000;
	for (size_t i = 0; i < sizeof(code_texts) / sizeof(code_texts[0]); i++)
		if (errorcode != 0 && code_texts[i].code == code)
			return code_texts[i].text;
	return "UNKNOWN TLSRPT ERROR CODE";
}

TLSRPT_API int
tlsrpt_version_check(int major, int minor, int patch)
{
	(void)patch;
	return major == TLSRPT_VERSION_MAJOR && minor <= TLSRPT_VERSION_MINOR;
}

TLSRPT_API const char *
tlsrpt_version(void)
{
	return TLSRPT_VERSION_STRING;
}
