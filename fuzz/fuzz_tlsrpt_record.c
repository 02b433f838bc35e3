/*
 * fuzz_tlsrpt_record: libFuzzer target for the _smtp._tls TXT record
 * parser.  The input is split on '\n' into the TXT RRs of one RRset and
 * given to record_tlsrpt_select(), which parses the one candidate.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/tlsrpt_record.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size);
	const char *rrs[8];
	size_t n = 0;
	char *p = text, *nl;
	struct tlsrpt_record rec;
	struct strlist warnings = { 0 };
	struct err err;

	while (n < 8) {
		rrs[n++] = p;
		nl = strchr(p, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	if (record_tlsrpt_select(rrs, n, &rec, &warnings, NULL, &err) == 0)
		record_tlsrpt_clear(&rec);
	strlist_clear(&warnings);
	free(text);
	return 0;
}
