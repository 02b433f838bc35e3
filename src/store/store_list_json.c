/*
 * store_list_json: a string list (policy-string, mx-host, quirks) as the
 * JSON array text the report tables keep (store_reports.c) and the policy
 * roll-up keys by (store_rollup_policies.c).
 */
#include <jansson.h>
#include <stdint.h>

#include "model/report_json_direct.h"
#include "store/store_private.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* The list as a compact JSON array of strings, as jansson's json_dumps()
 * writes it; NULL when !present. */
char *
store_list_json(const struct strlist *l, int present)
{
	struct buf b;
	json_t *a;
	size_t len;
	char *s;
	int ok = 1;

	if (!present)
		return NULL;
	buf_init(&b, SIZE_MAX / 2);      /* bounded by the report itself */
	buf_append(&b, "[", 1);
	for (size_t i = 0; ok && i < l->n; i++)
		ok = (i == 0 || buf_append(&b, ",", 1) == 0) &&
		     json_direct_append_string(&b, l->v[i], 0) == 0;
	if (ok && buf_append(&b, "]", 1) == 0)
		return buf_steal(&b, &len);
	buf_free(&b);
	/* invalid UTF-8: as before, through jansson */
	a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (s == NULL)
		return xstrdup("[]");
	return s;
}
