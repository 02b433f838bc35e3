/*
 * fuzz_journal: any bytes as a collector journal segment: journal_scan
 * must hand over only records that lie inside the buffer, count the rest
 * as torn, and never read past the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "collector/dgcount.h"
#include "collector/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const char *begin, *end;
	uint64_t bytes;
};

static int
check(void *ctx, int32_t day, const char *p, size_t len, uint64_t hash)
{
	struct span *s = ctx;
	volatile char sink = 0;

	if (hash != dgcount_hash(day, p, len))
		abort();
	if (p < s->begin || p + len > s->end || len > JOURNAL_PAYLOAD_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		sink ^= p[i];
	s->bytes += JOURNAL_HDR_BYTES + len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_scan_info info;
	struct span s = { (const char *)data, (const char *)data + size, 0 };

	journal_scan((const char *)data, size, check, &s, &info);
	if (s.bytes + info.torn_bytes != size)
		abort();
	return 0;
}
