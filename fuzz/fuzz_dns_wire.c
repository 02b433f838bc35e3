/*
 * fuzz_dns_wire: libFuzzer target for dns_wire_fill(), the reader of the
 * answer messages libunbound hands over.  The input is the message; it is
 * read as the answer to example.test for each type the project asks.
 */
#include <stddef.h>
#include <stdint.h>

#include "net/dns_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { DNS_A, DNS_CNAME, DNS_MX, DNS_TXT, DNS_AAAA, DNS_TLSA };
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct dns_answer a = { 0 };

		dns_wire_fill(&a, "example.test", types[i], data, size);
		dns_answer_clear(&a);
	}
	return 0;
}
