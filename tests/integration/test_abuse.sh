#!/bin/sh
# The hostile senders of issue 10, against a real `tlsrpt serve` on
# loopback, on SQLite and on PostgreSQL (tests/components/pg.sh), ending
# with a table: what was tried, how many, what was refused, what was lost.
# - 1030 reports whose every count is 2^53-1: refused (plausibility limit,
#   10^12 sessions per report), nothing stored;
# - 40 reports exactly at the limit: stored, summed exactly;
# - then rows as an older version could have stored them (counts 2^63-1,
#   written with SQL): every view still answers: /api/summary, /api/failures,
#   /api/reports, /api/domains (the dashboard's data), /metrics, `tlsrpt summary` (text and
#   --json), `tlsrpt alert --dry-run`: no error, no negative number, sums
#   stopped at 2^53-1;
# - a report repeating a member name: refused with the reason;
# - API arguments with a NUL byte or a malformed date: 400, named;
# - credentials to servers that offer no STARTTLS (smtp-sink.sh and
#   imap.sh set up as careless servers that take them in clear):
#   `tlsrpt alert` with SMTP AUTH and `tlsrpt fetch imap` refuse before
#   AUTH/LOGIN (the servers log none); --smtp-auth-plaintext allows SMTP.
. "$(dirname "$0")/tap.sh"
command -v curl >/dev/null || { echo "ok 1 # SKIP curl not installed"; exit 0; }
dir=$(mktemp -d /tmp/tab.XXXXXX)
chmod 755 "$dir"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$COMPONENTS/pg.sh" stop "$dir/pg" >/dev/null 2>&1
	bash "$COMPONENTS/smtp-sink.sh" stop "$dir/sink" >/dev/null 2>&1
	bash "$COMPONENTS/imap.sh" stop "$dir/imap" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
abuse() { /usr/bin/python3 "$TLSRPT_SRC/tests/integration/abuse.py" "$@"; }
MAX=9007199254740991
WORST_N=1030 LIMIT_N=40
table=$dir/table

# row WHAT TRIED REFUSED STORED LOST RESULT: one line of the final table
row() { printf '%-44s %7s %8s %7s %5s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6" >> "$table"; }

# start_server DB: the intake on $port, the dashboard, API and metrics on
# $dport (without login here: test_serve_auth.sh tests it)
start_server() {
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen 127.0.0.1:0 --no-auth \
		--accept-domain '*' --db "$1" > "$dir/serve.out" 2> "$dir/serve.err" &
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

# views NAME DB: every view answers without error or negative number; the
# session sums are $want_ok and $want_failed.  Sets $views_bad.
views() {
	name=$1 db=$2 vbase=http://127.0.0.1:$dport views_bad=""
	for p in summary failures "reports?limit=5000" domains; do
		code=$(curl -s -o "$dir/api.json" -w '%{http_code}' "$vbase/api/$p")
		if [ "$code" != 200 ]; then
			views_bad="$views_bad /api/$p:$code"
		elif ! abuse numbers "$dir/api.json" > "$dir/num.out"; then
			views_bad="$views_bad /api/$p:$(head -n 1 "$dir/num.out")"
		fi
	done
	curl -s -o "$dir/summary.json" "$vbase/api/summary"
	got=$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))
print(s["success"], s["failure"])' "$dir/summary.json" 2>&1)
	[ "$got" = "$want_ok $want_failed" ] || views_bad="$views_bad /api/summary:sums($got)"
	code=$(curl -s -o "$dir/metrics" -w '%{http_code}' "$vbase/metrics")
	[ "$code" = 200 ] || views_bad="$views_bad /metrics:$code"
	grep -q '^tlsrpt_[a-z_]*{.*} -' "$dir/metrics" && views_bad="$views_bad /metrics:negative"
	grep -q "^tlsrpt_sessions_total{domain=\"abuse.example\",org=\"Abuser limit\",result=\"success\"} $want_ok\$" \
		"$dir/metrics" || views_bad="$views_bad /metrics:sum"
	if ! "$TLSRPT" summary --db "$db" --since 2000-01-01 > "$dir/sum.txt" 2>&1; then
		views_bad="$views_bad summary:$(tail -n 1 "$dir/sum.txt")"
	elif grep -q '[ :(]-[0-9]' "$dir/sum.txt"; then
		views_bad="$views_bad summary:negative"
	fi
	if ! "$TLSRPT" summary --db "$db" --since 2000-01-01 --json > "$dir/sum.json" 2>&1; then
		views_bad="$views_bad summary--json:$(tail -n 1 "$dir/sum.json")"
	elif ! abuse numbers "$dir/sum.json" > "$dir/num.out"; then
		views_bad="$views_bad summary--json:$(head -n 1 "$dir/num.out")"
	fi
	if ! "$TLSRPT" alert --db "$db" --since 2000-01-01 --to postmaster@example.test \
		--dry-run > "$dir/alert.txt" 2>&1; then
		views_bad="$views_bad alert:$(tail -n 1 "$dir/alert.txt")"
	elif grep -q '[ :(]-[0-9]' "$dir/alert.txt"; then
		views_bad="$views_bad alert:negative"
	fi
}

# backend NAME DB SQL-COMMAND…: the whole run on one store
backend() {
	name=$1 db=$2; shift 2
	if ! start_server "$db"; then fail "$name: serve starts" "$(cat "$dir/serve.err")"; return; fi
	ok "$name: serve starts on 127.0.0.1:$port"
	base=http://127.0.0.1:$port

	read -r n st ref oth <<EOF
$(abuse post "$base" worst $WORST_N 2> "$dir/worst.err")
EOF
	if [ "$st" = 0 ] && [ "$ref" = "$WORST_N" ] && grep -q 'plausibility limit' "$dir/worst.err"; then
		ok "$name: $WORST_N reports counting 2^53-1 sessions refused with the reason"
		row "$name: counts of 2^53-1 POSTed" "$n" "$ref" "$st" 0 ok
	else
		fail "$name: $WORST_N worst-case reports refused" "stored $st refused $ref other $oth" \
			"$(cat "$dir/worst.err")"
		row "$name: counts of 2^53-1 POSTed" "$n" "$ref" "$st" "?" "NOT OK"
	fi

	read -r n st ref oth <<EOF
$(abuse post "$base" limit $LIMIT_N 2> "$dir/limit.err")
EOF
	want_ok=$((LIMIT_N * (1000000000000 - 1000))) want_failed=$((LIMIT_N * 1000))
	views "$name" "$db"
	if [ "$st" = "$LIMIT_N" ] && [ -z "$views_bad" ]; then
		ok "$name: $LIMIT_N reports at the limit stored and summed exactly in every view"
		row "$name: counts at the limit (10^12) POSTed" "$n" "$ref" "$st" 0 ok
	else
		fail "$name: reports at the limit" "stored $st refused $ref other $oth;$views_bad" \
			"$(cat "$dir/limit.err")"
		row "$name: counts at the limit (10^12) POSTed" "$n" "$ref" "$st" "?" "NOT OK"
	fi

	# rows as an older version (no limit) stored them: 2^63-1 in every count
	# (report_domains and the rollup_* tables hold the sums the dashboard
	# groups: an older version's rows reach them through their schema steps,
	# here by hand)
	if "$@" "UPDATE report_policies SET total_success = 9223372036854775807,
		total_failure = 9223372036854775807;
		UPDATE report_domains SET success = 9223372036854775807,
		failure = 9223372036854775807;
		UPDATE report_failures SET failed_session_count = 9223372036854775807;
		UPDATE rollup_days SET success = 9223372036854775807,
		failure = 9223372036854775807;
		UPDATE rollup_domains SET success = 9223372036854775807,
		failure = 9223372036854775807;
		UPDATE rollup_failures SET sessions = 9223372036854775807;
		UPDATE rollup_day_types SET sessions = 9223372036854775807;" \
		> "$dir/sql.out" 2>&1; then
		want_ok=$MAX want_failed=$MAX
		views "$name" "$db"
		if [ -z "$views_bad" ]; then
			ok "$name: $LIMIT_N stored rows of 2^63-1: every view answers, sums stop at 2^53-1"
			row "$name: rows of 2^63-1 (older version), views" - - - 0 ok
		else
			fail "$name: views over rows of 2^63-1" "$views_bad"
			row "$name: rows of 2^63-1 (older version), views" - - - "?" "NOT OK"
		fi
	else
		fail "$name: SQL update of the stored counts" "$(cat "$dir/sql.out")"
	fi

	read -r n st ref oth <<EOF
$(abuse post "$base" dupkey 20 2> "$dir/dup.err")
EOF
	if [ "$st" = 0 ] && [ "$ref" = 20 ] && grep -q 'duplicate object key.*refused' "$dir/dup.err"; then
		ok "$name: 20 reports repeating a member name refused with the reason"
		row "$name: duplicate JSON keys POSTed" "$n" "$ref" "$st" 0 ok
	else
		fail "$name: duplicate keys refused" "stored $st refused $ref other $oth" \
			"$(cat "$dir/dup.err")"
		row "$name: duplicate JSON keys POSTed" "$n" "$ref" "$st" "?" "NOT OK"
	fi

	abuse get "http://127.0.0.1:$dport" "/api/summary?domain=%00x" "/api/summary?domain=abuse.example%00x" \
		"/api/failures?org=%00" "/api/reports?since=2026-01-01T00:00:00ZxZ" \
		"/api/summary?since=2026-01-01T00:00:00Zx" "/api/summary?until=2026-01-01x" \
		"/api/summary?since=2026-02-31" "/api/summary?since=%00" > "$dir/params" 2>&1
	nb=$(wc -l < "$dir/params" | tr -d ' ')
	n400=$(awk '$2 == 400' "$dir/params" | wc -l | tr -d ' ')
	if [ "$nb" = 8 ] && [ "$n400" = 8 ] && ! grep -q ' 400 .*"error": *""' "$dir/params"; then
		ok "$name: 8 malformed API arguments (NUL byte, bad date) → 400 naming them"
		row "$name: malformed API arguments" "$nb" "$n400" - 0 ok
	else
		fail "$name: malformed API arguments → 400" "$(cat "$dir/params")"
		row "$name: malformed API arguments" "$nb" "$n400" - - "NOT OK"
	fi
	stop_server || fail "$name: serve exits 0 on SIGTERM" "rc=$rc $(tail -n 3 "$dir/serve.err")"
}

sqlite_sql() { /usr/bin/python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$dir/db.sqlite" "$1"; }
backend sqlite "sqlite:$dir/db.sqlite" sqlite_sql

# ---- credentials to servers without STARTTLS ------------------------------
AUTH_N=3
if SMTP_NO_STARTTLS=1 SMTP_AUTH_PLAINTEXT=1 bash "$COMPONENTS/smtp-sink.sh" start "$dir/sink" \
	> "$dir/sink.env" 2> "$dir/sink.err"; then
	sink_port=$(sed -n 's/^SMTP_PORT=//p' "$dir/sink.env")
	alert_smtp() {
		TLSRPT_SMTP_USER=sender TLSRPT_SMTP_PASSWORD=secret "$TLSRPT" alert --config /dev/null \
			--db "sqlite:$dir/db.sqlite" --since 2000-01-01 --to postmaster@example.test \
			--from tlsrpt@example.test --smtp "smtp://127.0.0.1:$sink_port" "$@"
	}
	refused=0
	for _ in $(seq 1 $AUTH_N); do
		alert_smtp > /dev/null 2> "$dir/alert-auth.err" ||
			{ grep -q 'offers no STARTTLS: refusing to send the AUTH password' \
				"$dir/alert-auth.err" && refused=$((refused + 1)); }
	done
	mails=$(ls "$dir/sink/mail"/*.eml 2>/dev/null | wc -l | tr -d ' ')
	if [ "$refused" = $AUTH_N ] && [ ! -s "$dir/sink/mail/auth.log" ] && [ "$mails" = 0 ]; then
		ok "SMTP without STARTTLS: $AUTH_N alerts with AUTH refused before AUTH, none seen"
		row "SMTP AUTH to a relay without STARTTLS" $AUTH_N "$refused" 0 0 ok
	else
		fail "SMTP AUTH without STARTTLS refused" "refused $refused, mails $mails" \
			"$(cat "$dir/sink/mail/auth.log" 2>/dev/null)" "$(cat "$dir/alert-auth.err")"
		row "SMTP AUTH to a relay without STARTTLS" $AUTH_N "$refused" "$mails" - "NOT OK"
	fi
	# the sink does take AUTH in clear: the refusal above was ours
	if alert_smtp --smtp-auth-plaintext > /dev/null 2> "$dir/alert-auth.err" &&
		grep -q '^AUTH sender tls=no$' "$dir/sink/mail/auth.log"; then
		ok "--smtp-auth-plaintext: the operator's explicit choice sends it in clear"
	else
		fail "--smtp-auth-plaintext sends" "$(cat "$dir/alert-auth.err")"
	fi
else
	fail "smtp sink without STARTTLS starts" "$(cat "$dir/sink.err")"
fi
if IMAP_NO_STARTTLS=1 bash "$COMPONENTS/imap.sh" start "$dir/imap" > "$dir/imap.env" \
	2> "$dir/imap.err"; then
	imap_port=$(sed -n 's/^IMAP_PORT=//p' "$dir/imap.env")
	refused=0
	for _ in $(seq 1 $AUTH_N); do
		TLSRPT_IMAP_PASSWORD=secret "$TLSRPT" fetch --db "sqlite:$dir/db.sqlite" imap \
			"imap://127.0.0.1:$imap_port/INBOX" --user tls > /dev/null 2> "$dir/imap-auth.err" ||
			{ grep -q 'offers no STARTTLS: refusing to log in' "$dir/imap-auth.err" &&
				refused=$((refused + 1)); }
	done
	logins=$(grep -c 'user=<[^>]' "$dir/imap/dovecot.log")
	if [ "$refused" = $AUTH_N ] && [ "$logins" = 0 ]; then
		ok "IMAP without STARTTLS: $AUTH_N fetches refused before LOGIN, none seen"
		row "IMAP LOGIN to a server without STARTTLS" $AUTH_N "$refused" - 0 ok
	else
		fail "IMAP LOGIN without STARTTLS refused" "refused $refused, logins $logins" \
			"$(cat "$dir/imap-auth.err")" "$(grep 'user=<[^>]' "$dir/imap/dovecot.log")"
		row "IMAP LOGIN to a server without STARTTLS" $AUTH_N "$refused" - - "NOT OK"
	fi
	# the server does take LOGIN in clear (so no login above was ours to refuse by luck)
	if curl -s -u tls:secret "imap://127.0.0.1:$imap_port/INBOX" -X 'SEARCH ALL' > /dev/null &&
		grep -q 'user=<tls>' "$dir/imap/dovecot.log"; then
		ok "the IMAP server takes a LOGIN in clear from curl (the refusal was ours)"
	else
		fail "imap server takes plain LOGIN" "$(tail -n 5 "$dir/imap/dovecot.log")"
	fi
else
	fail "imap server without STARTTLS starts" "$(cat "$dir/imap.err")"
fi

if bash "$COMPONENTS/pg.sh" start "$dir/pg" > "$dir/pg.log" 2>&1; then
	eval "$(cat "$dir/pg/env")"
	pg_sql() { bash "$COMPONENTS/pg.sh" psql "$dir/pg" -v ON_ERROR_STOP=1 -q -c "$1"; }
	backend postgresql "$DATABASE_URL" pg_sql
else
	fail "PostgreSQL starts (tests/components/pg.sh)" "$(tail -n 5 "$dir/pg.log")"
fi

echo "# what was tried                                   tried  refused  stored  lost  result"
sed 's/^/# /' "$table"
tap_done
