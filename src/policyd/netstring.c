/*
 * netstring: bounded decoder and encoder (see netstring.h).
 */
#include "policyd/netstring.h"

#include <stdio.h>

int
netstring_decode(const char *in, size_t len, size_t max, const char **payload,
    size_t *plen, size_t *consumed, struct err *err)
{
	size_t i, n = 0;

	for (i = 0; i < len && in[i] != ':'; i++) {
		if (in[i] < '0' || in[i] > '9') {
			err_set(err, "netstring: byte 0x%02x where a length digit or ':' belongs",
			    (unsigned char)in[i]);
			return -1;
		}
		if (i == 1 && in[0] == '0') {
			err_set(err, "netstring: length with a leading zero");
			return -1;
		}
		if (i >= NETSTRING_MAX_DIGITS) {
			err_set(err, "netstring: length of more than %d digits", NETSTRING_MAX_DIGITS);
			return -1;
		}
		n = n * 10 + (size_t)(in[i] - '0');
		if (n > max) {
			err_set(err, "netstring: length over %zu bytes", max);
			return -1;
		}
	}
	if (i == len)
		return 0;
	if (i == 0) {
		err_set(err, "netstring: no length before ':'");
		return -1;
	}
	/* i is the ':'; the payload is in[i+1 .. i+1+n), then ',' */
	if (len - i - 1 < n + 1)
		return 0;
	if (in[i + 1 + n] != ',') {
		err_set(err, "netstring: no ',' after the %zu-byte payload", n);
		return -1;
	}
	*payload = in + i + 1;
	*plen = n;
	*consumed = i + 2 + n;
	return 1;
}

int
netstring_encode(struct buf *out, const char *data, size_t len)
{
	char head[32];
	size_t old = out->len;
	int h = snprintf(head, sizeof(head), "%zu:", len);

	if (buf_append(out, head, (size_t)h) < 0 || buf_append(out, data, len) < 0 ||
	    buf_append(out, ",", 1) < 0) {
		out->len = old;
		if (out->data != NULL)
			out->data[old] = '\0';
		return -1;
	}
	return 0;
}
