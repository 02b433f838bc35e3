/*
 * store_results_index: the schema step that lets the reporter read one
 * day's results in domain order without scanning every row.
 *
 * store_get_day_results() reads a day in rounds of 1000 domains
 * (store_results_read.c): the next domains after the last one, the
 * tuples of that domain range, and their failure rows.  Without an index
 * on (day, domain) each round scanned all of result_tuples, and the
 * failure join scanned all of result_failures: quadratic in the number
 * of domains (1M policy domains did not finish in 759 s).  With these two
 * indexes each round reads its own rows only.  The cost is one more
 * B-tree insert per new tuple and per new failure row on the
 * collector's side (bench/README.md has both figures).  IF NOT EXISTS:
 * a step may run again on a store whose version row was taken back (the
 * upgrade tests do that).
 */
#include "store/store_private.h"

const char store_results_index_sql[] =
	"CREATE INDEX IF NOT EXISTS result_tuples_day_domain ON result_tuples (day, domain);"
	"CREATE INDEX IF NOT EXISTS result_failures_policy ON result_failures (policy);";
