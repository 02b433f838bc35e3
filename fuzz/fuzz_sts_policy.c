/*
 * fuzz_sts_policy: libFuzzer target for the MTA-STS policy file parser
 * (and the _mta-sts TXT record parser on the first line, and the MX
 * matcher on the parsed patterns).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/sts_policy.h"
#include "model/sts_record.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy p;
	struct sts_record rec;
	struct strlist w = { 0 };
	struct err err;
	char *first = xstrndup((const char *)data, size);
	size_t i;

	first[strcspn(first, "\r\n")] = '\0';
	if (record_sts_parse(first, &rec, &w, &err) == 0)
		record_sts_clear(&rec);
	(void)sts_policy_parse((const char *)data, size, &p, &w, &err);
	for (i = 0; i < p.mx.n; i++)
		(void)sts_mx_match(p.mx.v[i], "mx.example.com");
	(void)sts_mx_match(first, "a.b.example.com.");
	sts_policy_clear(&p);
	strlist_clear(&w);
	free(first);
	return 0;
}
