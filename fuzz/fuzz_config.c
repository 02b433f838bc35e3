/*
 * fuzz_config: libFuzzer target for the tlsrpt.conf parser.  The input is
 * one configuration file, parsed against a small table with one parameter
 * of each type, so value checks run as well as the line syntax.
 */
#include <stddef.h>
#include <stdint.h>

#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct config_param table[] = {
	{ "name", CONFIG_STRING, "x", 0, 0, "string" },
	{ "count", CONFIG_INT, "1", 0, 1000, "integer" },
	{ "flag", CONFIG_BOOL, "no", 0, 0, "boolean" },
	{ "interval", CONFIG_DURATION, "1h", 0, 86400, "duration" },
	{ "limit", CONFIG_SIZE, "1M", 0, INT64_C(1) << 30, "size" },
	{ NULL, CONFIG_STRING, NULL, 0, 0, NULL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err;
	struct config *c = config_new(table, &err);

	if (c != NULL)
		(void)config_parse_text(c, (const char *)data, size, "fuzz", &err);
	config_free(&c);
	return 0;
}
