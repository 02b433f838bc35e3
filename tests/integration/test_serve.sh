#!/bin/sh
# tlsrpt serve: the rua=https endpoint (research/sender.md PARSE-16) with curl
# against a real server on a loopback port and a temporary SQLite store:
# gzip / json / json+Content-Encoding → 200, the same again → 200 duplicate
# (stored once), GET → 405, 11 MB → 413, bad input → 400; /metrics and
# /api/summary show what was stored; the same over TLS with a test CA.
. "$(dirname "$0")/tap.sh"
command -v curl >/dev/null || { echo "ok 1 # SKIP curl not installed"; exit 0; }
dir=$(mktemp -d /tmp/tlsrpt-serve.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
corpus=$TLSRPT_SRC/tests/corpus/Neztore+tls-rpt-monitor
db=sqlite:$dir/db.sqlite

# start_server EXTRA-ARGS…: starts serve on kernel-chosen ports, sets $port
# (the intake) and $dport (the dashboard, API and metrics, here without
# login: test_serve_auth.sh tests the login)
start_server() {
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
		--accept-domain '*' --db "$db" "$@" > "$dir/serve.out" 2> "$dir/serve.err" &
	pid=$!
	port=""
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
		dport=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
		[ -n "$port" ] && [ -n "$dport" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$dir/serve.err"
	return 1
}
stop_server() { kill "$pid"; wait "$pid"; rc=$?; pid=""; return $rc; }

# post TYPE FILE [EXTRA-CURL-ARGS…]: prints "CODE" and leaves the body in $dir/body
post() {
	t=$1 f=$2; shift 2
	curl -s -o "$dir/body" -w '%{http_code}' -H "Content-Type: $t" "$@" \
		--data-binary @"$f" "${base}/tlsrpt"
}
expect() { # DESCRIPTION WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "want $2, got $3" "$(cat "$dir/body" 2>/dev/null)"; fi
}

if ! start_server; then fail "serve starts"; tap_done; exit; fi
ok "serve starts on a free loopback port ($port)"
base=http://127.0.0.1:$port
dbase=http://127.0.0.1:$dport

expect "POST application/tlsrpt+gzip (raw gzip) → 200" 200 \
	"$(post application/tlsrpt+gzip "$corpus/microsoft-report.json.gz")"
grep -q '^stored' "$dir/body" && ok "first POST says stored" || fail "first POST says stored" "$(cat "$dir/body")"
expect "POST application/tlsrpt+json → 200" 200 \
	"$(post application/tlsrpt+json "$corpus/microsoft-report.json")"
grep -q '^duplicate' "$dir/body" && ok "same report again says duplicate" || fail "duplicate" "$(cat "$dir/body")"
expect "POST +json with Content-Encoding: gzip → 200" 200 \
	"$(post application/tlsrpt+json "$corpus/microsoft-report.json.gz" -H 'Content-Encoding: gzip')"
expect "POST application/json (lenient) → 200" 200 \
	"$(post application/json "$corpus/microsoft-report.json")"
# a second, different report: change the report-id
sed 's/"report-id": *"[^"]*"/"report-id": "serve-test-2"/' "$corpus/microsoft-report.json" > "$dir/r2.json"
expect "POST a second report to / → 200" 200 \
	"$(curl -s -o "$dir/body" -w '%{http_code}' -H 'Content-Type: application/tlsrpt+json' --data-binary @"$dir/r2.json" "$base/")"
grep -q '^stored' "$dir/body" && ok "second report stored" || fail "second report stored" "$(cat "$dir/body")"

code=$(curl -s -o "$dir/body" -D "$dir/hdr" -w '%{http_code}' "$base/tlsrpt")
expect "GET /tlsrpt → 405" 405 "$code"
grep -qi '^Allow: POST' "$dir/hdr" && ok "405 names the allowed method" || fail "Allow header" "$(cat "$dir/hdr")"

head -c 11000000 /dev/zero > "$dir/big"
expect "11 MB body → 413" 413 "$(post application/tlsrpt+gzip "$dir/big")"
printf '{"organization-name": "x", ' > "$dir/bad.json"
expect "invalid JSON → 400" 400 "$(post application/tlsrpt+json "$dir/bad.json")"
grep -q 'not JSON' "$dir/body" && ok "400 body gives the reason" || fail "400 reason" "$(cat "$dir/body")"
printf '\037\213garbage-not-gzip' > "$dir/bad.gz"
expect "corrupt gzip → 400" 400 "$(post application/tlsrpt+gzip "$dir/bad.gz")"
printf '{"hello": "world"}' > "$dir/notreport.json"
expect "JSON that is not a report → 400" 400 "$(post application/tlsrpt+json "$dir/notreport.json")"
printf '<html><body>hi</body></html>' > "$dir/page.html"
expect "text/html page → 415" 415 "$(post text/html "$dir/page.html")"
expect "mislabelled gzip body (form type) → 200" 200 \
	"$(post application/x-www-form-urlencoded "$corpus/microsoft-report.json.gz")"

n=$("$TLSRPT" version >/dev/null; /usr/bin/python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*) from reports").fetchone()[0])' "$dir/db.sqlite" 2>&1)
expect "the store holds each report once (2)" 2 "$n"

curl -s "$dbase/metrics" > "$dir/metrics"
# 6 good documents, the invalid JSON and the non-report JSON: 8 received
check "/metrics counts received report documents" grep -qx "tlsrpt_reports_received_total 8" "$dir/metrics"
check "/metrics has sessions per domain/org" grep -q \
	'^tlsrpt_sessions_total{domain="josh.scot",org="Microsoft Corporation",result="success"} 4$' "$dir/metrics"
check "/metrics counts HTTP codes (413)" grep -q '^tlsrpt_http_requests_total{code="413"} 1$' "$dir/metrics"
check "/metrics counts HTTP codes (200)" grep -q '^tlsrpt_http_requests_total{code="200"} 6$' "$dir/metrics"

curl -s "$dbase/api/summary" > "$dir/summary"
check "/api/summary is JSON with the domain" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
assert s["reports"] == 2 and "josh.scot" in s["domains"], s
assert s["days"][0]["success"] == 4, s' "$dir/summary"
expect "/api/summary with a bad date → 400" 400 \
	"$(curl -s -o "$dir/body" -w '%{http_code}' "$dbase/api/summary?since=yesterday")"
code=$(curl -s -o "$dir/body" -w '%{http_code}' "$dbase/api/reports?domain=josh.scot&limit=1")
expect "/api/reports?limit=1 → 200" 200 "$code"
check "/api/reports lists one report" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["reports"]) == 1 and r["truncated"], r' "$dir/body"
if stop_server; then ok "SIGTERM stops serve with status 0"; else fail "SIGTERM exit status" "$rc"; fi

# TLS: a private CA from the https component
if bash "$COMPONENTS/https.sh" ca "$dir/tls" > "$dir/ca.log" 2>&1; then
	chmod 600 "$dir/tls/server.key"   # a key others may read is refused
	if start_server --tls-cert "$dir/tls/server.pem" --tls-key "$dir/tls/server.key"; then
		ok "serve starts with TLS"
		code=$(curl -s -o "$dir/body" -w '%{http_code}' --cacert "$dir/tls/ca.pem" \
			-H 'Content-Type: application/tlsrpt+gzip' \
			--data-binary @"$corpus/microsoft-report.json.gz" "https://localhost:$port/tlsrpt")
		expect "HTTPS POST verified against the test CA → 200" 200 "$code"
		grep -q '^duplicate' "$dir/body" && ok "HTTPS POST sees the same store" || fail "HTTPS duplicate" "$(cat "$dir/body")"
		code=$(curl -s -o /dev/null -w '%{http_code}' "https://localhost:$port/healthz"; true)
		expect "HTTPS without the CA is refused by curl" 000 "$code"
		stop_server || true
	else
		fail "serve starts with TLS" "$(cat "$dir/serve.err")"
	fi
else
	fail "https.sh ca: no test CA, TLS not tested (openssl is in scripts/deps.txt)" "$(cat "$dir/ca.log")"
fi
tap_done
