/*
 * maildir: new/ then cur/ of a Maildir through filedir_each (see
 * maildir.h).  tmp/ holds messages still being delivered and is skipped.
 */
#include "ingest/maildir.h"

#include <stdlib.h>

#include "ingest/filedir.h"
#include "util/xalloc.h"

int
maildir_each(const char *dir, size_t max_size, source_item_cb cb, void *ctx,
	     struct err *err)
{
	static const char *const subdirs[] = { "new", "cur" };
	int listed = 0, ret = 0;

	for (size_t i = 0; i < 2 && ret == 0; i++) {
		char *sub = xasprintf("%s/%s", dir, subdirs[i]);
		struct err derr = { "" };
		int rc = filedir_each(sub, max_size, cb, ctx, &derr);

		free(sub);
		if (rc < 0)
			continue;
		listed++;
		ret = rc;
	}
	if (listed == 0) {
		err_set(err, "%s: not a Maildir (no readable new/ or cur/)", dir);
		return -1;
	}
	return ret;
}
