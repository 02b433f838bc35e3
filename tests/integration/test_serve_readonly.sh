#!/bin/sh
# `tlsrpt serve --read-only` (issue 16): the dashboard, API and /metrics
# for a user who may only read the store, and nothing written.
#   SQLite: a mode-0444 file in a directory the user (nobody) cannot
#   write; serve runs as nobody (setpriv).  Login (CSRF + password, the
#   session kept in memory), /auth/me, the dashboard page, the API with a
#   session, a Bearer and a Basic token, /metrics, logout; the file is
#   byte-identical afterwards and no -wal/-shm file appears.
#   PostgreSQL: a role granted SELECT only; the same, and a password
#   changed by `tlsrpt user passwd` (another process, the owner role) ends
#   the in-memory session.
#   Refusals: --listen with --read-only; a plain serve on the read-only
#   store fails naming --read-only.  Chromium logs in when available.
. "$(dirname "$0")/tap.sh"
cd "$TLSRPT_SRC" || exit 1
command -v curl > /dev/null || { echo "ok 1 # SKIP curl not installed"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "ok 1 # SKIP needs root (runs serve as nobody)"; exit 0; }
dir=$(mktemp -d /tmp/tsro.XXXXXX)
chmod 755 "$dir"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	bash "$COMPONENTS/chromium.sh" stop "$dir/chromium" > /dev/null 2>&1
	bash "$COMPONENTS/pg.sh" stop "$dir/pg" > /dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
unset TLSRPT_DB TLSRPT_DATABASE_URL
export TLSRPT_CONFIG="$dir/empty.conf"
: > "$TLSRPT_CONFIG"
chmod 644 "$TLSRPT_CONFIG"
corpus=tests/corpus/Neztore+tls-rpt-monitor
pw='Alice-Readonly-7d1e'
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env -u TLSRPT_ALLOW_ROOT "$@"; }

# fill URL: alice (josh.scot), a token in $dir/tok; reports of josh.scot and
# of a domain alice may not see
fill() {
	sed -e 's/josh\.scot/mx.theirs.example/g' -e 's/"report-id": *"[^"]*"/"report-id": "theirs-1"/' \
		"$corpus/microsoft-report.json" > "$dir/theirs.json"
	"$TLSRPT" parse --db "$1" "$corpus/microsoft-report.json" "$dir/theirs.json" > /dev/null 2>&1 &&
	printf '%s\n' "$pw" | "$TLSRPT" user add alice --password-stdin --db "$1" > /dev/null 2>&1 &&
	"$TLSRPT" user grant alice josh.scot --db "$1" > /dev/null 2>&1 &&
	"$TLSRPT" user token alice --db "$1" > "$dir/tok" 2> /dev/null
}

# start WHO ARGS…: serve --read-only as WHO ("nobody" or "root"); sets
# pid and dash, or fails
start() {
	who=$1; shift
	: > "$dir/serve.out"
	if [ "$who" = nobody ]; then
		# not the function as_nobody: a function run with & is a subshell, so
		# $! would be its pid and the server would outlive stop()
		setpriv --reuid=nobody --regid=nogroup --clear-groups env -u TLSRPT_ALLOW_ROOT \
			"$TLSRPT" serve -vv --read-only --dashboard-listen 127.0.0.1:0 "$@" \
			> "$dir/serve.out" 2> "$dir/serve.err" &
	else
		"$TLSRPT" serve -vv --read-only --dashboard-listen 127.0.0.1:0 "$@" \
			> "$dir/serve.out" 2> "$dir/serve.err" &
	fi
	pid=$!
	dport=""
	for _ in $(seq 1 200); do
		dport=$(sed -n 's/^dashboard on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
		[ -n "$dport" ] && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.05
	done
	dash=http://127.0.0.1:$dport
	[ -n "$dport" ]
}
stop() { [ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null; pid=""; }

# login: CSRF, then the password; the session cookie lands in $dir/jar
login() {
	rm -f "$dir/jar"
	csrf=$(curl -s -c "$dir/jar" -b "$dir/jar" "$dash/auth/csrf" |
		sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
	curl -s -o "$dir/login.json" -w '%{http_code}' -c "$dir/jar" -b "$dir/jar" \
		-H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
		--data "{\"user\":\"alice\",\"password\":\"$1\"}" "$dash/auth/login"
}
get() { curl -s -o "$dir/b" -w '%{http_code}' "$@"; }

# the dashboard's routes as alice: $1 names the store in the messages
dashboard_works() {
	tok=$(cat "$dir/tok")
	c=$(login wrong-password-1)
	[ "$c" = 401 ] && ok "$1: a wrong password is refused (401)" || fail "$1: wrong password" "$c $(cat "$dir/login.json")"
	sleep 1.1         # the failure makes the next try wait 1 s (429 meanwhile)
	c=$(login "$pw")
	if [ "$c" = 200 ] && grep -q tlsrpt_session "$dir/jar"; then ok "$1: login works (200, session cookie)"
	else fail "$1: login" "$c $(cat "$dir/login.json")" "$(tail -n 3 "$dir/serve.err")"; fi
	c=$(get -b "$dir/jar" "$dash/auth/me")
	[ "$c" = 200 ] && grep -q '"user":"alice"' "$dir/b" && ok "$1: /auth/me with the session" ||
		fail "$1: /auth/me" "$c $(cat "$dir/b")"
	c=$(get -b "$dir/jar" "$dash/")
	[ "$c" = 200 ] && grep -qi '<!DOCTYPE html' "$dir/b" && ok "$1: the dashboard page with the session" ||
		fail "$1: GET /" "$c"
	c=$(get -b "$dir/jar" "$dash/api/summary")
	if [ "$c" = 200 ] && grep -q josh.scot "$dir/b" && ! grep -q theirs "$dir/b"; then
		ok "$1: /api/summary with the session: alice's domain only"
	else fail "$1: /api/summary (session)" "$c $(cat "$dir/b")"; fi
	c=$(get -H "Authorization: Bearer $tok" "$dash/api/reports")
	[ "$c" = 200 ] && grep -q josh.scot "$dir/b" && ok "$1: /api/reports with a Bearer token" ||
		fail "$1: Bearer" "$c $(cat "$dir/b")"
	c=$(get -u "alice:$tok" "$dash/metrics")
	[ "$c" = 200 ] && grep -q 'domain="josh.scot"' "$dir/b" && ! grep -q theirs "$dir/b" &&
		ok "$1: /metrics with Basic (token)" || fail "$1: /metrics" "$c $(head -c 300 "$dir/b")"
	c=$(get "$dash/healthz" -b "$dir/jar")
	[ "$c" = 200 ] && ok "$1: /healthz" || fail "$1: /healthz" "$c $(cat "$dir/b")"
	csrf2=$(curl -s -b "$dir/jar" "$dash/auth/me" | sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p')
	c=$(get -X POST -b "$dir/jar" -H "X-CSRF-Token: $csrf2" "$dash/auth/logout")
	c2=$(get -b "$dir/jar" "$dash/auth/me")
	[ "$c" = 200 ] && [ "$c2" = 401 ] && ok "$1: logout ends the session (then 401)" ||
		fail "$1: logout" "logout $c, then /auth/me $c2"
}

# --- refusals ---------------------------------------------------------------
printf 'serve_read_only_listen = intake\n' > "$dir/intake.conf"
chmod 644 "$dir/intake.conf"
# what | the options after serve --read-only | what the refusal says
while IFS='|' read -r what args says; do
	# shellcheck disable=SC2086 # ARGS are words
	"$TLSRPT" serve --read-only $args --db "sqlite:$dir/x.db" > "$dir/out" 2>&1
	rc=$?
	if [ "$rc" = 2 ] && grep -q "$says" "$dir/out"; then ok "$what is refused (exit 2)"
	else fail "$what (exit $rc)" "$(cat "$dir/out")"; fi
done << TABLE
--read-only with --listen|--listen 127.0.0.1:0|runs no intake
--read-only without a dashboard listener|--dashboard-listen none|dashboard only
--read-only with serve_read_only_listen = intake|--config $dir/intake.conf|dashboard only.*serve_read_only_listen
TABLE

# --- SQLite: mode 0444 in a directory nobody cannot write --------------------
mkdir "$dir/ro"
fill "sqlite:$dir/ro/t.db" || fail "filling the SQLite store"
sqlite3 "$dir/ro/t.db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
rm -f "$dir/ro/t.db-wal" "$dir/ro/t.db-shm"
chmod 0444 "$dir/ro/t.db"
chmod 0755 "$dir/ro"
sum0=$(sha256sum < "$dir/ro/t.db")
setpriv --reuid=nobody --regid=nogroup --clear-groups env -u TLSRPT_ALLOW_ROOT \
	"$TLSRPT" serve --dashboard-listen 127.0.0.1:0 --listen 127.0.0.1:0 \
	--db "sqlite:$dir/ro/t.db" > "$dir/out" 2>&1 &
p=$!
# it should exit by itself; a loaded machine may take more than a second
i=0
while kill -0 "$p" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$p" 2> /dev/null; wait "$p" 2> /dev/null
if grep -q 'not writable' "$dir/out" && grep -q 'serve --read-only' "$dir/out"; then
	ok "serve without --read-only on that store fails and names --read-only"
else fail "plain serve on a read-only store" "$(cat "$dir/out")"; fi
if start nobody --db "sqlite:$dir/ro/t.db"; then
	ok "serve --read-only starts as nobody on a 0444 file in a directory it cannot write"
	grep -q '^listening on' "$dir/serve.out" && fail "an intake listener was started" "$(cat "$dir/serve.out")"
	dashboard_works sqlite
	ls "$dir/ro" > "$dir/ls"
	if [ "$(sha256sum < "$dir/ro/t.db")" = "$sum0" ] && [ "$(cat "$dir/ls")" = t.db ]; then
		ok "sqlite: the store file is unchanged and no other file was created"
	else fail "sqlite: the store changed" "$(ls -la "$dir/ro")"; fi
	# a writer (root) stores a report meanwhile: the handles opened
	# immutable=1 see that the file changed and open it again
	sed -e 's/"report-id": *"[^"]*"/"report-id": "josh-later-1"/' \
		"$corpus/microsoft-report.json" > "$dir/later.json"
	"$TLSRPT" parse --db "sqlite:$dir/ro/t.db" "$dir/later.json" > "$dir/out" 2>&1 ||
		fail "root stores a report in the store" "$(cat "$dir/out")"
	c=$(get -H "Authorization: Bearer $(cat "$dir/tok")" "$dash/api/reports")
	if [ "$c" = 200 ] && grep -q josh-later-1 "$dir/b"; then
		ok "sqlite: a report stored by a writer after the start is seen (immutable handle reopened)"
	else fail "sqlite: the later report" "$c $(head -c 400 "$dir/b")"; fi
	stop
else fail "serve --read-only as nobody" "$(cat "$dir/serve.err")"; stop; fi

# --- its port is serve_read_only_listen, not serve_dashboard_listen -----------
printf 'serve_dashboard_listen = none\nserve_read_only_listen = 127.0.0.1:0\n' > "$dir/ro.conf"
chmod 644 "$dir/ro.conf"
"$TLSRPT" serve --read-only --no-auth --config "$dir/ro.conf" --db "sqlite:$dir/ro/t.db" \
	> "$dir/out" 2> "$dir/err" &
p=$!
for _ in $(seq 1 200); do
	grep -q '^dashboard on' "$dir/out" && break
	kill -0 "$p" 2> /dev/null || break
	sleep 0.05
done
kill "$p" 2> /dev/null; wait "$p" 2> /dev/null
if grep -q '^dashboard on 127.0.0.1:0 port [1-9]' "$dir/out"; then
	ok "serve --read-only listens on serve_read_only_listen (serve_dashboard_listen = none is not its setting)"
else fail "serve --read-only with serve_read_only_listen" "$(cat "$dir/out" "$dir/err")"; fi

# --- Chromium logs in (cheap when the component is there) ---------------------
chmod 0644 "$dir/ro/t.db"
if start nobody --db "sqlite:$dir/ro/t.db" &&
   bash "$COMPONENTS/chromium.sh" start "$dir/chromium" > "$dir/cdp.env" 2> "$dir/cdp.err" &&
   /usr/bin/python3 -c "import websocket" 2> /dev/null; then
	. "$dir/cdp.env"
	if /usr/bin/python3 tests/integration/cdp_login.py "$CDP_URL" "$dash" alice "$pw" > "$dir/cdp.json" 2> "$dir/cdp.log" &&
	   /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["loaded"] and d["whoami"] == "alice", d
assert "josh.scot" in d["domains"] and not any("theirs" in x for x in d["domains"]), d["domains"]' "$dir/cdp.json" 2>> "$dir/cdp.log"; then
		ok "Chromium logs in on the read-only dashboard and sees alice's domain"
	else fail "Chromium login (read-only)" "$(tail -n 5 "$dir/cdp.log")"; fi
else
	echo "ok 99 # SKIP Chromium login: $(tail -n 1 "$dir/cdp.err" 2> /dev/null)"
fi
stop

# --- PostgreSQL: a role granted SELECT only ----------------------------------
if ! bash "$COMPONENTS/pg.sh" start "$dir/pg" > "$dir/pg.log" 2>&1; then
	fail "PostgreSQL did not start" "$(tail -n 5 "$dir/pg.log")"
	tap_done; exit
fi
eval "$(cat "$dir/pg/env")"
fill "$DATABASE_URL" || fail "filling the PostgreSQL store"
bash "$COMPONENTS/pg.sh" psql "$dir/pg" -q -c "CREATE ROLE reader LOGIN PASSWORD 'rpw'" \
	-c "GRANT CONNECT ON DATABASE tlsrpt TO reader" \
	-c "GRANT USAGE ON SCHEMA public TO reader" \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader" > "$dir/grant.log" 2>&1 ||
	fail "creating the read-only role" "$(cat "$dir/grant.log")"
rurl=$(echo "$DATABASE_URL" | sed 's|//tlsrpt:secret@|//reader:rpw@|')
nsess=$(bash "$COMPONENTS/pg.sh" psql "$dir/pg" -At -c 'SELECT COUNT(*) FROM user_sessions' 2>&1)
if start root --db "$rurl"; then
	ok "postgresql: serve --read-only starts with a role granted SELECT only"
	dashboard_works postgresql
	login "$pw" > /dev/null
	c=$(get -b "$dir/jar" "$dash/auth/me")
	printf '%s\n' 'Alice-Other-Password-2' | "$TLSRPT" user passwd alice --password-stdin \
		--db "$DATABASE_URL" > "$dir/passwd.out" 2>&1
	c2=$(get -b "$dir/jar" "$dash/auth/me")
	if [ "$c" = 200 ] && [ "$c2" = 401 ]; then
		ok "postgresql: a new password (tlsrpt user passwd elsewhere) ends the in-memory session"
	else fail "postgresql: session after passwd" "before $c, after $c2" "$(cat "$dir/passwd.out")"; fi
	stop
	grep -qi 'read-only\|permission denied' "$dir/serve.err" &&
		fail "postgresql: serve tried to write" "$(grep -i 'read-only\|permission' "$dir/serve.err")"
else fail "serve --read-only with a SELECT-only role" "$(cat "$dir/serve.err")"; stop; fi
n=$(bash "$COMPONENTS/pg.sh" psql "$dir/pg" -At -c 'SELECT COUNT(*) FROM user_sessions' 2>&1)
[ "$n" = "$nsess" ] && ok "postgresql: no session row was written ($n)" || fail "postgresql: sessions $nsess -> $n"
tap_done
