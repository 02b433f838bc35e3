#!/bin/sh
# tlsrpt serve under load (issue 10 item 2), bounded, on loopback, with
# serve_load.py: parallel POSTs from one address are all answered (200, or
# 429 with Retry-After over --per-ip-limit; no reset, no close without an
# answer), every 200 is one stored report; hundreds of slow clients that
# dribble headers (more than --max-connections) do not keep well-behaved
# POSTs from being answered in bounded time; a client that never finishes
# its headers gets 408 after --header-timeout.  Prints the table of what
# was tried and what was answered, reset or lost.
. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/serve_common.sh"
T=$(mktemp -d /tmp/tlsrpt-serve-load.XXXXXX)
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
load=$TLSRPT_SRC/tests/integration/serve_load.py

start_server() { serve_start "$T" "sqlite:$T/db.sqlite" "$@"; }
stop_server() { serve_stop; }
# field NAME: the value of NAME=… on the RESULT line of $T/res
field() { sed -n "s/^RESULT.* $1=\([0-9]*\).*/\1/p" "$T/res"; }
# run_load DESCRIPTION ARGS…: runs serve_load.py, appends its table lines
run_load() {
	d=$1; shift
	timeout 120 python3 "$load" "$1" "$port" "$2" "$3" "$sample" > "$T/res" 2> "$T/load.err"
	grep -v '^RESULT' "$T/res" >> "$T/table"
	[ -n "$(field tried)" ] || { fail "$d: load ran" "$(cat "$T/load.err")"; return 1; }
}
: > "$T/table"

# 1. 1000 POSTs, 16 at a time, default limits: every one stored (one
# store writer on SQLite, whatever --intake-writers asks)
if ! start_server --intake-writers 4; then fail "serve starts" "$(cat "$T/serve.err")"; tap_done; exit; fi
if curl -s "http://127.0.0.1:$dport/metrics" | grep -q '^tlsrpt_intake_writers 1$'; then
	ok "--intake-writers 4 on SQLite: one store writer"
else fail "one writer on SQLite" "$(curl -s "http://127.0.0.1:$dport/metrics" | grep writers)"; fi
if run_load "16 parallel" burst 1000 16; then
	[ "$(field answered)" = 1000 ] && [ "$(field reset)" = 0 ] && [ "$(field lost)" = 0 ] &&
		ok "1000 POSTs 16 at a time from one address: all answered, none reset or lost" ||
		fail "16 parallel: all answered" "$(cat "$T/res")"
	[ "$(field ok)" = 1000 ] && ok "... and all 1000 got 200 (under the per-address limit)" ||
		fail "16 parallel: all 200" "$(cat "$T/res")"
	ok200=$(field ok)
fi
# 2. 64 at a time (more than the old compiled-in 32 connections per address)
if run_load "64 parallel" burst 400 64; then
	[ "$(field answered)" = 400 ] && [ "$(field reset)" = 0 ] && [ "$(field lost)" = 0 ] &&
		ok "400 POSTs 64 at a time from one address: all answered, none reset or lost" ||
		fail "64 parallel: all answered" "$(cat "$T/res")"
	ok200=$((ok200 + $(field ok)))
fi
stop_server
n=$(sqlite3 "$T/db.sqlite" 'select count(*) from reports' 2>&1)
[ "$n" = "$ok200" ] && ok "every 200 is one stored report ($n)" ||
	fail "stored reports = 200 answers" "stored $n, answered 200: $ok200"

# 3. over --per-ip-limit: 429 with Retry-After, never a reset
if start_server --per-ip-limit 2; then
	if run_load "limit 2" burst 300 32; then
		[ "$(field answered)" = 300 ] && [ "$(field reset)" = 0 ] && [ "$(field lost)" = 0 ] &&
			ok "--per-ip-limit 2, 32 parallel: all 300 answered, none reset or lost" ||
			fail "limit 2: all answered" "$(cat "$T/res")"
		ok_n=$(field ok)
		[ "$ok_n" -gt 0 ] && [ "$ok_n" -lt 300 ] && [ "$(field no_retry_after)" = 0 ] &&
			ok "... some 200 ($ok_n), the rest 429, each with Retry-After" ||
			fail "limit 2: 200s and 429s with Retry-After" "$(cat "$T/res")"
	fi
	curl -s "http://127.0.0.1:$dport/metrics" > "$T/metrics"
	check "/metrics counts the 429 answers" grep -q '^tlsrpt_http_requests_total{code="429"} [1-9]' "$T/metrics"
	stop_server
else
	fail "serve --per-ip-limit 2 starts" "$(cat "$T/serve.err")"
fi

# 4. slow-client flood beyond --max-connections; POSTs still answered
if start_server --max-connections 200 --header-timeout 3s; then
	printf 'POST /tlsrpt HTTP/1.1\r\nHost: x\r\n' > "$T/partial"
	# the seconds are measured by the client, from connect to the answer
	res=$(python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
t0 = time.time()
s.sendall(open(sys.argv[2], "rb").read())
d = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    d += c
print(d.split(b" ")[1].decode() if d.startswith(b"HTTP/1.1 ") else "none", int(time.time() - t0 + 0.5))' "$port" "$T/partial" 2>&1)
	code=${res% *} secs=${res#* }
	[ "$code" = 408 ] && [ "$secs" -ge 3 ] && [ "$secs" -le 9 ] &&
		ok "headers not complete after --header-timeout 3s: 408 (after ${secs}s)" ||
		fail "unfinished headers: 408 after 3 s" "got $res"
	if run_load "flood" flood 400 8; then
		tried=$(field tried)
		[ "$tried" -ge 10 ] && [ "$(field ok)" = "$tried" ] &&
			ok "400 slow clients from 40 addresses (max 200 connections): all $tried POSTs meanwhile got 200" ||
			fail "flood: POSTs answered" "$(cat "$T/res")"
		[ "$(field max_ms)" -le 6000 ] &&
			ok "... each within 6 s (slowest $(field max_ms) ms, median $(field median_ms) ms)" ||
			fail "flood: bounded time" "$(cat "$T/res")"
		[ "$(field slow_closed)" -ge 300 ] &&
			ok "... and the server closed the slow ones ($(field slow_closed) of 400)" ||
			fail "flood: slow clients closed" "$(cat "$T/res")"
	fi
	stop_server
else
	fail "serve --max-connections 100 starts" "$(cat "$T/serve.err")"
fi
sed 's/^/# /' "$T/table"
tap_done
