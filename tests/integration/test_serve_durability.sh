#!/bin/sh
# tlsrpt serve with group commit (src/serve/intake.h): a 200 is sent only
# once the report is committed.  64 keep-alive clients (bench/serve_load.c)
# POST distinct reports; serve is killed with SIGKILL in the middle; every
# report-id that was answered 200 must be in the store afterwards, and a
# new serve on the same store takes reports again.  Also: the reports were
# written in fewer commits than reports (/metrics
# tlsrpt_intake_commits_total), i.e. group commit happened.
. "$(dirname "$0")/tap.sh"
O=${TLSRPT_O:-build}
LOAD="$TLSRPT_SRC/$O/bench/serve_load"
case "$O" in /*) LOAD="$O/bench/serve_load" ;; esac
T=$(mktemp -d /tmp/tlsrpt-serve-dur.XXXXXX)
pid=""
lpid=""
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
sample=$TLSRPT_SRC/tests/corpus/Neztore+tls-rpt-monitor/microsoft-report.json
if [ ! -x "$LOAD" ]; then
	fail "the load generator is built ($LOAD: make builds bench/serve_load.c)"
	tap_done
	exit 1
fi

start_server() {
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
		--accept-domain "*" --per-ip-limit 128 --db "sqlite:$T/db.sqlite" -q \
		> "$T/serve.out" 2> "$T/serve.err" &
	pid=$!
	port=""
	for _ in $(seq 1 200); do
		port=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$T/serve.out")
		dport=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$T/serve.out")
		[ -n "$port" ] && [ -n "$dport" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}
instore() {
	sqlite3 "$T/db.sqlite" "SELECT report_id FROM reports WHERE report_id LIKE '$1-%'" |
		sort > "$T/instore"
}

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
kill "$pid"
wait "$pid" 2>/dev/null
pid=""

# 2. SIGKILL under load: every 200 is in the store
if ! start_server; then fail "serve starts again" "$(cat "$T/serve.err")"; tap_done; exit 1; fi
"$LOAD" "$port" 1000000 64 "$sample" kill "$T/ids2" > "$T/load2" 2>&1 &
lpid=$!
# kill once a few thousand reports went through (at most 20 s)
for _ in $(seq 1 200); do
	n=$(sqlite3 "$T/db.sqlite" "SELECT COUNT(*) FROM reports WHERE report_id LIKE 'kill-%'" 2>/dev/null)
	[ "${n:-0}" -ge 3000 ] && break
	sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
pid=""
wait "$lpid"
lpid=""
sort "$T/ids2" > "$T/ok2"
nok=$(wc -l < "$T/ok2")
instore kill
missing=$(comm -23 "$T/ok2" "$T/instore" | wc -l)
if [ "$nok" -gt 0 ] && [ "$missing" = 0 ]; then
	ok "kill -9 under load: all $nok reports answered 200 are in the store ($(wc -l < "$T/instore") stored)"
else
	fail "kill -9 under load: every 200 stored" "answered 200: $nok, missing from the store: $missing" \
		"$(comm -23 "$T/ok2" "$T/instore" | head -n 5)" "$(cat "$T/load2")"
fi
if grep -q "failed [1-9]" "$T/load2"; then
	ok "... and the load generator saw the server go (requests without an answer)"
else fail "the kill happened during the load" "$(cat "$T/load2")"; fi

# 3. the store is usable afterwards: a new serve stores the rest
if ! start_server; then fail "serve starts after the kill" "$(cat "$T/serve.err")"; tap_done; exit 1; fi
"$LOAD" "$port" 500 16 "$sample" after "$T/ids3" > "$T/load3" 2>&1
instore after
if grep -q "^RESULT n=500 answered=500 ok=500 " "$T/load3" && [ "$(wc -l < "$T/instore")" = 500 ]; then
	ok "serve after the kill: 500 more reports stored"
else fail "serve after the kill" "$(cat "$T/load3")" "$(cat "$T/serve.err")"; fi
kill "$pid"
wait "$pid" 2>/dev/null
pid=""
tap_done
