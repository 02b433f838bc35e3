/* json_jsonc: json-c for json_bench.h (one tokener reused, as a decoder
 * of many datagrams would). */
#include <json-c/json.h>

#include "json_bench.h"

static int
walk(struct json_object *v)
{
	int n = 1;

	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, m) {
			(void)k;
			n += walk(m);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t len = json_object_array_length(v);

		for (size_t i = 0; i < len; i++)
			n += walk(json_object_array_get_idx(v, i));
	}
	return n;
}

static struct json_object *
parse(const char *s, size_t len)
{
	static struct json_tokener *tok;
	struct json_object *v;

	if (tok == NULL)
		tok = json_tokener_new();
	json_tokener_reset(tok);
	v = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

int
lib_parse(const char *s, size_t len)
{
	struct json_object *v = parse(s, len);
	int n;

	if (v == NULL)
		return -1;
	n = walk(v);
	json_object_put(v);
	return n;
}

int
lib_exact_int(const char *s, long long want)
{
	/* the NUL ends a bare number (otherwise the tokener waits for more) */
	struct json_object *v = parse(s, strlen(s) + 1);
	int ok = v != NULL && json_object_is_type(v, json_type_int) &&
		 json_object_get_int64(v) == want;

	json_object_put(v);
	return ok;
}

int
lib_rejects_duplicates(void)
{
	/* json-c keeps the last value; it has no option to refuse or report */
	struct json_object *v = parse("{\"a\":1,\"a\":2}", 13);

	json_object_put(v);
	return v == NULL;
}

const char *
lib_name(void)
{
	return "json-c";
}
