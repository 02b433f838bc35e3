/* Unit tests for store/db_array (PostgreSQL array literals) and
 * store/db_batch (which statements are kept, and the multi-row statement
 * they become: db_batch_send() is given a recorder), and batch mode end
 * to end on each engine (rows with awkward text through db_batch_begin()
 * and back). */
#include "unit/store/store_test.h"

#include <stdint.h>

#include "store/db_array.h"
#include "store/db_batch.h"
#include "util/buf.h"

/* Each element list and the literal it must give. */
static void
test_array_literals_quote_and_escape(void **state)
{
	static const struct {
		const char *elems[4];   /* "#n" an integer, "~" NULL, else text */
		int n;
		const char *literal, *type;
	} cases[] = {
		{ { NULL }, 0, "{}", "bigint" },
		{ { "#1", "#-9223372036854775807", "~" }, 3, "{1,-9223372036854775807,NULL}", "bigint" },
		{ { "a", "~", "" }, 3, "{\"a\",NULL,\"\"}", "text" },
		{ { "NULL", "{x,y}" }, 2, "{\"NULL\",\"{x,y}\"}", "text" },
		{ { "say \"hi\"", "back\\slash", "\\\"" }, 3,
		  "{\"say \\\"hi\\\"\",\"back\\\\slash\",\"\\\\\\\"\"}", "text" },
		{ { "\xc3\xbc \t'" }, 1, "{\"\xc3\xbc \t'\"}", "text" },
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct db_array a;

		db_array_init(&a);
		for (int i = 0; i < cases[c].n; i++) {
			const char *e = cases[c].elems[i];

			if (e[0] == '#')
				db_array_int64(&a, strtoll(e + 1, NULL, 10));
			else
				db_array_text(&a, strcmp(e, "~") == 0 ? NULL : e);
		}
		assert_string_equal(db_array_literal(&a), cases[c].literal);
		assert_string_equal(db_array_type(&a), cases[c].type);
		/* the literal can be read again, and the array grows on */
		assert_string_equal(db_array_literal(&a), cases[c].literal);
		db_array_reset(&a);
		assert_string_equal(db_array_literal(&a), "{}");
		db_array_free(&a);
	}
}

/* What db_batch_send() sent: SQL and literals, one line each. */
static int
record(void *ctx, const char *sql, int n, const char *const *literals, struct err *err)
{
	struct buf *out = ctx;

	(void)err;
	buf_printf(out, "%s\n", sql);
	for (int i = 0; i < n; i++)
		buf_printf(out, "  $%d %s\n", i + 1, literals[i]);
	return 0;
}

/* Which statements are kept, and what two rows of each become. */
static void
test_batch_keeps_plain_inserts_and_sends_one_statement_each(void **state)
{
	static const struct {
		const char *sql;
		int kept;
		const char *sent;      /* after two rows ($1 = 1 and 2, $2 = "a", NULL) */
	} cases[] = {
		{ "INSERT INTO t (a, b) VALUES ($1, $2)", 1,
		  "INSERT INTO t (a, b) SELECT * FROM unnest($1::bigint[], $2::text[])\n"
		  "  $1 {1,2}\n  $2 {\"a\",NULL}\n" },
		{ "INSERT INTO t (a, b) VALUES ($1,$2) ON CONFLICT DO NOTHING", 1,
		  "INSERT INTO t (a, b) SELECT * FROM unnest($1::bigint[], $2::text[])"
		  " ON CONFLICT DO NOTHING\n  $1 {1,2}\n  $2 {\"a\",NULL}\n" },
		/* one statement may not update a row twice */
		{ "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = 1", 0, "" },
		{ "INSERT INTO t (a, b) VALUES ($1, $2) RETURNING id", 0, "" },
		{ "INSERT INTO t (a, b) VALUES ($2, $1)", 0, "" },
		{ "INSERT INTO t (a, b) VALUES ($1, lower($2))", 0, "" },
		{ "INSERT INTO t (a, b) SELECT $1, $2", 0, "" },
		{ "UPDATE t SET a = $1 WHERE b = $2", 0, "" },
	};
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct db_batch *b = db_batch_new();
		const void *st = &cases[c];
		struct buf out;
		struct err err;

		buf_init(&out, 1 << 16);
		for (int row = 0; row < 2; row++) {
			assert_int_equal(db_batch_bind_int64(b, st, cases[c].sql, 1, row + 1),
					 cases[c].kept);
			assert_int_equal(db_batch_bind_text(b, st, cases[c].sql, 2,
							    row == 0 ? "a" : NULL, 1), cases[c].kept);
			assert_int_equal(db_batch_row_end(b, st, cases[c].sql), cases[c].kept);
		}
		assert_int_equal(db_batch_send(b, record, &out, &err), 0);
		assert_string_equal(out.data != NULL ? out.data : "", cases[c].sent);
		buf_free(&out);
		db_batch_free(b);
	}
}

/* A value bound and then cleared (db_reset()) is not sent; a parameter
 * not bound in a row is NULL there. */
static void
test_batch_row_clear_and_unbound_parameters(void **state)
{
	static const char sql[] = "INSERT INTO t (a, b) VALUES ($1, $2)";
	struct db_batch *b = db_batch_new();
	struct buf out;
	struct err err;
	int st;

	(void)state;
	buf_init(&out, 1 << 16);
	db_batch_bind_text(b, &st, sql, 2, "dropped", 0);
	db_batch_row_clear(b, &st);
	db_batch_bind_int64(b, &st, sql, 1, 7);
	db_batch_row_end(b, &st, sql);
	assert_int_equal(db_batch_send(b, record, &out, &err), 0);
	assert_string_equal(out.data, "INSERT INTO t (a, b) SELECT * FROM unnest($1::bigint[],"
			    " $2::bigint[])\n  $1 {7}\n  $2 {NULL}\n");
	buf_free(&out);
	db_batch_free(b);
}

/* Rows through batch mode come back as they went in, on either engine
 * (PostgreSQL: one statement at db_batch_end(); SQLite: one by one), and
 * none is there to read before db_batch_end() on PostgreSQL. */
static void
test_batch_round_trips_rows(void **state)
{
	static const char *const texts[] = { "plain", NULL, "", "NULL", "{a,b}", "q\"uo\\te",
					     "\xc3\xbc\t'" };
	const size_t n = sizeof(texts) / sizeof(texts[0]);
	struct store_fixture *fx = *state;
	struct db *db = fx->s->db;
	struct db_stmt *st;
	struct err err;
	int batching, rc;
	size_t i = 0;

	if (db_exec(db, "CREATE TABLE bt (a BIGINT, b TEXT)", &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db_exec(db, "BEGIN", &err), 0);
	batching = db_batch_begin(db);
	assert_int_equal(batching, fx->pg_url != NULL);
	for (i = 0; i < n; i++) {
		st = db_prepare(db, "INSERT INTO bt (a, b) VALUES ($1, $2)", &err);
		assert_non_null(st);
		db_bind_int64(st, 1, (int64_t)i - 3);
		db_bind_text(st, 2, texts[i]);
		assert_int_equal(db_run(st, &err), 0);
	}
	st = db_prepare(db, "SELECT COUNT(*) FROM bt", &err);
	assert_int_equal(db_step(st, &err), 1);
	assert_int_equal(db_column_int64(st, 0), batching ? 0 : (int64_t)n);
	db_reset(st);
	if (db_batch_end(db, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(db_exec(db, "COMMIT", &err), 0);
	st = db_prepare(db, "SELECT a, b FROM bt ORDER BY a", &err);
	for (i = 0; (rc = db_step(st, &err)) == 1; i++) {
		const char *b = db_column_text(st, 1);

		assert_true(i < n);
		assert_int_equal(db_column_int64(st, 0), (int64_t)i - 3);
		if (texts[i] == NULL)
			assert_null(b);
		else
			assert_string_equal(b, texts[i]);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, n);
	db_reset(st);
}

static const struct CMUnitTest tests[] = {
	STORE_TEST(test_array_literals_quote_and_escape),
	STORE_TEST(test_batch_keeps_plain_inserts_and_sends_one_statement_each),
	STORE_TEST(test_batch_row_clear_and_unbound_parameters),
	STORE_TEST(test_batch_round_trips_rows),
};

STORE_TEST_MAIN(tests)
