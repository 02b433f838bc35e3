#!/bin/sh
# tlsrpt serve's intake with group commit on a real PostgreSQL 15
# (tests/components/pg.sh): two writers, each on its own connection, store
# the POSTs of 64 keep-alive clients (bench/serve_load.c) in fewer
# transactions than reports; each report answered 200 is in the database,
# also when serve is killed with SIGKILL under load; a duplicate is
# answered as one, also when both copies arrive at once; a report the
# database refuses fails alone.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/serve_common.sh"
cd "$TLSRPT_SRC" || exit 1
# pg.sh needs a short directory (unix socket path limit)
dir=$(mktemp -d /tmp/tspg.XXXXXX)
chmod 755 "$dir"
stop() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	bash "$COMPONENTS/pg.sh" stop "$dir/pg" >/dev/null 2>&1
	rm -rf "$dir"
}
trap stop EXIT
if ! serve_load_built; then tap_done; exit 1; fi
if ! bash "$COMPONENTS/pg.sh" start "$dir/pg" > "$dir/start.log" 2>&1; then
	fail "PostgreSQL did not start" "$(tail -n 5 "$dir/start.log")"
	tap_done
	exit 1
fi
eval "$(cat "$dir/pg/env")"
export PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE
ok "PostgreSQL started on 127.0.0.1:$PGPORT"
db=$DATABASE_URL

start_server() { serve_start "$dir" "$db" --per-ip-limit 128; }
# how many report-ids PREFIX-… are in the database / which
count() { psql -Atq -c "SELECT COUNT(*) FROM reports WHERE report_id LIKE '$1-%'"; }
list() { psql -Atq -c "SELECT report_id FROM reports WHERE report_id LIKE '$1-%'"; }

if ! start_server; then fail "serve starts on PostgreSQL" "$(cat "$dir/serve.err")"; tap_done; exit 1; fi
"$LOAD" "$port" 2000 64 "$sample" pgroup "$dir/ids1" > "$dir/load1" 2>&1
curl -s "http://127.0.0.1:$dport/metrics" > "$dir/metrics"
commits=$(sed -n 's/^tlsrpt_intake_commits_total \([0-9]*\)$/\1/p' "$dir/metrics")
if grep -q "^RESULT n=2000 answered=2000 ok=2000 " "$dir/load1" && [ "$(count pgroup)" = 2000 ]; then
	ok "2000 POSTs by 64 clients into PostgreSQL: all 200, all 2000 in the database"
else fail "2000 POSTs into PostgreSQL" "$(cat "$dir/load1")" "in the database: $(count pgroup)"; fi
if [ -n "$commits" ] && [ "$commits" -lt 2000 ]; then
	ok "group commit on PostgreSQL: 2000 reports in $commits transactions"
else fail "group commit on PostgreSQL" "commits=$commits"; fi
if grep -q '^tlsrpt_intake_writers 2$' "$dir/metrics"; then
	ok "two store writers on PostgreSQL by default"
else fail "intake writers on PostgreSQL" "$(grep intake_writers "$dir/metrics")"; fi
# the same reports again: all duplicates, nothing new
"$LOAD" "$port" 200 8 "$sample" pgroup "$dir/ids1b" > "$dir/load1b" 2>&1
curl -s "http://127.0.0.1:$dport/metrics" > "$dir/metrics"
if grep -q "^RESULT n=200 answered=200 ok=200 " "$dir/load1b" && [ "$(count pgroup)" = 2000 ] &&
   grep -q '^tlsrpt_reports_stored_total{outcome="duplicate"} 200$' "$dir/metrics"; then
	ok "the same 200 reports again: answered 200 as duplicates, nothing stored twice"
else fail "duplicates on PostgreSQL" "$(cat "$dir/load1b")" "$(grep stored_total "$dir/metrics")"; fi
# 500 new reports POSTed twice at once by two loads: the two writers meet
# on the same rows (the second INSERT waits for the first's commit), and
# each report is stored once, the other copy answered as a duplicate
"$LOAD" "$port" 500 32 "$sample" ptwice "$dir/ids2a" > "$dir/load2a" 2>&1 &
l2=$!
"$LOAD" "$port" 500 32 "$sample" ptwice "$dir/ids2b" > "$dir/load2b" 2>&1
wait "$l2"
curl -s "http://127.0.0.1:$dport/metrics" > "$dir/metrics"
if grep -q "^RESULT n=500 answered=500 ok=500 " "$dir/load2a" &&
   grep -q "^RESULT n=500 answered=500 ok=500 " "$dir/load2b" && [ "$(count ptwice)" = 500 ] &&
   grep -q '^tlsrpt_reports_stored_total{outcome="duplicate"} 700$' "$dir/metrics"; then
	ok "500 reports POSTed twice at once over two writers: 500 stored, 500 duplicates"
else fail "the same reports at once over two writers" "$(cat "$dir/load2a" "$dir/load2b")" \
	"in the database: $(count ptwice)" "$(grep -E 'stored_total|writers' "$dir/metrics")"; fi
# a report the database refuses (a trigger raises for one report-id)
# fails a whole group's statements (store_reports_group.c): the group is
# rolled back and stored again report by report, so only that one fails
psql -Atq -c "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN IF NEW.report_id = 'prefuse-7' THEN RAISE EXCEPTION 'refused by a trigger';
	END IF; RETURN NEW; END\$\$;
	CREATE TRIGGER refuse BEFORE INSERT ON reports FOR EACH ROW EXECUTE FUNCTION refuse()"
"$LOAD" "$port" 300 32 "$sample" prefuse "$dir/ids3" > "$dir/load3" 2>&1
if grep -q "^RESULT n=300 answered=300 ok=299 " "$dir/load3" && grep -q "500: 1)" "$dir/load3" &&
   [ "$(count prefuse)" = 299 ] && [ "$(list prefuse | grep -c '^prefuse-7$')" = 0 ] &&
   [ "$(grep -c 'cannot store' "$dir/serve.err")" = 1 ] &&
   grep -q "report-id=prefuse-7: cannot store: .*refused by a trigger" "$dir/serve.err"; then
	ok "a report the database refuses fails alone: its group stored again report by report, 299 of 300"
else fail "one refused report among 300 on PostgreSQL" "$(cat "$dir/load3")" \
	"in the database: $(count prefuse)" "$(grep -i refused "$dir/serve.err" | head -n 3)"; fi
psql -Atq -c "DROP TRIGGER refuse ON reports; DROP FUNCTION refuse()"
serve_stop

if ! start_server; then fail "serve starts again" "$(cat "$dir/serve.err")"; tap_done; exit 1; fi
serve_kill_under_load "$dir" pkill 2000 count list
if [ "$nok" -gt 0 ] && [ "$missing" = 0 ] && grep -q "failed [1-9]" "$dir/load-pkill"; then
	ok "kill -9 under load on PostgreSQL: all $nok reports answered 200 are in the database"
else fail "kill -9 on PostgreSQL: every 200 stored" "answered 200: $nok, missing: $missing" \
	"$(cat "$dir/load-pkill")"; fi
tap_done
