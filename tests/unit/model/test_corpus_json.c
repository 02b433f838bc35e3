/*
 * Corpus round trip for the report JSON codec: every report of
 * tests/corpus/MANIFEST.tsv whose container is json, gz or gz (base64 text)
 * (and whose provenance is not "negative") is parsed, written back with
 * REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED, and compared with the
 * original so that no field is lost.  The only differences allowed are the
 * documented normalisations, each applied to the original by its own
 * function below.  One TAP line per corpus file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <jansson.h>
#include <zlib.h>

#include "model/report_json.h"
#include "model/report_json_direct.h"
#include "../../corpus_load.h"

struct corpus_file {
	char *file;          /* path under tests/corpus */
	char *container;     /* json, gz, gz (base64 text) */
	char path[4096];
};

/* ---- loading ---------------------------------------------------------- */

/* Gunzips in[0..n) (at most REPORT_JSON_MAX_SIZE bytes out). */
static char *
gunzip(const unsigned char *in, size_t n, size_t *out_len)
{
	z_stream zs;
	size_t cap = 1 << 16;
	char *out = malloc(cap + 1);
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		fail_msg("inflateInit2 failed");
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	do {
		if (zs.total_out == cap) {
			if (cap >= REPORT_JSON_MAX_SIZE)
				fail_msg("gzip output over the limit");
			cap *= 2;
			out = realloc(out, cap + 1);
		}
		zs.next_out = (unsigned char *)out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
	} while (rc == Z_OK);
	if (rc != Z_STREAM_END)
		fail_msg("gunzip failed: %d %s", rc, zs.msg ? zs.msg : "");
	*out_len = zs.total_out;
	out[*out_len] = '\0';
	inflateEnd(&zs);
	return out;
}

/* Returns the report JSON bytes of the corpus file (caller frees). */
static char *
load_report(const struct corpus_file *c, size_t *len)
{
	size_t n = 0;
	char *raw = corpus_slurp(c->path, &n), *json;

	if (raw == NULL)
		fail_msg("%s: cannot read", c->path);
	if (strcmp(c->container, "json") == 0) {
		*len = n;
		return raw;
	}
	if (strcmp(c->container, "gz") == 0) {
		json = gunzip((unsigned char *)raw, n, len);
	} else {
		gsize blen = 0;
		guchar *bin = g_base64_decode(raw, &blen);

		json = gunzip(bin, blen, len);
		g_free(bin);
	}
	free(raw);
	return json;
}

/* ---- the documented normalisations, applied to the original ----------- */

/* "policies": {…} (one object) is read as a one-element array. */
static void
norm_policies_object(json_t *root)
{
	json_t *p = json_object_get(root, "policies");

	if (json_is_object(p)) {
		json_t *a = json_array();

		json_array_append(a, p);
		json_object_set_new(root, "policies", a);
	}
}

/* Optional members given as null are absent. */
static void
norm_drop_null(json_t *o, const char *key)
{
	if (json_is_null(json_object_get(o, key)))
		json_object_del(o, key);
}

/* A draft-era member name is read as the RFC name (when that is absent). */
static void
norm_draft_name(json_t *o, const char *draft, const char *rfc)
{
	json_t *v = json_object_get(o, draft);

	if (v != NULL && json_object_get(o, rfc) == NULL) {
		json_object_set(o, rfc, v);
		json_object_del(o, draft);
	}
}

/* An array member given as one string is a one-element array. */
static void
norm_string_to_array(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v)) {
		json_t *a = json_array();

		json_array_append(a, v);
		json_object_set_new(o, key, a);
	}
}

/* Microsoft TLSA: ["[\"3 1 1 ..\",\"3 1 1 ..\"]"] is split into its RRs. */
static void
norm_split_policy_string(json_t *policy)
{
	json_t *ps = json_object_get(policy, "policy-string"), *inner;
	const char *s;

	if (!json_is_array(ps) || json_array_size(ps) != 1 ||
	    !json_is_string(json_array_get(ps, 0)))
		return;
	s = json_string_value(json_array_get(ps, 0));
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '[' || (inner = json_loads(s, 0, NULL)) == NULL)
		return;
	if (json_is_array(inner))
		json_object_set(policy, "policy-string", inner);
	json_decref(inner);
}

/* Counts: absent or null is 0; "5" and 5.0 are 5. */
static void
norm_count(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		json_object_set_new(o, key, json_integer(0));
	else if (json_is_string(v))
		json_object_set_new(o, key, json_integer(strtoll(json_string_value(v), NULL, 10)));
	else if (json_is_real(v))
		json_object_set_new(o, key, json_integer((json_int_t)json_real_value(v)));
}

/* report-id given as an integer is its decimal text. */
static void
norm_int_to_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v)) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		json_object_set_new(o, key, json_string(buf));
	}
}

static void
norm_detail(json_t *d)
{
	static const char *const optional[] = { "sending-mta-ip", "receiving-mx-hostname",
						"receiving-mx-helo", "receiving-ip",
						"additional-information", "failure-reason-code" };

	norm_draft_name(d, "additional-info-uri", "additional-information");
	norm_draft_name(d, "failure-error-code", "failure-reason-code");
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		norm_drop_null(d, optional[i]);
	norm_count(d, "failed-session-count");
}

static void
norm_policy_item(json_t *item)
{
	json_t *policy = json_object_get(item, "policy");
	json_t *summary = json_object_get(item, "summary");
	json_t *details, *d;
	size_t i;

	norm_draft_name(policy, "mx-host-pattern", "mx-host");
	norm_drop_null(policy, "policy-string");
	norm_drop_null(policy, "policy-domain");
	norm_drop_null(policy, "mx-host");
	norm_string_to_array(policy, "mx-host");
	norm_string_to_array(policy, "policy-string");
	norm_split_policy_string(policy);
	if (summary == NULL || json_is_null(summary)) {
		summary = json_object();
		json_object_set_new(item, "summary", summary);
	}
	norm_count(summary, "total-successful-session-count");
	norm_count(summary, "total-failure-session-count");
	norm_drop_null(item, "failure-details");
	details = json_object_get(item, "failure-details");
	json_array_foreach(details, i, d)
		norm_detail(d);
}

static void
normalise(json_t *root)
{
	json_t *item;
	size_t i;

	norm_drop_null(root, "contact-info");
	norm_int_to_string(root, "report-id");
	norm_policies_object(root);
	json_array_foreach(json_object_get(root, "policies"), i, item)
		norm_policy_item(item);
}

/* ---- the test --------------------------------------------------------- */

/* Known oddities of particular corpus files (MANIFEST notes) that the
 * parser must have recorded as quirks. */
static const struct {
	const char *file, *quirk;
} expected_quirks[] = {
	{ "phi-ag+mta-sts-exporter/microsoft-2.json",
	  "date-range.start-datetime: no time zone, taken as UTC" },
	{ "cry-inc+dmarc-report-viewer/microsoft.json",
	  "policies[1].policy.policy-string: one string holding a JSON array, split into 2" },
	{ "sebastka+tlsrpt/microsoft-tlsa-sts.json",
	  "policies[0].policy.policy-string: one string holding a JSON array, split into 1" },
	{ "danmarg+tlsrpt_processor/sample.json",
	  "policies[0].failure-details[2].failure-error-code: draft-era name" },
	{ "danmarg+tlsrpt_processor/sample.json",
	  "policies[0].policy.mx-host: a string, not an array" },
	{ "Neztore+tls-rpt-monitor/microsoft-report.json",
	  "policies[0].failure-details[0].additional-info-uri: draft-era name" },
	{ "cry-inc+dmarc-report-viewer/no-contact.json", "contact-info: null" },
	{ "cry-inc+dmarc-report-viewer/no-contact.json",
	  "date-range.end-datetime: 00:00 of the next day" },
	{ "_from-issues/sys4+tlsrpt-reporter_issue51_sonne.floppy.org.json",
	  "policies[0].policy.policy-domain: missing" },
	{ "stalwartlabs+mail-auth/rpt03.json",
	  "policies[0].summary.total-failure-session-count: missing, taken as 0" },
};

static void
check_expected_quirks(const struct corpus_file *c, const struct report *r)
{
	for (size_t i = 0; i < sizeof(expected_quirks) / sizeof(expected_quirks[0]); i++) {
		int found = 0;

		if (strcmp(expected_quirks[i].file, c->file) != 0)
			continue;
		for (size_t k = 0; k < r->quirks.n; k++)
			if (strncmp(r->quirks.v[k], expected_quirks[i].quirk,
				    strlen(expected_quirks[i].quirk)) == 0)
				found = 1;
		if (!found)
			fail_msg("%s: quirk \"%s\" not recorded", c->file, expected_quirks[i].quirk);
	}
}

/* The canonical form parses back to a report whose canonical form is the
 * same text, with the same dates and counts. */
static void
check_canonical_is_stable(const struct corpus_file *c, const struct report *r)
{
	struct err err = { "" };
	char *one = report_write_json(r, 0), *two;
	struct report *back = report_parse_json(one, strlen(one), &err);

	if (back == NULL)
		fail_msg("%s: canonical output does not parse: %s", c->file, err.msg);
	two = report_write_json(back, 0);
	assert_string_equal(one, two);
	assert_int_equal(back->start, r->start);
	assert_int_equal(back->end, r->end);
	assert_int_equal(back->n_policies, r->n_policies);
	for (size_t i = 0; i < r->n_policies; i++) {
		assert_int_equal(back->policies[i].total_failure_session_count,
				 r->policies[i].total_failure_session_count);
		assert_int_equal(back->policies[i].n_failure_details,
				 r->policies[i].n_failure_details);
	}
	free(one);
	free(two);
	report_free(back);
}

/* The direct writer (report_json_direct.h) gives the jansson writer's
 * bytes for every flag combination it takes (the store digests this
 * text: store_conflicts.h), and declines the ones it does not. */
static void
check_direct_writer_is_jansson(const struct corpus_file *c, const struct report *r)
{
	static const unsigned flags[] = {
		0, REPORT_JSON_AS_RECEIVED, REPORT_JSON_KEEP_EXTRA,
		REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED, REPORT_JSON_PRETTY,
	};
	int extra = r->extra_json != NULL;

	for (size_t i = 0; i < r->n_policies; i++) {
		extra |= r->policies[i].extra_json != NULL;
		for (size_t j = 0; j < r->policies[i].n_failure_details; j++)
			extra |= r->policies[i].failure_details[j].extra_json != NULL;
	}
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		char *direct = report_write_json_direct(r, flags[k]);
		char *tree = report_write_json_tree(r, flags[k]);
		char *either = report_write_json(r, flags[k]);

		if ((flags[k] & REPORT_JSON_PRETTY) || (extra && (flags[k] & REPORT_JSON_KEEP_EXTRA)))
			assert_null(direct);
		else if (direct == NULL || strcmp(direct, tree) != 0)
			fail_msg("%s: flags %#x: direct writer differs:\n%s\n%s", c->file, flags[k],
				 direct ? direct : "(null)", tree);
		assert_string_equal(either, tree);
		free(direct);
		free(tree);
		free(either);
	}
}

static void
test_corpus_file_round_trips_without_loss(void **state)
{
	const struct corpus_file *c = *state;
	struct err err = { "" };
	size_t len = 0;
	char *json = load_report(c, &len), *out, *again;
	struct report *r = report_parse_json(json, len, &err), *back;
	json_t *orig, *written;
	json_error_t je;

	if (r == NULL)
		fail_msg("%s: parse failed: %s", c->file, err.msg);
	for (size_t i = 0; i < r->quirks.n; i++)
		print_message("# %s: quirk: %s\n", c->file, r->quirks.v[i]);
	check_expected_quirks(c, r);
	out = report_write_json(r, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED);
	assert_non_null(out);
	/* The original as jansson reads it; duplicates: the last wins, as in the parser. */
	orig = json_loadb(json, len, 0, &je);
	if (orig == NULL)
		fail_msg("%s: jansson cannot read the original: %s", c->file, je.text);
	written = json_loads(out, JSON_REJECT_DUPLICATES, &je);
	if (written == NULL)
		fail_msg("%s: written JSON does not load: %s", c->file, je.text);
	normalise(orig);
	if (!json_equal(orig, written)) {
		char *a = json_dumps(orig, JSON_SORT_KEYS | JSON_INDENT(1));
		char *b = json_dumps(written, JSON_SORT_KEYS | JSON_INDENT(1));

		print_message("# normalised original:\n%s\n# written:\n%s\n", a, b);
		free(a);
		free(b);
		fail_msg("%s: written report differs from the (normalised) original", c->file);
	}
	/* Writing what we wrote gives the same text again. */
	back = report_parse_json(out, strlen(out), &err);
	if (back == NULL)
		fail_msg("%s: our own output does not parse: %s", c->file, err.msg);
	again = report_write_json(back, REPORT_JSON_KEEP_EXTRA | REPORT_JSON_AS_RECEIVED);
	assert_string_equal(out, again);
	check_canonical_is_stable(c, r);
	check_direct_writer_is_jansson(c, r);
	check_direct_writer_is_jansson(c, back);
	json_decref(orig);
	json_decref(written);
	free(again);
	free(out);
	free(json);
	report_free(back);
	report_free(r);
}

struct selection {
	struct corpus_file *v;
	size_t n;
};

/* Selects the rows whose container is json, gz or gz (base64 text) and
 * whose provenance is not "negative". */
static int
select_row(void *arg, char *col[CORPUS_COLS], const char *path)
{
	struct selection *sel = arg;
	const char *container = col[CORPUS_COL_CONTAINER];

	if (col[CORPUS_COL_PROVENANCE] == NULL || strcmp(col[CORPUS_COL_PROVENANCE], "negative") == 0)
		return 0;
	if (strcmp(container, "json") != 0 && strcmp(container, "gz") != 0 &&
	    strcmp(container, "gz (base64 text)") != 0)
		return 0;
	sel->v = realloc(sel->v, (sel->n + 1) * sizeof(*sel->v));
	sel->v[sel->n].file = strdup(col[0]);
	sel->v[sel->n].container = strdup(container);
	snprintf(sel->v[sel->n].path, sizeof(sel->v[sel->n].path), "%s", path);
	sel->n++;
	return 1;
}

/* Reads MANIFEST.tsv and returns the selected rows. */
static struct corpus_file *
manifest_read(const char *src, size_t *n_out)
{
	struct selection sel = { NULL, 0 };

	if (corpus_manifest_foreach(src, select_row, &sel) < 0)
		fprintf(stderr, "cannot read %s/tests/corpus/MANIFEST.tsv (set TLSRPT_SRC to the "
			"source tree)\n", src);
	*n_out = sel.n;
	return sel.v;
}

int
main(void)
{
	const char *src = getenv("TLSRPT_SRC") != NULL ? getenv("TLSRPT_SRC") : ".";
	size_t n;
	struct corpus_file *files = manifest_read(src, &n);
	struct CMUnitTest *tests;
	int rc;

	if (n == 0) {
		printf("1..1\nnot ok 1 - corpus: no JSON reports found under %s/tests/corpus\n", src);
		return 1;
	}
	tests = calloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = files[i].file;
		tests[i].test_func = test_corpus_file_round_trips_without_loss;
		tests[i].initial_state = &files[i];
	}
	rc = _cmocka_run_group_tests("corpus_json", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(files[i].file);
		free(files[i].container);
	}
	free(files);
	free(tests);
	return rc;
}
