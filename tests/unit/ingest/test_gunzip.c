/* Unit tests for ingest/gunzip: bounded, member-aware gzip decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ingest/gunzip.h"
#include "unit/ingest/testdata.h"

static void
test_gunzip_decodes_one_member(void **state)
{
	const char *text = "{\"report-id\":\"x\"}";
	size_t gzlen;
	unsigned char *gz = testdata_gzip(text, strlen(text), &gzlen);
	struct buf out;
	struct err err = { "" };

	(void)state;
	assert_int_equal(gunzip_decode(gz, gzlen, 1024, &out, &err), 0);
	assert_int_equal(out.len, strlen(text));
	assert_memory_equal(out.data, text, out.len);
	buf_free(&out);
	free(gz);
}

static void
test_gunzip_decodes_concatenated_members(void **state)
{
	size_t l1, l2;
	unsigned char *a = testdata_gzip("{\"a\":", 5, &l1);
	unsigned char *b = testdata_gzip("1}", 2, &l2);
	unsigned char *both = malloc(l1 + l2);
	struct buf out;
	struct err err = { "" };

	(void)state;
	memcpy(both, a, l1);
	memcpy(both + l1, b, l2);
	assert_int_equal(gunzip_decode(both, l1 + l2, 1024, &out, &err), 0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.data, "{\"a\":1}", 7);
	buf_free(&out);
	free(a);
	free(b);
	free(both);
}

static void
test_gunzip_refuses_bomb_beyond_limit(void **state)
{
	size_t zlen = 1024 * 1024, gzlen;
	char *zeros = calloc(1, zlen);
	unsigned char *gz = testdata_gzip(zeros, zlen, &gzlen);
	struct buf out;
	struct err err = { "" };

	(void)state;
	assert_true(gzlen < 4096);       /* 1 MiB of zeros compresses to ~1 KiB */
	assert_int_equal(gunzip_decode(gz, gzlen, 64 * 1024, &out, &err), -1);
	assert_string_equal(err.msg,
		"gzip member expands beyond 64 KiB limit (decompression bomb?)");
	assert_true(out.len <= 64 * 1024);
	buf_free(&out);
	/* The same data passes with a limit that is large enough. */
	assert_int_equal(gunzip_decode(gz, gzlen, zlen, &out, &err), 0);
	assert_int_equal(out.len, zlen);
	buf_free(&out);
	free(gz);
	free(zeros);
}

static void
test_gunzip_refuses_every_truncation(void **state)
{
	const char *text = "{\"organization-name\":\"Example\",\"report-id\":\"1\"}";
	size_t gzlen;
	unsigned char *gz = testdata_gzip(text, strlen(text), &gzlen);

	(void)state;
	for (size_t cut = 0; cut < gzlen; cut++) {
		struct buf out;
		struct err err = { "" };

		if (gunzip_decode(gz, cut, 1024, &out, &err) != -1)
			fail_msg("truncated at %zu of %zu bytes was accepted", cut, gzlen);
		assert_true(strstr(err.msg, "gzip data is") != NULL);
		buf_free(&out);
	}
	free(gz);
}

static void
test_gunzip_refuses_corrupt_data(void **state)
{
	const char *text = "{\"organization-name\":\"Example\",\"report-id\":\"1\"}";
	size_t gzlen;
	unsigned char *gz = testdata_gzip(text, strlen(text), &gzlen);
	struct buf out;
	struct err err = { "" };

	(void)state;
	gz[gzlen - 6] ^= 0xff;  /* inside the CRC32 trailer */
	assert_int_equal(gunzip_decode(gz, gzlen, 1024, &out, &err), -1);
	assert_non_null(strstr(err.msg, "corrupt"));
	buf_free(&out);
	free(gz);
}

static void
test_gunzip_size_text_uses_units(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(gunzip_size_text(20 * 1024 * 1024, b, sizeof(b)), "20 MiB");
	assert_string_equal(gunzip_size_text(512 * 1024, b, sizeof(b)), "512 KiB");
	assert_string_equal(gunzip_size_text(1000, b, sizeof(b)), "1000 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gunzip_decodes_one_member),
		cmocka_unit_test(test_gunzip_decodes_concatenated_members),
		cmocka_unit_test(test_gunzip_refuses_bomb_beyond_limit),
		cmocka_unit_test(test_gunzip_refuses_every_truncation),
		cmocka_unit_test(test_gunzip_refuses_corrupt_data),
		cmocka_unit_test(test_gunzip_size_text_uses_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
