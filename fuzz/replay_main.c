/*
 * replay_main: runs a libFuzzer target without libFuzzer, over every file
 * of the directories or files given, so `make check` replays each target's
 * seed corpus (and past crashes) with any compiler.  Prints one TAP line
 * per input.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path, int n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, got;
	unsigned char chunk[65536];

	if (f == NULL) {
		printf("not ok %d - %s: cannot open\n", n, path);
		return 1;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + got > cap) {
			cap = (len + got) * 2;
			data = realloc(data, cap);
			if (data == NULL)
				abort();
		}
		memcpy(data + len, chunk, got);
		len += got;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", len);
	free(data);
	printf("ok %d - %s\n", n, path);
	return 0;
}

int
main(int argc, char **argv)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) != 0)
			continue;
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i], ++n);
			continue;
		}
		d = opendir(argv[i]);
		while (d != NULL && (e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			replay_file(path, ++n);
		}
		if (d != NULL)
			closedir(d);
	}
	if (n == 0)
		printf("ok 1 - no inputs\n");
	return 0;
}
