#!/bin/sh
# tlsrpt serve on the public internet (issue 11), with real parts: the
# intake and the dashboard on two loopback listeners, users made with
# `tlsrpt user` (crypt(3) hashes in a SQLite store), reports POSTed by
# curl.  Checks: the intake serves no dashboard path; every dashboard,
# API and metrics path refuses a request without credentials (a table);
# a tenant's token with another tenant's domain in every parameter gets
# nothing of it; reports for domains that are not ours are refused and
# counted; headless Chromium logs in on the login page and sees only its
# tenant's domains; the passwords are in neither the store nor the logs.
. "$(dirname "$0")/tap.sh"
command -v curl >/dev/null || { echo "ok 1 # SKIP curl not installed"; exit 0; }
dir=$(mktemp -d /tmp/tlsrpt-serve-auth.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$COMPONENTS/chromium.sh" stop "$dir/chromium" > /dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
export TLSRPT_CONFIG=/dev/null
db=sqlite:$dir/db.sqlite
corpus=$TLSRPT_SRC/tests/corpus/Neztore+tls-rpt-monitor
# the passwords: distinctive, so that a grep finds any clear copy
pw_alice='Alice-Secret-9f2c7e'
pw_bob='Bob-Secret-41d8aa'

check "user add alice (password from stdin)" sh -c \
	"printf '%s\n' '$pw_alice' | '$TLSRPT' user add alice --password-stdin --db '$db'"
check "user add bob" sh -c "printf '%s\n' '$pw_bob' | '$TLSRPT' user add bob --password-stdin --db '$db'"
check "grant alice josh.scot" "$TLSRPT" user grant alice josh.scot --db "$db"
check "grant bob *.theirs.example" "$TLSRPT" user grant bob '*.theirs.example' --db "$db"
if "$TLSRPT" user add carol --db "$db" < /dev/null > "$dir/carol.out" 2>&1; then
	fail "a password on argv or nothing is refused" "$(cat "$dir/carol.out")"
else ok "user add without a terminal or --password-stdin is refused"; fi
tok_alice=$("$TLSRPT" user token alice --db "$db" 2> /dev/null)
tok_bob=$("$TLSRPT" user token bob --db "$db" 2> /dev/null)
case $tok_alice in tlsrpt_*) ok "user token prints a token" ;; *) fail "user token" "$tok_alice" ;; esac

"$TLSRPT" serve -vv --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --db "$db" \
	> "$dir/serve.out" 2> "$dir/serve.err" &
pid=$!
for _ in $(seq 1 100); do
	iport=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
	dport=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
	[ -n "$iport" ] && [ -n "$dport" ] && break
	sleep 0.05
done
[ -n "$dport" ] || { fail "serve starts" "$(cat "$dir/serve.err")"; tap_done; exit; }
ok "serve starts: intake $iport, dashboard $dport"
intake=http://127.0.0.1:$iport
dash=http://127.0.0.1:$dport

# reports: josh.scot (alice's, from the corpus), mx.theirs.example (bob's),
# stranger.example (nobody's)
post() { curl -s -o "$dir/body" -w '%{http_code}' -H 'Content-Type: application/tlsrpt+json' \
	--data-binary @"$1" "$intake/tlsrpt"; }
sed -e 's/josh\.scot/mx.theirs.example/g' -e 's/"report-id": *"[^"]*"/"report-id": "theirs-1"/' \
	"$corpus/microsoft-report.json" > "$dir/theirs.json"
sed -e 's/josh\.scot/stranger.example/g' -e 's/"report-id": *"[^"]*"/"report-id": "stranger-1"/' \
	"$corpus/microsoft-report.json" > "$dir/stranger.json"
code=$(post "$corpus/microsoft-report.json"); [ "$code" = 200 ] && ok "alice's report stored (200)" || fail "alice's report" "$code $(cat "$dir/body")"
code=$(post "$dir/theirs.json"); [ "$code" = 200 ] && ok "bob's report stored (200)" || fail "bob's report" "$code $(cat "$dir/body")"
code=$(post "$dir/stranger.json")
if [ "$code" = 403 ] && grep -q 'refused report-id=stranger-1' "$dir/body"; then
	ok "a report for a domain that is not ours is refused (403, says why)"
else fail "foreign domain refused" "$code $(cat "$dir/body")"; fi

# the intake serves nothing but POST and /healthz, even with a token
fails=""
for p in / /index.html /app.js /login.html /api/summary /api/failures /api/reports /metrics /auth/me /auth/csrf; do
	c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok_alice" "$intake$p")
	[ "$c" = 404 ] || fails="$fails $p=$c"
done
[ -z "$fails" ] && ok "intake: every dashboard/API/metrics path is 404" || fail "intake paths" "$fails"
c=$(curl -s -o /dev/null -w '%{http_code}' "$intake/healthz")
[ "$c" = 200 ] && ok "intake: /healthz 200" || fail "intake /healthz" "$c"

# every dashboard path, without or with wrong credentials: 401
fails=""
while read -r method path; do
	for cred in "" "Authorization: Bearer tlsrpt_00000000" "Authorization: Basic $(printf 'alice:%s' "$pw_alice" | base64)" \
		"Cookie: tlsrpt_session=0000000000000000000000000000000000000000000000000000000000000000"; do
		c=$(curl -s -o "$dir/b" -w '%{http_code}' -X "$method" ${cred:+-H "$cred"} "$dash$path")
		[ "$c" = 401 ] || fails="$fails [$method $path ${cred%% *}: $c]"
		grep -q josh.scot "$dir/b" && fails="$fails [$method $path leaks]"
	done
done <<'ROUTES'
GET /
GET /index.html
GET /app.js
GET /api/summary
GET /api/failures
GET /api/reports
GET /api/summary?domain=josh.scot
GET /api/nope
GET /metrics
GET /healthz
GET /auth/me
POST /auth/logout
POST /api/summary
GET /nope
ROUTES
[ -z "$fails" ] && ok "dashboard: every route refuses missing or wrong credentials (401)" || fail "dashboard 401" "$fails"

# alice with bob's domain in every parameter: nothing of bob's
fails=""
for p in summary failures reports; do
	for q in "" "domain=mx.theirs.example" "domain=MX.THEIRS.EXAMPLE." "domain=-" "domain=" \
		"org=Microsoft%20Corporation" "since=2000-01-01" "domain=%2A.theirs.example"; do
		c=$(curl -s -o "$dir/b" -w '%{http_code}' -H "Authorization: Bearer $tok_alice" "$dash/api/$p?$q")
		/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("query",None); sys.exit("theirs" in json.dumps(d))' "$dir/b" ||
			fails="$fails [$p?$q]"
		[ "$c" = 200 ] || [ "$c" = 400 ] || fails="$fails [$p?$q: $c]"
	done
done
curl -s -u "alice:$tok_alice" "$dash/metrics" > "$dir/m"
grep -q theirs "$dir/m" && fails="$fails [metrics]"
grep -q 'domain="josh.scot"' "$dir/m" || fails="$fails [metrics without josh.scot]"
[ -z "$fails" ] && ok "alice's token: bob's domain in no API answer or metric, whatever the parameters" || fail "tenant separation" "$fails"
curl -s -H "Authorization: Bearer $tok_bob" "$dash/api/summary" > "$dir/b"
grep -q '"domains":\["mx.theirs.example"\]' "$dir/b" && ok "bob sees his domain" || fail "bob's summary" "$(cat "$dir/b")"

# headless Chromium logs in as alice
if bash "$COMPONENTS/chromium.sh" start "$dir/chromium" > "$dir/cdp.env" 2> "$dir/cdp.err" &&
   /usr/bin/python3 -c "import websocket" 2> /dev/null; then
	. "$dir/cdp.env"
	if /usr/bin/python3 "$(dirname "$0")/cdp_login.py" "$CDP_URL" "$dash" alice "$pw_alice" > "$dir/login.json" 2> "$dir/login.err"; then
		check "Chromium: / sends to the login page" /usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["login_page"]' "$dir/login.json"
		check "Chromium: logged in, the dashboard shows alice's domain only" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["loaded"] and d["url"].endswith("/"), d["url"]
assert "josh.scot" in d["domains"], d["domains"]
assert not any("theirs" in x or "stranger" in x for x in d["domains"]), d["domains"]
assert "theirs" not in d["html"] and "stranger" not in d["html"]
assert d["whoami"] == "alice", d["whoami"]' "$dir/login.json"
		check "Chromium: the session cookie is HttpOnly (not in document.cookie)" /usr/bin/python3 -c 'import json,sys; assert not json.load(open(sys.argv[1]))["cookie_visible"]' "$dir/login.json"
	else
		fail "Chromium login run" "$(tail -5 "$dir/login.err")"
	fi
	if /usr/bin/python3 "$(dirname "$0")/cdp_login.py" "$CDP_URL" "$dash" alice "wrong-password" > "$dir/bad.json" 2> "$dir/bad.err"; then
		check "Chromium: a wrong password stays on the login page" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert not d["loaded"] and d["url"].endswith("/login.html"), d["url"]
assert "josh.scot" not in d["html"]' "$dir/bad.json"
	else fail "Chromium wrong-password run" "$(tail -5 "$dir/bad.err")"; fi
else
	fail "Chromium with CDP (chromium, python3-websocket in scripts/deps.txt)" "$(cat "$dir/cdp.err")"
fi

kill "$pid"; wait "$pid"; pid=""
grep -q 'login failed: user="alice" from 127.0.0.1' "$dir/serve.err" && ok "the failed login is logged (user and address)" ||
	fail "failed login logged" "$(grep login "$dir/serve.err")"
# no clear password or token anywhere: store files (WAL too) and logs
leaks=""
for f in "$dir"/db.sqlite* "$dir/serve.err" "$dir/serve.out"; do
	for s in "$pw_alice" "$pw_bob" "$tok_alice" "$tok_bob"; do
		grep -aqF "$s" "$f" && leaks="$leaks $(basename "$f"):${s%%-*}"
	done
done
[ -z "$leaks" ] && ok "no password or token in clear in the store or the logs" || fail "clear credentials found" "$leaks"
/usr/bin/python3 - "$dir/db.sqlite" <<'PY' && ok "the store holds yescrypt hashes and token hashes" || fail "stored hashes"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
hs = [r[0] for r in c.execute("select password_hash from users")]
assert len(hs) == 2 and all(h.startswith("$y$") for h in hs), hs
ts = [r[0] for r in c.execute("select token_hash from user_tokens")]
assert len(ts) == 2 and all(len(t) == 64 for t in ts), ts
PY
tap_done
