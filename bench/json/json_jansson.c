/* json_jansson: jansson (what tlsrpt uses) for json_bench.h; the flags
 * are the ones src/model/report_json.c passes. */
#include <jansson.h>

#include "json_bench.h"

static int
walk(json_t *v)
{
	int n = 1;

	if (json_is_object(v)) {
		const char *k;
		json_t *m;

		json_object_foreach(v, k, m)
			n += walk(m);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *m;

		json_array_foreach(v, i, m)
			n += walk(m);
	}
	return n;
}

int
lib_parse(const char *s, size_t len)
{
	json_error_t e;
	json_t *v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &e);
	int n;

	if (v == NULL)
		return -1;
	n = walk(v);
	json_decref(v);
	return n;
}

int
lib_exact_int(const char *s, long long want)
{
	json_error_t e;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
	int ok = v != NULL && json_is_integer(v) && json_integer_value(v) == want;

	json_decref(v);
	return ok;
}

int
lib_rejects_duplicates(void)
{
	json_error_t e;
	json_t *v = json_loads("{\"a\":1,\"a\":2}", JSON_REJECT_DUPLICATES, &e);

	json_decref(v);
	return v == NULL;
}

const char *
lib_name(void)
{
	return "jansson";
}
