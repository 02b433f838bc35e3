/*
 * dir_types: one directory's entry types by name (see dir_types.h), in a
 * glib hash table of name -> d_type + 1.
 */
#define _GNU_SOURCE
#include "util/dir_types.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct dir_types {
	GHashTable *types;      /* owned names -> GINT_TO_POINTER(d_type + 1) */
};

struct dir_types *
dir_types_list(const char *dir, size_t max_entries)
{
	DIR *d = opendir(dir);
	struct dir_types *t;
	struct dirent *e;
	size_t n = 0;
	int saved;

	if (d == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->types = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	errno = 0;
	while (n < max_entries && (e = readdir(d)) != NULL) {
		g_hash_table_replace(t->types, xstrdup(e->d_name),
				     GINT_TO_POINTER((int)e->d_type + 1));
		n++;
		errno = 0;
	}
	if (n < max_entries && errno != 0) {
		saved = errno;
		closedir(d);
		dir_types_free(&t);
		errno = saved;
		return NULL;
	}
	closedir(d);
	return t;
}

int
dir_types_get(const struct dir_types *t, const char *name)
{
	gpointer v = g_hash_table_lookup(t->types, name);

	return v == NULL ? -1 : GPOINTER_TO_INT(v) - 1;
}

void
dir_types_free(struct dir_types **t)
{
	if (t == NULL || *t == NULL)
		return;
	g_hash_table_destroy((*t)->types);
	free(*t);
	*t = NULL;
}
