#!/bin/sh
# tlsrpt alert against a real SMTP sink (tests/components/smtp-sink.sh):
# reports with failures are loaded through `tlsrpt serve` (the HTTPS
# endpoint), then one alert mail carries each failure with its fix; a second
# run sends nothing; a new kind of failure gives one more mail with only that
# kind; a failed delivery remembers nothing; the weekly digest goes through
# a sendmail command.  Several --to: one SMTP transaction to all of them; a
# recipient the server refuses does not make the others get duplicates.
# alert_require_tls = yes (file or TLSRPT_ALERT_REQUIRE_TLS) against a sink
# without STARTTLS: --no-require-tls overrides it, the last of the two wins.
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-alert.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	bash "$COMPONENTS/smtp-sink.sh" stop "$dir/sink" >/dev/null 2>&1
	bash "$COMPONENTS/smtp-sink.sh" stop "$dir/plain" >/dev/null 2>&1
	rm -rf "$dir"
}
trap cleanup EXIT
db=sqlite:$dir/db.sqlite
corpus=$TLSRPT_SRC/tests/corpus

# load FILE…: POSTs each report to a short-lived `tlsrpt serve`; true when
# every POST got 200 and serve exits 0 on SIGTERM (else says why)
load() {
	"$TLSRPT" serve --listen 127.0.0.1:0 --dashboard-listen none --accept-domain '*' --db "$db" > "$dir/serve.out" 2> "$dir/serve.err" &
	pid=$!
	port=""
	for _ in $(seq 1 100); do
		port=$(sed -n 's/^listening on .* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	for f in "$@"; do
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/tlsrpt+json' \
			--data-binary @"$f" "http://127.0.0.1:$port/tlsrpt"
	done > "$dir/codes"
	kill "$pid"; wait "$pid"; src=$?; pid=""
	[ "$src" = 0 ] && [ "$(grep -c '^200$' "$dir/codes")" = $# ] && return 0
	echo "serve: rc=$src (want 0), HTTP codes: $(tr '\n' ' ' < "$dir/codes")"; cat "$dir/serve.err"
	return 1
}

check "reports with failures load through serve" load \
	"$corpus/sebastka+tlsrpt/synthetic-failures.json" "$corpus/nixis-de+tls-rpt-monitor/tls-rpt.json"

if ! bash "$COMPONENTS/smtp-sink.sh" start "$dir/sink" > "$dir/sink.env" 2> "$dir/sink.err"; then
	fail "smtp sink starts" "$(cat "$dir/sink.err")"; tap_done; exit
fi
eval "$(cat "$dir/sink.env")"
count() { ls "$SMTP_MAILDIR"/*.eml 2>/dev/null | wc -l | tr -d ' '; }
alert() {
	"$TLSRPT" alert --db "$db" --since 2000-01-01 --to 'Postmaster <postmaster@example.test>' \
		--from tlsrpt@example.test --smtp "smtp://localhost:$SMTP_PORT" \
		--cacert "$SMTP_CA" --require-tls "$@"
}
# body N: the decoded text of the Nth stored mail
body() {
	/usr/bin/python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("Subject:", m["Subject"]); print("To:", m["To"])
print(m.get_body(preferencelist=("plain",)).get_content())' "$(ls "$SMTP_MAILDIR"/*.eml | sed -n "${1}p")"
}

out=$(alert --smtp "smtp://127.0.0.1:1" 2>&1); rc=$?
if [ "$rc" = 3 ]; then ok "unreachable SMTP server: exit 3"; else fail "unreachable SMTP: exit 3" "rc=$rc $out"; fi
out=$(alert 2>&1); rc=$?
if [ "$rc" = 0 ] && [ -z "$out" ]; then ok "alert run (STARTTLS verified with the test CA): exit 0 and quiet"; else fail "alert run" "rc=$rc $out"; fi
n=$(count)
if [ "$n" = 1 ]; then ok "one alert mail (the failed delivery remembered nothing)"; else fail "one alert mail" "got $n"; fi
body 1 > "$dir/mail1.txt"
check "alert names the failure kind and its domain" grep -q 'example.com: certificate-expired at MX mx.example.com' "$dir/mail1.txt"
check "alert carries the fix text" grep -q 'What to do: Renew the certificate on mx.example.com' "$dir/mail1.txt"
check "alert carries the explanation" grep -q 'What it means:' "$dir/mail1.txt"
check "alert covers the other report's failures" grep -q 'company-y.example: starttls-not-supported' "$dir/mail1.txt"
check "alert goes to the recipient" grep -q '^To: Postmaster <postmaster@example.test>' "$dir/mail1.txt"

out=$(alert -v 2>&1); rc=$?
n=$(count)
# the run must have got to its decision ("no new failures"), not just sent nothing
if [ "$rc" = 0 ] && [ "$n" = 1 ] && echo "$out" | grep -q 'no new failures'; then ok "second run: no repeat"
else fail "second run: no repeat" "rc=$rc (want 0) mails=$n $out"; fi
echo "$out" | grep -q 'no new failures' && ok "-v says why nothing was sent" || fail "-v message" "$out"

sed -e 's/"report-id": "synthetic-1"/"report-id": "synthetic-2"/' \
    -e 's/"certificate-expired"/"certificate-not-trusted"/' \
    "$corpus/sebastka+tlsrpt/synthetic-failures.json" > "$dir/new.json"
check "a report with a new kind of failure loads" load "$dir/new.json"
alert > "$dir/alert3.out" 2> "$dir/alert3.err"; rc=$?
n=$(count)
if [ "$rc" = 0 ] && [ "$n" = 2 ]; then ok "new kind of failure: one more mail"
else fail "new kind: one more mail" "rc=$rc (want 0), got $n mails" "$(cat "$dir/alert3.out" "$dir/alert3.err")"; fi
body 2 > "$dir/mail2.txt"
check "second mail names the new kind" grep -q 'certificate-not-trusted at MX mx.example.com' "$dir/mail2.txt"
if [ ! -s "$dir/mail2.txt" ] || grep -q 'certificate-expired' "$dir/mail2.txt"; then fail "second mail repeats nothing" "$(cat "$dir/mail2.txt")"
else ok "second mail repeats nothing already alerted"; fi

# A third new kind (example.com fails ~10 % of its sessions): a 50 % threshold
# holds it back, a 5 % one lets it through.
sed -e 's/"report-id": "synthetic-1"/"report-id": "synthetic-3"/' \
    -e 's/"certificate-expired"/"sts-webpki-invalid"/' \
    "$corpus/sebastka+tlsrpt/synthetic-failures.json" > "$dir/third.json"
check "a report with a third kind of failure loads" load "$dir/third.json"
out=$(alert --threshold-rate 0.5 -v 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = 2 ] && echo "$out" | grep -q 'no new failures' &&
	ok "new kind below a 50 % failure rate: no mail" || fail "threshold 0.5" "rc=$rc mails=$(count)" "$out"
out=$(alert --threshold-rate 0.05 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = 3 ] && body 3 | grep -q 'example.com: sts-webpki-invalid' &&
	ok "the same kind above a 5 % threshold: one mail" || fail "threshold 0.05" "rc=$rc mails=$(count)" "$out"

out=$("$TLSRPT" alert --db "$db" --since 2000-01-01 --to a@example.test --digest weekly \
	--sendmail "cat > '$dir/digest.eml'" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -q '^Subject: TLSRPT weekly digest' "$dir/digest.eml"; then
	ok "weekly digest through a sendmail command"
else fail "weekly digest" "rc=$rc $out"; fi
check "digest lists failures with fixes" grep -q 'Fix: ' "$dir/digest.eml"
out=$("$TLSRPT" alert --db "$db" --since 2000-01-01 --to a@example.test --digest weekly \
	--sendmail "cat > '$dir/digest2.eml'" 2>&1); rc=$?
[ "$rc" = 0 ] && [ ! -e "$dir/digest2.eml" ] && ok "digest not sent twice in a week" ||
	fail "digest twice" "rc=$rc" "$out"
# The default window: reports are selected by the day they start, so the
# window starts at 00:00 UTC 7 days ago.  Else the report of that day (it
# arrived the day after the previous weekly digest) was in no digest at all.
# If midnight passes during the run, the day is computed again (once).
weekago() {
	wd=$(date -u -d '7 days ago' +%F)
	sed -e "s/2026-09-10T/${wd}T/g" -e "s/synthetic-1/weekago-$wd/" \
		"$corpus/sebastka+tlsrpt/synthetic-failures.json" > "$dir/weekago.json"
	rm -f "$dir/db-weekago.sqlite"
	"$TLSRPT" parse --db "sqlite:$dir/db-weekago.sqlite" "$dir/weekago.json" > /dev/null 2>&1 &&
	"$TLSRPT" alert --db "sqlite:$dir/db-weekago.sqlite" --to a@example.test --digest weekly \
		--dry-run > "$dir/weekago.eml" 2>&1
	rc=$?
	[ "$wd" = "$(date -u -d '7 days ago' +%F)" ]
}
weekago || weekago
if [ "$rc" = 0 ] && grep -q "^SMTP TLS reporting digest, $wd to " "$dir/weekago.eml" &&
   grep -q '^1 reports; 95 successful and 10 failed' "$dir/weekago.eml"; then
	ok "default window: the report of the day 7 days ago ($wd) is in the weekly digest"
else fail "default window: the report of $wd is in the digest" "rc=$rc" "$(cat "$dir/weekago.eml")"; fi

# --since D --until D: a date is the whole UTC day, so the report starting on
# D is in (the window ends at 00:00 the day after), as in `tlsrpt summary`.
out=$("$TLSRPT" alert --db "sqlite:$dir/db-weekago.sqlite" --to a@example.test --digest weekly \
	--since "$wd" --until "$wd" --dry-run 2>&1); rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q '^1 reports; 95 successful and 10 failed' &&
	ok "--until DATE includes that day" || fail "--until DATE includes that day" "rc=$rc" "$out"
out=$("$TLSRPT" alert --db "sqlite:$dir/db-weekago.sqlite" --to a@example.test --digest weekly \
	--since "$(date -u -d "$wd -3 days" +%F)" --until "$(date -u -d "$wd -1 day" +%F)" \
	--dry-run 2>&1); rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q '^0 reports' &&
	ok "--until the day before excludes it" || fail "--until the day before" "rc=$rc" "$out"

"$TLSRPT" alert --to x@example.test > /dev/null 2> "$dir/usage.err"
rc=$?
[ "$rc" = 2 ] && ok "no --smtp/--sendmail: usage error (2)" || fail "usage exit code" "rc=$rc, want 2" "$(cat "$dir/usage.err")"

# ---- several recipients -------------------------------------------------
# rcpts: the envelope recipients of the newest stored mail, comma-separated
rcpts() {
	/usr/bin/python3 -c 'import json, sys; print(",".join(json.load(open(sys.argv[1]))["rcpt_tos"]))' \
		"$(ls "$SMTP_MAILDIR"/*.json | tail -n 1)"
}
db=sqlite:$dir/db2.sqlite
check "reports load into a second store" load "$corpus/sebastka+tlsrpt/synthetic-failures.json"
n0=$(count)
out=$(alert --to ops@example.test 2>&1); rc=$?
n=$(count)
if [ "$rc" = 0 ] && [ -z "$out" ] && [ "$n" = $((n0 + 1)) ]; then ok "two --to: exit 0, quiet, one message stored"
else fail "two --to: one message" "rc=$rc mails=$n (before $n0)" "$out"; fi
[ "$(rcpts)" = "postmaster@example.test,ops@example.test" ] &&
	ok "two --to: one transaction, RCPT TO for both" || fail "two --to: envelope" "$(rcpts)"
body "$n" | grep -q '^To: Postmaster <postmaster@example.test>, ops@example.test$' &&
	ok "two --to: the To: header names both" || fail "two --to: To:" "$(body "$n" | sed -n 2p)"
out=$(alert --to ops@example.test -v 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = "$n" ] && echo "$out" | grep -q 'no new failures' &&
	ok "two --to: second run sends nothing" || fail "two --to: second run" "rc=$rc mails=$(count)" "$out"

db=sqlite:$dir/db3.sqlite
check "reports load into a third store" load "$corpus/sebastka+tlsrpt/synthetic-failures.json"
n0=$(count)
out=$("$TLSRPT" alert --db "$db" --since 2000-01-01 --to reject-a@example.test \
	--to reject-b@example.test --from tlsrpt@example.test --smtp "smtp://localhost:$SMTP_PORT" \
	--cacert "$SMTP_CA" 2>&1); rc=$?
[ "$rc" = 3 ] && [ "$(count)" = "$n0" ] &&
	echo "$out" | grep -q 'every recipient refused: reject-a@example.test: 550 5.1.1 .*; reject-b@example.test: 550 5.1.1 ' &&
	ok "every recipient refused: exit 3, no mail, each refusal named" ||
	fail "every recipient refused" "rc=$rc mails=$(count)" "$out"
out=$(alert --to reject-me@example.test 2>&1); rc=$?
n=$(count)
if [ "$rc" = 0 ] && [ "$n" = $((n0 + 1)) ] && [ "$(rcpts)" = "postmaster@example.test" ]; then
	ok "one of two refused: exit 0, the mail went to the other (nothing was remembered before)"
else fail "one of two refused: delivered" "rc=$rc mails=$n (before $n0) rcpts=$(rcpts)" "$out"; fi
echo "$out" | grep -q '^tlsrpt: .*refused recipient reject-me@example.test: 550 5.1.1 Rejected by sink' &&
	[ "$(echo "$out" | wc -l)" = 1 ] && ! echo "$out" | grep -q 'postmaster@' &&
	ok "one of two refused: one warning naming the refused address and the reply" ||
	fail "one of two refused: warning" "$out"
out=$(alert --to reject-me@example.test -v 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = "$n" ] && echo "$out" | grep -q 'no new failures' &&
	ok "one of two refused: second run sends nothing (remembered as sent)" ||
	fail "one of two refused: second run" "rc=$rc mails=$(count)" "$out"

# a recipient refused for now (451): not counted as sent, retried alone next run (issue 13)
db=sqlite:$dir/db4.sqlite
check "reports load into a fourth store" load "$corpus/sebastka+tlsrpt/synthetic-failures.json"
n0=$(count)
out=$(alert --to tempfailonce-x@example.test 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = $((n0 + 1)) ] && [ "$(rcpts)" = "postmaster@example.test" ] &&
	echo "$out" | grep -q 'refused recipient tempfailonce-x@example.test: 451 .*for now.*alone at the next run' &&
	ok "one of two refused with 451: the other gets it, a warning says it is retried" ||
	fail "451: first run" "rc=$rc mails=$(count) (before $n0) rcpts=$(rcpts)" "$out"
out=$(alert --to tempfailonce-x@example.test -v 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = $((n0 + 2)) ] && [ "$(rcpts)" = "tempfailonce-x@example.test" ] &&
	echo "$out" | grep -q 'no new failures' &&
	body "$((n0 + 2))" | grep -q 'example.com: certificate-expired at MX mx.example.com' &&
	ok "451: the next run sends that alert to the refused recipient alone" ||
	fail "451: retry" "rc=$rc mails=$(count) (before $n0) rcpts=$(rcpts)" "$out"
out=$(alert --to tempfailonce-x@example.test -v 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(count)" = $((n0 + 2)) ] &&
	ok "451: once sent, the retry is not repeated" || fail "451: third run" "rc=$rc mails=$(count)" "$out"

out=$("$TLSRPT" alert --db "$db" --since 2000-01-01 --to a@example.test --to b@example.test \
	--digest weekly --sendmail "echo run >> '$dir/runs'; cat > '$dir/digest3.eml'" 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$(cat "$dir/runs")" = run ] &&
	grep -q '^To: a@example.test, b@example.test' "$dir/digest3.eml" &&
	ok "two --to with --sendmail: one run, To: names both (for sendmail -t)" ||
	fail "two --to with --sendmail" "rc=$rc runs=$(cat "$dir/runs" 2>/dev/null)" "$out"
# ---- alert_require_tls and --no-require-tls ------------------------------
# A sink that offers no STARTTLS: with TLS required nothing may reach it.
# The digest with --force mails at every run, so each run is one attempt.
if SMTP_NO_STARTTLS=1 bash "$COMPONENTS/smtp-sink.sh" start "$dir/plain" > "$dir/plain.env" 2> "$dir/plain.err"; then
	plain_port=$(sed -n 's/^SMTP_PORT=//p' "$dir/plain.env")
	plain_count() { ls "$dir/plain/mail"/*.eml 2>/dev/null | wc -l | tr -d ' '; }
	printf 'alert_to = ops@example.test\nalert_from = tlsrpt@example.test\nalert_require_tls = yes\n' > "$dir/rtls.conf"
	printf 'alert_to = ops@example.test\nalert_from = tlsrpt@example.test\n' > "$dir/nortls.conf"
	# plain_alert WANT_RC WANT_NEW DESC ARGS…: a digest to the plain sink must
	# exit WANT_RC and store WANT_NEW (0 or 1) messages there
	plain_alert() {
		want_rc=$1; want_new=$2; d=$3; shift 3
		n0=$(plain_count)
		out=$("$TLSRPT" alert --db "$db" --since 2000-01-01 --digest weekly --force \
			--smtp "smtp://127.0.0.1:$plain_port" "$@" 2>&1); rc=$?
		new=$(( $(plain_count) - n0 ))
		if [ "$rc" = "$want_rc" ] && [ "$new" = "$want_new" ]; then ok "$d"
		else fail "$d" "args: $*" "rc=$rc (want $want_rc), new mails $new (want $want_new)" "$out"; fi
	}
	plain_alert 3 0 "alert_require_tls = yes: no STARTTLS, not sent (exit 3)" --config "$dir/rtls.conf"
	plain_alert 0 1 "--no-require-tls overrides alert_require_tls = yes: sent" \
		--config "$dir/rtls.conf" --no-require-tls
	grep -q '"tls": false' "$(ls "$dir/plain/mail"/*.json | tail -n 1)" &&
		ok "--no-require-tls: the mail went without TLS" ||
		fail "plain sink envelope" "$(cat "$(ls "$dir/plain/mail"/*.json | tail -n 1)")"
	plain_alert 0 1 "--require-tls --no-require-tls: the last wins, sent" \
		--config "$dir/rtls.conf" --require-tls --no-require-tls
	plain_alert 3 0 "--no-require-tls --require-tls: the last wins, not sent (exit 3)" \
		--config "$dir/rtls.conf" --no-require-tls --require-tls
	plain_alert 0 1 "without alert_require_tls: sent (STARTTLS only when offered)" \
		--config "$dir/nortls.conf"
	export TLSRPT_ALERT_REQUIRE_TLS=yes
	plain_alert 3 0 "TLSRPT_ALERT_REQUIRE_TLS=yes: not sent (exit 3)" --config "$dir/nortls.conf"
	plain_alert 0 1 "--no-require-tls overrides TLSRPT_ALERT_REQUIRE_TLS=yes: sent" \
		--config "$dir/nortls.conf" --no-require-tls
	unset TLSRPT_ALERT_REQUIRE_TLS
else
	fail "smtp sink without STARTTLS starts" "$(cat "$dir/plain.err")"
fi
tap_done
