#!/bin/sh
# `tlsrpt config` and tlsrpt.conf layering through the real program:
# defaults, --config / TLSRPT_CONFIG file, TLSRPT_<NAME> environment,
# errors with file:line, and the exit codes of tlsrpt-config(1).
. "$(dirname "$0")/tap.sh"
dir=$(mktemp -d /tmp/tlsrpt-test-config.XXXXXX)
trap 'rm -rf "$dir"' EXIT
unset TLSRPT_CONFIG TLSRPT_DB TLSRPT_DATABASE_URL

# expect DESC WANT CMD…: CMD's stdout must equal WANT (exit status 0).
expect() {
	d=$1; want=$2; shift 2
	if got=$("$@" 2>&1) && [ "$got" = "$want" ]; then ok "$d"
	else fail "$d" "command: $*" "want: $want" "got:  $got"; fi
}
# expect_error DESC STATUS TEXT CMD…: CMD must exit with STATUS and say TEXT.
expect_error() {
	d=$1; want_rc=$2; text=$3; shift 3
	got=$("$@" 2>&1); rc=$?
	case "$got" in
	*"$text"*) [ "$rc" = "$want_rc" ] && { ok "$d"; return; } ;;
	esac
	fail "$d" "command: $*" "want status $want_rc and '$text'" "got status $rc: $got"
}

def=$("$TLSRPT" config --defaults database_url)
expect "--defaults prints the built-in default" \
	"database_url = sqlite:/var/lib/tlsrpt/tlsrpt.db" printf '%s' "$def"

printf '# test\n\ndatabase_url = sqlite:%s/file.db\n' "$dir" > "$dir/a.conf"
# each value below a "# from ORIGIN" line, without -v
nl='
'
expect "--config FILE overrides the default; the origin is shown (file:line)" \
	"# from $dir/a.conf:3${nl}database_url = sqlite:$dir/file.db" \
	"$TLSRPT" config --config "$dir/a.conf" database_url
expect "TLSRPT_CONFIG names the file" \
	"# from $dir/a.conf:3${nl}database_url = sqlite:$dir/file.db" \
	env TLSRPT_CONFIG="$dir/a.conf" "$TLSRPT" config database_url
expect "TLSRPT_DATABASE_URL overrides the file; the origin is shown" \
	"# from environment TLSRPT_DATABASE_URL${nl}database_url = postgresql://env/db" \
	env TLSRPT_DATABASE_URL=postgresql://env/db "$TLSRPT" config -c "$dir/a.conf" database_url
expect "TLSRPT_DB (what the commands read) is the value shown, with its origin" \
	"# from environment TLSRPT_DB${nl}database_url = sqlite:$dir/db-env.db" \
	env TLSRPT_DB="sqlite:$dir/db-env.db" TLSRPT_DATABASE_URL=postgresql://env/db "$TLSRPT" config -c "$dir/a.conf" database_url
expect "a default: its origin is shown, one line for a run of defaults" \
	"# from default${nl}retention_days = 0${nl}alert_min_failures = 1" \
	"$TLSRPT" config -c /dev/null retention_days alert_min_failures
if env TLSRPT_DB="sqlite:$dir/db-env.db" "$TLSRPT" config -v -c "$dir/a.conf" database_url | grep -q "from environment TLSRPT_DB"; then
	ok "--verbose says the value came from TLSRPT_DB"
else fail "--verbose TLSRPT_DB origin" "$(env TLSRPT_DB="sqlite:$dir/db-env.db" "$TLSRPT" config -v database_url 2>&1)"; fi
expect "--changed prints only what the file changed" \
	"# from $dir/a.conf:3${nl}database_url = sqlite:$dir/file.db" "$TLSRPT" config -n -c "$dir/a.conf"
expect "--changed prints nothing without a file" "" "$TLSRPT" config -n -c /dev/null
expect "--defaults ignores the environment" "$def" \
	env TLSRPT_DATABASE_URL=postgresql://env/db "$TLSRPT" config -d database_url
if "$TLSRPT" config -v -c "$dir/a.conf" database_url | grep -q "from $dir/a.conf:3"; then
	ok "--verbose says which file line set a value"
else fail "--verbose origin" "$("$TLSRPT" config -v -c "$dir/a.conf" 2>&1)"; fi

printf 'database_url = x\n\ndatabse_url = y\n' > "$dir/typo.conf"
expect_error "unknown parameter: error with file:line, status 3" 3 \
	"$dir/typo.conf:3: unknown parameter 'databse_url'" "$TLSRPT" config -c "$dir/typo.conf"
printf 'database_url x\n' > "$dir/syntax.conf"
expect_error "line without '=': error with file:line" 3 \
	"$dir/syntax.conf:1: expected 'name = value'" "$TLSRPT" config -c "$dir/syntax.conf"
expect_error "missing --config file: status 3" 3 "$dir/none.conf" \
	"$TLSRPT" config -c "$dir/none.conf"
expect_error "missing TLSRPT_CONFIG file: status 3" 3 "$dir/none.conf" \
	env TLSRPT_CONFIG="$dir/none.conf" "$TLSRPT" config
expect_error "unknown NAME argument: status 2" 2 "unknown parameter 'nosuch'" \
	"$TLSRPT" config nosuch
expect_error "--defaults with --config: status 2" 2 "excludes" \
	"$TLSRPT" config -d -c "$dir/a.conf"
# database_url reaches the store: --db > TLSRPT_DB > tlsrpt.conf > default
report="$TLSRPT_SRC/tests/golden/mailru-sorted-keys.json"
if env TLSRPT_CONFIG="$dir/a.conf" "$TLSRPT" parse "$report" >/dev/null 2>&1 && [ -s "$dir/file.db" ]; then
	ok "parse stores into the tlsrpt.conf database_url"
else fail "parse did not use database_url from tlsrpt.conf"; fi
if env TLSRPT_CONFIG="$dir/a.conf" TLSRPT_DB="sqlite:$dir/env.db" "$TLSRPT" parse "$report" >/dev/null 2>&1 &&
    [ -s "$dir/env.db" ]; then ok "TLSRPT_DB overrides database_url"
else fail "TLSRPT_DB did not override database_url"; fi
if env TLSRPT_CONFIG="$dir/a.conf" TLSRPT_DB="sqlite:$dir/env.db" "$TLSRPT" parse --db "sqlite:$dir/flag.db" \
    "$report" >/dev/null 2>&1 && [ -s "$dir/flag.db" ]; then ok "--db overrides TLSRPT_DB and database_url"
else fail "--db did not override"; fi
expect_error "a broken tlsrpt.conf stops parse" 3 "$dir/typo.conf:3: unknown parameter" \
	env TLSRPT_CONFIG="$dir/typo.conf" "$TLSRPT" parse "$report"
# tlsrpt collectd takes its socket, mode and store from tlsrpt.conf
printf 'database_url = sqlite:%s/collect.db\ncollectd_socket = %s/c.sock\ncollectd_socket_mode = 0640\n' \
	"$dir" "$dir" > "$dir/collectd.conf"
env TLSRPT_CONFIG="$dir/collectd.conf" "$TLSRPT" collectd --foreground > "$dir/collectd.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$dir/c.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mode=$(stat -c %a "$dir/c.sock" 2>/dev/null)
kill -TERM $pid 2>/dev/null
wait $pid
if [ "$mode" = 640 ]; then ok "collectd binds collectd_socket with collectd_socket_mode"
else fail "collectd socket from tlsrpt.conf" "mode: '$mode'" "$(cat "$dir/collectd.log")"; fi
printf 'collectd_socket = %s/d.sock\ncollectd_socket_mode = 0999\n' "$dir" > "$dir/badmode.conf"
expect_error "collectd: a bad collectd_socket_mode names file:line" 3 "$dir/badmode.conf:2: collectd_socket_mode" \
	env TLSRPT_CONFIG="$dir/badmode.conf" "$TLSRPT" collectd --foreground
printf 'collectd_batch_size = 0\n' > "$dir/batch.conf"
expect_error "collectd: collectd_batch_size below its minimum" 3 "$dir/batch.conf:1: collectd_batch_size: '0' is out of range" \
	"$TLSRPT" collectd --config "$dir/batch.conf" --socket "$dir/e.sock"
# tlsrpt send / reportd take the reporter settings and the store from tlsrpt.conf
printf 'database_url = sqlite:%s/report.db\nreport_submitter = example.test\nreportd_jitter = 1h\n' \
	"$dir" > "$dir/report.conf"
check "send: report_submitter and database_url from --config" \
	"$TLSRPT" send --config "$dir/report.conf" --no-deliver
[ -s "$dir/report.db" ] && ok "send opened the database_url store" || fail "send: no $dir/report.db"
expect_error "send: without a submitter anywhere, status 2" 2 "report_submitter" \
	env TLSRPT_CONFIG=/dev/null "$TLSRPT" send --db "sqlite:$dir/report.db" --no-deliver
check "send: --submitter works without tlsrpt.conf" \
	env TLSRPT_CONFIG=/dev/null "$TLSRPT" send --db "sqlite:$dir/report.db" --submitter example.test --no-deliver
check "reportd: settings from TLSRPT_CONFIG (simulated day)" \
	env TLSRPT_CONFIG="$dir/report.conf" "$TLSRPT" reportd --fake-clock 1795219200 --stop-at 1795305600
printf 'report_submitter = example.test\nreportd_jitter = 2d\n' > "$dir/jitter.conf"
expect_error "reportd: reportd_jitter over 1d is refused with file:line" 2 "$dir/jitter.conf:2: reportd_jitter" \
	"$TLSRPT" reportd --config "$dir/jitter.conf" --fake-clock 1795219200 --stop-at 1795305600
# tlsrpt serve takes listen address, path and store from tlsrpt.conf
printf 'database_url = sqlite:%s/serve.db\nserve_listen = 127.0.0.1:0\nserve_path = /from-config\nserve_max_body = 1k\nserve_dashboard_listen = none\nserve_accept_domains = *\n' \
	"$dir" > "$dir/serve.conf"
"$TLSRPT" serve --config "$dir/serve.conf" > "$dir/serve.out" 2>&1 &
pid=$!
i=0
while ! grep -q "listening on" "$dir/serve.out" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$dir/serve.out")
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/tlsrpt+json' \
	--data-binary @"$1" "http://127.0.0.1:$port$2"; }
small="$TLSRPT_SRC/tests/golden/sys4-no-policy-domain.json"
big="$TLSRPT_SRC/tests/golden/rfc-errata-6241.json"
code_ok=$(post "$small" /from-config)
code_big=$(post "$big" /from-config)
kill -TERM $pid 2>/dev/null
wait $pid
case "$code_ok" in 2*) ok "serve: report accepted on serve_path from tlsrpt.conf ($code_ok)" ;;
*) fail "serve: POST to serve_path" "status $code_ok" "$(cat "$dir/serve.out")" ;; esac
[ "$code_big" = 413 ] && ok "serve: serve_max_body = 1k refuses a larger report (413)" ||
	fail "serve: serve_max_body" "status $code_big"
[ -s "$dir/serve.db" ] && ok "serve: stored into database_url" || fail "serve: no $dir/serve.db"
printf 'serve_threads = 1000\n' > "$dir/threads.conf"
expect_error "serve: serve_threads out of range names file:line" 3 "$dir/threads.conf:1: serve_threads" \
	"$TLSRPT" serve --config "$dir/threads.conf"
# tlsrpt alert takes recipient, sender, threshold and store from tlsrpt.conf
printf 'database_url = sqlite:%s/alert.db\nalert_to = ops@example.test\nalert_from = tlsrpt@example.test\nalert_threshold_rate = 0\n' \
	"$dir" > "$dir/alert.conf"
env TLSRPT_CONFIG="$dir/alert.conf" "$TLSRPT" parse "$TLSRPT_SRC/tests/golden/rfc-errata-6241.json" >/dev/null 2>&1
if mail=$(env TLSRPT_CONFIG="$dir/alert.conf" "$TLSRPT" alert --dry-run --since 2016-04-01 --until 2016-04-03 2>&1) &&
    echo "$mail" | grep -q '^To: ops@example.test' && echo "$mail" | grep -q '^From: tlsrpt@example.test'; then
	ok "alert: alert_to, alert_from and database_url from tlsrpt.conf"
else fail "alert with tlsrpt.conf" "$mail"; fi
if mail=$(env TLSRPT_CONFIG="$dir/alert.conf" "$TLSRPT" alert --dry-run --to other@example.test \
    --since 2016-04-01 --until 2016-04-03 2>&1) && echo "$mail" | grep -q '^To: other@example.test'; then
	ok "alert: --to overrides alert_to"
else fail "alert --to over alert_to" "$mail"; fi
printf 'alert_to = ops@example.test\nalert_threshold_rate = 5%%\n' > "$dir/rate.conf"
expect_error "alert: a bad alert_threshold_rate names file:line" 3 "$dir/rate.conf:2: alert_threshold_rate: '5%'" \
	"$TLSRPT" alert --config "$dir/rate.conf" --dry-run
tap_done
