/*
 * fuzz_dkim_key: libFuzzer target for the DKIM key record parser
 * (model/dkim_key, over record_kv_walk()).  The input is one TXT record;
 * when it parses, the rules and the p= decoding are run on it too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model/dkim_key.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	struct dkim_key key;
	struct err err;
	unsigned char *der;
	size_t len;
	char *s;

	if (dkim_key_parse(text, &key, &err) == 0) {
		(void)dkim_key_allows_service(&key, "tlsrpt");
		(void)dkim_key_allows_hash(&key, "sha256");
		(void)dkim_key_is_testing(&key);
		(void)dkim_key_type(&key);
		s = dkim_key_list_join(&key.s);
		free(s);
		der = dkim_key_public_der(&key, &len, &err);
		free(der);
		dkim_key_clear(&key);
	}
	free(text);
	return 0;
}
