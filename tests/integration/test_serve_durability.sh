#!/bin/sh
# tlsrpt serve with group commit (src/serve/intake.h): a 200 is sent only
# once the report is committed.  64 keep-alive clients (bench/serve_load.c)
# POST distinct reports; serve is killed with SIGKILL in the middle; every
# report-id that was answered 200 must be in the store afterwards, and a
# new serve on the same store takes reports again.  Also: the reports were
# written in fewer commits than reports (/metrics
# tlsrpt_intake_commits_total), i.e. group commit happened.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/serve_common.sh"
T=$(mktemp -d /tmp/tlsrpt-serve-dur.XXXXXX)
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
if ! serve_load_built; then tap_done; exit 1; fi

start_server() { serve_start "$T" "sqlite:$T/db.sqlite" --per-ip-limit 128; }
# the report-ids PREFIX-… in the store / how many
list() { sqlite3 "$T/db.sqlite" "SELECT report_id FROM reports WHERE report_id LIKE '$1-%'"; }
count() { sqlite3 "$T/db.sqlite" "SELECT COUNT(*) FROM reports WHERE report_id LIKE '$1-%'"; }

# 1. group commit: 3000 reports by 64 clients, fewer commits than reports
if ! start_server; then fail "serve starts" "$(cat "$T/serve.err")"; tap_done; exit 1; fi
"$LOAD" "$port" 3000 64 "$sample" group "$T/ids1" > "$T/load1" 2>&1
curl -s "http://127.0.0.1:$dport/metrics" > "$T/metrics"
commits=$(sed -n 's/^tlsrpt_intake_commits_total \([0-9]*\)$/\1/p' "$T/metrics")
written=$(sed -n 's/^tlsrpt_intake_written_total \([0-9]*\)$/\1/p' "$T/metrics")
if grep -q "^RESULT n=3000 answered=3000 ok=3000 " "$T/load1"; then
	ok "3000 POSTs by 64 keep-alive clients: all answered 200"
else fail "3000 POSTs by 64 clients: all 200" "$(cat "$T/load1")"; fi
if [ -n "$commits" ] && [ "$written" = 3000 ] && [ "$commits" -lt 3000 ]; then
	ok "group commit: 3000 reports in $commits commits"
else fail "group commit: fewer commits than reports" "commits=$commits written=$written"; fi
serve_stop

# 2. SIGKILL under load (once a few thousand reports went through): every
# 200 is in the store
if ! start_server; then fail "serve starts again" "$(cat "$T/serve.err")"; tap_done; exit 1; fi
serve_kill_under_load "$T" kill 3000 count list
if [ "$nok" -gt 0 ] && [ "$missing" = 0 ]; then
	ok "kill -9 under load: all $nok reports answered 200 are in the store ($(wc -l < "$T/instore-kill") stored)"
else
	fail "kill -9 under load: every 200 stored" "answered 200: $nok, missing from the store: $missing" \
		"$(head -n 5 "$T/missing-kill")" "$(cat "$T/load-kill")"
fi
if grep -q "failed [1-9]" "$T/load-kill"; then
	ok "... and the load generator saw the server go (requests without an answer)"
else fail "the kill happened during the load" "$(cat "$T/load-kill")"; fi

# 3. the store is usable afterwards: a new serve stores the rest
if ! start_server; then fail "serve starts after the kill" "$(cat "$T/serve.err")"; tap_done; exit 1; fi
"$LOAD" "$port" 500 16 "$sample" after "$T/ids3" > "$T/load3" 2>&1
if grep -q "^RESULT n=500 answered=500 ok=500 " "$T/load3" && [ "$(count after)" = 500 ]; then
	ok "serve after the kill: 500 more reports stored"
else fail "serve after the kill" "$(cat "$T/load3")" "$(cat "$T/serve.err")"; fi
serve_stop
tap_done
