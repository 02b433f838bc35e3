/*
 * unzip: zip archive → regular-file entries with libarchive (zip format
 * only, read from memory).  Each entry is read in chunks into a buffer
 * bounded by max_entry, so declared sizes are never trusted.
 */
#include "ingest/unzip.h"

#include <archive.h>
#include <archive_entry.h>

#include "ingest/gunzip.h"
#include "util/buf.h"

/* Reads the current entry's data into b.  Returns 0 or -1 (err set). */
static int
read_entry(struct archive *a, const char *name, struct buf *b, struct err *err)
{
	char chunk[65536], sz[32];
	la_ssize_t n;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		if (buf_append(b, chunk, (size_t)n) != 0) {
			err_set(err, "zip entry \"%s\" expands beyond %s limit "
				"(decompression bomb?)", name,
				gunzip_size_text(b->max, sz, sizeof(sz)));
			return -1;
		}
	}
	if (n < 0) {
		err_set(err, "zip entry \"%s\": %s", name, archive_error_string(a));
		return -1;
	}
	return 0;
}

int
unzip_each(const void *data, size_t len, size_t max_entry, unsigned max_entries,
	   unzip_entry_cb cb, void *ctx, struct err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	struct buf b;
	unsigned seen = 0;
	int given = 0, rc, ret = -1;

	buf_init(&b, max_entry);
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		err_set(err, "zip archive: %s", archive_error_string(a));
		goto out;
	}
	for (;;) {
		const char *name;

		rc = archive_read_next_header(a, &entry);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			err_set(err, "zip archive: entry %u: %s", seen + 1,
				archive_error_string(a));
			goto out;
		}
		if (++seen > max_entries) {
			err_set(err, "zip archive has more than %u entries", max_entries);
			goto out;
		}
		name = archive_entry_pathname(entry);
		if (name == NULL)
			name = "";
		if (archive_entry_filetype(entry) != AE_IFREG)
			continue;
		buf_reset(&b);
		if (read_entry(a, name, &b, err) != 0)
			goto out;
		given++;
		rc = cb(ctx, name, b.data ? b.data : "", b.len, err);
		if (rc < 0)
			goto out;
		if (rc > 0)
			break;
	}
	ret = given;
out:
	buf_free(&b);
	archive_read_free(a);
	return ret;
}
