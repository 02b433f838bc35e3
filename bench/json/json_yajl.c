/* json_yajl: yajl for json_bench.h, two ways: its tree API (yajl_tree,
 * like the others) and, with BENCH_YAJL_SAX=1, its callback parser
 * (no tree: what a decoder of the fixed datagram shape could use). */
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "json_bench.h"

static int
walk(yajl_val v)
{
	int n = 1;

	if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++)
			n += walk(v->u.object.values[i]);
	} else if (YAJL_IS_ARRAY(v)) {
		for (size_t i = 0; i < v->u.array.len; i++)
			n += walk(v->u.array.values[i]);
	}
	return n;
}

static int count_cb(void *ctx) { (*(int *)ctx)++; return 1; }
static int bool_cb(void *ctx, int b) { (void)b; return count_cb(ctx); }
static int num_cb(void *ctx, const char *s, size_t l) { (void)s; (void)l; return count_cb(ctx); }
static int str_cb(void *ctx, const unsigned char *s, size_t l) { (void)s; (void)l; return count_cb(ctx); }
static int key_cb(void *ctx, const unsigned char *s, size_t l) { (void)ctx; (void)s; (void)l; return 1; }
static int end_cb(void *ctx) { (void)ctx; return 1; }

static const yajl_callbacks sax = {
	count_cb, bool_cb, NULL, NULL, num_cb, str_cb,
	count_cb, key_cb, end_cb, count_cb, end_cb,
};

int
lib_parse(const char *s, size_t len)
{
	static int use_sax = -1;
	char *copy, err[128];
	yajl_val v;
	int n = 0;

	if (use_sax < 0)
		use_sax = getenv("BENCH_YAJL_SAX") != NULL;
	if (use_sax) {
		yajl_handle h = yajl_alloc(&sax, NULL, &n);
		int ok = yajl_parse(h, (const unsigned char *)s, len) == yajl_status_ok &&
			 yajl_complete_parse(h) == yajl_status_ok;

		yajl_free(h);
		return ok ? n : -1;
	}
	/* yajl_tree_parse wants a NUL-terminated string */
	copy = malloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	v = yajl_tree_parse(copy, err, sizeof(err));
	free(copy);
	if (v == NULL)
		return -1;
	n = walk(v);
	yajl_tree_free(v);
	return n;
}

int
lib_exact_int(const char *s, long long want)
{
	char err[128];
	yajl_val v = yajl_tree_parse(s, err, sizeof(err));
	int ok = v != NULL && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) == want;

	yajl_tree_free(v);
	return ok;
}

int
lib_rejects_duplicates(void)
{
	/* yajl_tree keeps both members; neither API refuses or reports them */
	char err[128];
	yajl_val v = yajl_tree_parse("{\"a\":1,\"a\":2}", err, sizeof(err));

	yajl_tree_free(v);
	return v == NULL;
}

const char *
lib_name(void)
{
	return getenv("BENCH_YAJL_SAX") != NULL ? "yajl-sax" : "yajl";
}
