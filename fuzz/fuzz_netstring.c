/*
 * fuzz_netstring: libFuzzer target for policyd's socketmap input: the
 * netstring decoder over a stream of requests (as a connection feeds it),
 * and the key parser on each request's key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policyd/key.h"
#include "policyd/netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *payload, *sp, *why;
	size_t plen, used;
	char *domain;

	while (size > 0 && netstring_decode(in, size, 2048, &payload, &plen, &used, NULL) == 1) {
		if (used > size || payload < in || payload + plen > in + size)
			abort();
		sp = memchr(payload, ' ', plen);
		if (sp != NULL) {
			domain = policyd_key_domain(sp + 1, (size_t)(payload + plen - sp - 1), &why);
			free(domain);
		}
		in += used;
		size -= used;
	}
	return 0;
}
