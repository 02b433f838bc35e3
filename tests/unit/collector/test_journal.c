/* Unit tests for collector/journal: records written by journal_append()
 * come back from journal_replay() byte for byte with their day (and the
 * hash the collector's count takes); records of the former format (TJR1,
 * CRC-32) are replayed too; every
 * kind of damage (torn header, torn payload, bad magic, bad CRC, a
 * length past the end) ends the scan there and is counted, never read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "collector/dgcount.h"
#include "collector/journal.h"

struct seen {
	int n;
	char data[8][64];
	size_t len[8];
	int32_t day[8];
};

static int
remember(void *ctx, int32_t day, const char *data, size_t len, uint64_t hash)
{
	struct seen *s = ctx;

	/* the hash the collector's count takes from the scan is its own */
	assert_true(hash == dgcount_hash(day, data, len));
	if (s->n < 8 && len < 64) {
		memcpy(s->data[s->n], data, len);
		s->len[s->n] = len;
		s->day[s->n] = day;
	}
	s->n++;
	return 0;
}

/* Writes two records ("hello", "") then "world" in a second append;
 * returns the segment's bytes in *buf (caller frees), its length in *len. */
static void
make_segment(char *dir, char **buf, size_t *len)
{
	struct iovec a[2] = { { "hello", 5 }, { "", 0 } }, b = { "world", 5 };
	uint64_t *old, old_bytes, bytes, records, seq;
	size_t n_old;
	struct journal *j;
	struct err err;
	char path[256];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	j = journal_open(dir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	free(old);
	assert_int_equal(journal_append(j, 20000, a, 2, &err), 0);
	assert_int_equal(journal_append(j, 20001, &b, 1, &err), 0);
	assert_int_equal(journal_open_bytes(j), 3 * JOURNAL_HDR_BYTES + 10);
	seq = journal_rotate(j, &bytes, &records);
	assert_int_equal(seq, 1);
	assert_int_equal(records, 3);
	assert_int_equal(bytes, 3 * JOURNAL_HDR_BYTES + 10);
	/* a second journal on the same directory is refused while this one is open */
	assert_null(journal_open(dir, &old, &n_old, &old_bytes, &err));
	assert_non_null(strstr(err.msg, "another running collector"));
	journal_close(&j);
	snprintf(path, sizeof(path), "%s/%016x.tjr", dir, 1);
	f = fopen(path, "rb");
	assert_non_null(f);
	*buf = malloc(4096);
	*len = fread(*buf, 1, 4096, f);
	fclose(f);
	assert_int_equal(*len, bytes);
}

static void
test_journal_round_trip(void **state)
{
	char dir[] = "/tmp/tlsrpt-journal.XXXXXX", cmd[128];
	struct journal_scan_info info;
	struct seen s = { 0 };
	uint64_t *old, old_bytes;
	size_t n_old, len;
	struct journal *j;
	struct err err;
	char *buf;

	(void)state;
	make_segment(dir, &buf, &len);
	assert_int_equal(journal_replay(dir, 1, remember, &s, &info, &err), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(info.records, 3);
	assert_int_equal(info.torn_bytes, 0);
	assert_memory_equal(s.data[0], "hello", 5);
	assert_int_equal(s.len[1], 0);
	assert_memory_equal(s.data[2], "world", 5);
	assert_int_equal(s.day[0], 20000);
	assert_int_equal(s.day[2], 20001);
	/* reopened: the segment is found, new ones are numbered after it */
	j = journal_open(dir, &old, &n_old, &old_bytes, &err);
	assert_non_null(j);
	assert_int_equal(n_old, 1);
	assert_int_equal(old[0], 1);
	assert_int_equal(old_bytes, len);
	free(old);
	assert_int_equal(journal_append(j, 1, &(struct iovec){ "x", 1 }, 1, &err), 0);
	journal_close(&j);
	assert_int_equal(journal_remove(dir, 1, &err), 0);
	assert_int_equal(journal_replay(dir, 1, remember, &s, &info, &err), -1);
	s.n = 0;
	assert_int_equal(journal_replay(dir, 2, remember, &s, &info, &err), 0);
	assert_int_equal(s.n, 1);
	free(buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_journal_scan_stops_at_damage(void **state)
{
	char dir[] = "/tmp/tlsrpt-journal.XXXXXX", cmd[128];
	size_t len;
	char *buf, *copy;
	static const struct {
		const char *name;
		size_t cut;             /* length kept (0: all) */
		long flip;              /* byte flipped (-1: none) */
		int want;               /* records read */
	} cases[] = {
		{ "intact", 0, -1, 3 },
		{ "torn header", JOURNAL_HDR_BYTES - 3, -1, 0 },
		{ "torn payload", JOURNAL_HDR_BYTES + 2, -1, 0 },
		{ "second record's header torn", JOURNAL_HDR_BYTES + 5 + 7, -1, 1 },
		{ "bad magic", 0, 0, 0 },
		{ "length past the end", 0, 5, 0 },
		{ "bad CRC", 0, 12, 0 },
		{ "payload changed", 0, JOURNAL_HDR_BYTES + 1, 0 },
		{ "day changed", 0, 9, 0 },
		{ "second record damaged", 0, JOURNAL_HDR_BYTES + 5 + 1, 1 },
	};

	(void)state;
	make_segment(dir, &buf, &len);
	copy = malloc(len);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct journal_scan_info info;
		struct seen s = { 0 };
		size_t l = cases[i].cut ? cases[i].cut : len;

		memcpy(copy, buf, len);
		if (cases[i].flip >= 0)
			copy[cases[i].flip] ^= 0x40;
		assert_int_equal(journal_scan(copy, l, remember, &s, &info), 0);
		if (s.n != cases[i].want || info.records != (uint64_t)cases[i].want)
			fail_msg("%s: %d records, want %d", cases[i].name, s.n, cases[i].want);
		if (cases[i].want < 3 && info.torn_bytes == 0)
			fail_msg("%s: torn bytes not counted", cases[i].name);
	}
	free(copy);
	free(buf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Appends a record as earlier versions wrote it: magic "TJR1", the
 * length, the day, zlib's CRC-32 of the day's four bytes and the payload. */
static size_t
v1_record(char *out, int32_t day, const char *payload)
{
	uint32_t hdr[4];
	uLong c = crc32(0L, Z_NULL, 0);
	size_t len = strlen(payload);

	c = crc32(c, (const Bytef *)&day, sizeof(day));
	c = crc32(c, (const Bytef *)payload, (uInt)len);
	hdr[0] = JOURNAL_MAGIC_V1;
	hdr[1] = (uint32_t)len;
	memcpy(&hdr[2], &day, sizeof(day));
	hdr[3] = (uint32_t)c;
	memcpy(out, hdr, sizeof(hdr));
	memcpy(out + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

/* Segments left by an earlier version are still replayed, checked by
 * their CRC-32, and handed on with the same hash as a new record's. */
static void
test_journal_scan_reads_v1_records(void **state)
{
	char buf[256];
	size_t len = 0, first;
	struct journal_scan_info info;
	struct seen s = { 0 };

	(void)state;
	len += v1_record(buf + len, 20000, "older");
	first = len;
	len += v1_record(buf + len, 20001, "records");
	assert_int_equal(journal_scan(buf, len, remember, &s, &info), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.torn_bytes, 0);
	assert_int_equal(s.day[1], 20001);
	assert_memory_equal(s.data[1], "records", 7);
	/* a changed payload byte fails the CRC: the scan stops there */
	buf[first + JOURNAL_HDR_BYTES] ^= 0x40;
	s.n = 0;
	assert_int_equal(journal_scan(buf, len, remember, &s, &info), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(info.torn_bytes, len - first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_round_trip),
		cmocka_unit_test(test_journal_scan_stops_at_damage),
		cmocka_unit_test(test_journal_scan_reads_v1_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
