/*
 * corpus_load: reading tests/corpus (its files and MANIFEST.tsv) for the
 * tests and the benchmarks that run over it.  Header-only: each user is one
 * .c file linked with the core library (tests/unit/model/test_corpus_json.c,
 * bench/bench_parse_json.c, bench/bench_datetime.c).
 */
#ifndef TLSRPT_TESTS_CORPUS_LOAD_H
#define TLSRPT_TESTS_CORPUS_LOAD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MANIFEST.tsv columns: file, …, [5] container, [6] provenance, … */
#define CORPUS_COLS 9
#define CORPUS_COL_CONTAINER 5
#define CORPUS_COL_PROVENANCE 6

/* Returns the whole file at path, NUL-terminated, with its length (without
 * the NUL) in *len; NULL when it cannot be read.  Caller frees. */
static inline char *
corpus_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data != NULL) {
			*len = fread(data, 1, (size_t)n, f);
			data[*len] = '\0';
		}
	}
	fclose(f);
	return data;
}

/* Called for each data row of MANIFEST.tsv with its columns (absent ones
 * NULL; the strings live until the call returns) and the row's path under
 * src.  Returns 1 to count the row, 0 not to, -1 to stop. */
typedef int (*corpus_row_fn)(void *arg, char *col[CORPUS_COLS], const char *path);

/* Calls fn for every row of src/tests/corpus/MANIFEST.tsv (the header row
 * skipped).  Returns the number of rows fn counted, or -1 when the
 * manifest cannot be read. */
static inline long
corpus_manifest_foreach(const char *src, corpus_row_fn fn, void *arg)
{
	char path[4096], file[8192];
	char *text, *line, *save = NULL;
	size_t len;
	long n = 0;

	snprintf(path, sizeof(path), "%s/tests/corpus/MANIFEST.tsv", src);
	if ((text = corpus_slurp(path, &len)) == NULL)
		return -1;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *col[CORPUS_COLS] = { 0 }, *p = line;
		int rc;

		for (int k = 0; k < CORPUS_COLS && p != NULL; k++) {
			col[k] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
		}
		if (strcmp(col[0], "file") == 0)
			continue;
		snprintf(file, sizeof(file), "%s/tests/corpus/%s", src, col[0]);
		if ((rc = fn(arg, col, file)) < 0)
			break;
		n += rc;
	}
	free(text);
	return n;
}

#endif
